package io.chunkfs.fuse;

import java.io.IOException;
import java.nio.ByteBuffer;

/** A file open through the mount, by the handle number the kernel passes back (see {@link OpenHandles}). */
sealed interface Handle permits ChunkHandle, IncomingHandle {
    /**
     * Reads into {@code into} from {@code offset} until it is full or the file ends.
     *
     * @return the bytes read, 0 at the end
     */
    int read(ByteBuffer into, long offset) throws IOException;

    void write(ByteBuffer data, long offset) throws IOException;

    /** close(2) of one descriptor of this handle: commits what it wrote. */
    void flush() throws IOException;

    /** fsync(2) on this handle: commits what the file holds (the store sync is the caller's). */
    void fsync() throws IOException;

    /** ftruncate(2). */
    void truncate(long size) throws IOException;

    /** The last descriptor of this handle was closed: the kernel will not use its number again. */
    void release() throws IOException;

    /** At unmount, release never comes for a handle still open: commit what it holds, logging a failure. */
    void commitAtUnmount();

    /** At unmount, after {@link #commitAtUnmount} of every handle: let go of its resources. */
    void closeAtUnmount() throws IOException;
}

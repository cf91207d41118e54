package io.chunkfs.store;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * A chunk being written: bytes land in a temporary file of the store and become a chunk only when
 * {@link #commit()} renames them to their digest path. Writes may come at any offset; as long as
 * they arrive in order they are hashed as they come (on another thread, see {@link PipelinedHash}),
 * so a commit reads back only what arrived out of order. Thread-safe; one staged chunk is normally fed by one writer.
 * Every field is guarded by this object's monitor, which is first in the store's lock order (see {@link ChunkStore}):
 * a commit holds it while the backend publishes.
 */
public final class StagedChunk implements Closeable {
    private static final int READ_BUFFER = 1 << 20;

    private final ChunkStore store;
    /** The backend's handle for the staged bytes. */
    private final String file;

    private final FileChannel channel;
    /** Bytes {@code [0, hash.length())} of the file have gone into it, in order. */
    private final PipelinedHash hash;

    private long size;
    private boolean closed;

    StagedChunk(ChunkStore store, ChunkBackend.Staged staged) {
        this.store = store;
        this.file = staged.name();
        this.channel = staged.channel();
        this.hash = new PipelinedHash(store.hashing());
    }

    /** Writes all of {@code src} at {@code position}. */
    public synchronized void write(ByteBuffer src, long position) throws IOException {
        ensureOpen();
        int length = src.remaining();
        ByteBuffer hashView = src.duplicate();
        long at = position;
        while (src.hasRemaining()) {
            at += channel.write(src, at);
        }
        if (position == hash.length()) {
            hash.update(hashView);
        } else if (position < hash.length()) {
            hash.reset();
        }
        size = Math.max(size, position + length);
    }

    /** Reads what was staged so far, like {@link FileChannel#read(ByteBuffer, long)}. */
    public synchronized int read(ByteBuffer dst, long position) throws IOException {
        ensureOpen();
        return channel.read(dst, position);
    }

    /** Cuts or extends (with zeros) the staged bytes to {@code newSize}. */
    public synchronized void truncate(long newSize) throws IOException {
        ensureOpen();
        if (newSize < size) {
            channel.truncate(newSize);
        } else if (newSize > size) {
            channel.write(ByteBuffer.allocate(1), newSize - 1);
        }
        if (newSize < hash.length()) {
            hash.reset();
        }
        size = newSize;
    }

    public synchronized long size() {
        return size;
    }

    /** Forces the staged bytes to disk, whatever the store's sync level. */
    public synchronized void force() throws IOException {
        ensureOpen();
        store.force(channel);
    }

    /**
     * Makes the staged bytes a chunk: finishes the hash, syncs as the store's level says, and renames
     * them atomically to their digest path. Whether it succeeds or fails, this staged chunk is done.
     */
    public synchronized InsertResult commit() throws IOException {
        ensureOpen();
        boolean published = false;
        try {
            hashRemainder();
            Digest digest = hash.digest();
            if (store.options().syncLevel() == SyncLevel.FILE) {
                store.force(channel);
            }
            channel.close();
            closed = true;
            InsertResult result = store.dedup().publish(file, digest, size);
            published = true;
            return result;
        } finally {
            if (!published) {
                discard();
            }
        }
    }

    /** Drops the staged bytes. */
    @Override
    public synchronized void close() throws IOException {
        if (!closed) {
            discard();
        }
    }

    private void discard() throws IOException {
        closed = true;
        try {
            channel.close();
        } finally {
            store.discard(file);
        }
    }

    private void hashRemainder() throws IOException {
        ByteBuffer buffer = ByteBuffer.allocateDirect((int) Math.min(READ_BUFFER, Math.max(1, size - hash.length())));
        while (hash.length() < size) {
            buffer.clear();
            if (size - hash.length() < buffer.capacity()) {
                buffer.limit((int) (size - hash.length()));
            }
            int n = channel.read(buffer, hash.length());
            if (n < 0) {
                throw new IOException("staged file " + file + " is shorter than what was written to it");
            }
            buffer.flip();
            hash.update(buffer);
        }
    }

    private void ensureOpen() throws IOException {
        if (closed) {
            throw new IOException("staged chunk " + file + " is already committed or discarded");
        }
    }
}

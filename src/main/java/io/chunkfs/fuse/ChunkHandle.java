package io.chunkfs.fuse;

import io.chunkfs.store.ChunkReader;
import io.chunkfs.store.ChunkStore;
import io.chunkfs.store.CorruptChunkException;
import io.chunkfs.store.Digest;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A chunk (or a receipt) open for reading: pinned to its digest, so a receipt opened before its name
 * was rewritten keeps reading the old version, and fgetattr answers for that version.
 */
record ChunkHandle(ChunkReader reader, Refusals refusals) implements Handle {
    /** Opens a chunk checked whole (unless verify=off); a damaged one is EIO, logged once by the store. */
    static ChunkHandle open(ChunkStore store, MountStats stats, Refusals refusals, Digest digest) throws IOException {
        try {
            return new ChunkHandle(store.openVerified(digest), refusals);
        } catch (CorruptChunkException e) {
            stats.verifyFailed(e.digest());
            throw new FsError(Errno.EIO, e.getMessage());
        }
    }

    @Override
    public int read(ByteBuffer into, long offset) throws IOException {
        // Checked whole at open: a damaged chunk never got a handle.
        return reader.read(into, offset);
    }

    @Override
    public void write(ByteBuffer data, long offset) {
        throw new FsError(Errno.EBADF, "not open for writing");
    }

    @Override
    public void flush() {}

    @Override
    public void fsync() {}

    @Override
    public void truncate(long size) {
        throw refusals.readOnlyHere();
    }

    @Override
    public void release() throws IOException {
        reader.close();
    }

    @Override
    public void commitAtUnmount() {}

    @Override
    public void closeAtUnmount() throws IOException {
        reader.close();
    }
}

package io.chunkfs.store;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A writer of the store, registered so that a garbage collection started meanwhile keeps its cutoff
 * at or before this session's start: nothing this session writes or touches can be swept while it is
 * open. Thread-safe; close it when done (its temporary files are cleaned up by the next start-up or
 * collection if its process dies).
 */
public final class WriteSession implements AutoCloseable {
    private static final int COPY_BUFFER = 128 * 1024;

    private final ChunkStore store;
    private final long startMillis;
    /** Guarded by this; held while the backend ends the lease (see the lock order in {@link ChunkStore}). */
    private boolean closed;

    WriteSession(ChunkStore store, long startMillis) {
        this.store = store;
        this.startMillis = startMillis;
    }

    /** When this session started, in milliseconds since the epoch. */
    public long startMillis() {
        return startMillis;
    }

    /** Starts a chunk whose bytes arrive piecemeal; see {@link StagedChunk}. */
    public StagedChunk stage() throws IOException {
        return new StagedChunk(store, store.newStaged());
    }

    /** Inserts {@code data} as a chunk; a chunk already present is touched, not rewritten. */
    public InsertResult insertChunk(byte[] data) throws IOException {
        store.ensureOpen();
        Digest digest = Digest.sha256(data);
        InsertResult duplicate = store.dedup().duplicateOrNull(digest, data.length);
        if (duplicate != null) {
            return duplicate;
        }
        try (StagedChunk staged = stage()) {
            staged.write(ByteBuffer.wrap(data), 0);
            return staged.commit();
        }
    }

    /** Inserts everything {@code in} yields, hashing while copying (one pass over the data). */
    public InsertResult insert(InputStream in) throws IOException {
        try (StagedChunk staged = stage()) {
            byte[] buffer = new byte[COPY_BUFFER];
            long position = 0;
            for (int n; (n = in.read(buffer)) >= 0; ) {
                staged.write(ByteBuffer.wrap(buffer, 0, n), position);
                position += n;
            }
            return staged.commit();
        }
    }

    /** Inserts the contents of {@code file}. */
    public InsertResult insert(Path file) throws IOException {
        try (FileChannel source = FileChannel.open(file, StandardOpenOption.READ);
                StagedChunk staged = stage()) {
            ByteBuffer buffer = ByteBuffer.allocateDirect(COPY_BUFFER);
            long position = 0;
            while (source.read(buffer) >= 0) {
                buffer.flip();
                int n = buffer.remaining();
                staged.write(buffer, position);
                position += n;
                buffer.clear();
            }
            return staged.commit();
        }
    }

    @Override
    public synchronized void close() throws IOException {
        if (!closed) {
            closed = true;
            store.endWrite(startMillis);
        }
    }
}

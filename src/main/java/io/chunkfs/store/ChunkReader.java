package io.chunkfs.store;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * One chunk open for reading, whose bytes were checked whole against its digest before this reader
 * was handed out (see {@link ChunkStore#openVerified}); reads never go past the bytes that were
 * checked. Reads at any offset, from any number of threads at once.
 */
public final class ChunkReader implements Closeable {
    private final Digest digest;
    private final FileChannel channel;
    private final long size;
    private final boolean knownBefore;

    ChunkReader(Digest digest, FileChannel channel, long size, boolean knownBefore) {
        this.digest = digest;
        this.channel = channel;
        this.size = size;
        this.knownBefore = knownBefore;
    }

    public Digest digest() {
        return digest;
    }

    /** The number of bytes that were checked, and that can be read. */
    public long size() {
        return size;
    }

    /**
     * True if this same file (inode, ctime, size) was verified by this store before this open: then
     * anything a cache kept of it is still good. False for a first open, or a file changed since.
     */
    public boolean knownBefore() {
        return knownBefore;
    }

    /**
     * Reads into {@code dst} from {@code position} until it is full or the chunk ends.
     *
     * @return the number of bytes read, 0 at the end
     */
    public int read(ByteBuffer dst, long position) throws IOException {
        if (position >= size) {
            return 0;
        }
        int start = dst.position();
        int limit = dst.limit();
        dst.limit(start + (int) Math.min(dst.remaining(), size - position));
        try {
            while (dst.hasRemaining()) {
                if (channel.read(dst, position + dst.position() - start) < 0) {
                    break;
                }
            }
        } finally {
            dst.limit(limit);
        }
        return dst.position() - start;
    }

    /** The whole chunk on the heap: for small chunks only. */
    byte[] readAll() throws IOException {
        if (size > Integer.MAX_VALUE - 8) {
            throw new IOException("chunk " + digest + " is too large to load into memory (" + size + " bytes)");
        }
        ByteBuffer all = ByteBuffer.allocate((int) size);
        read(all, 0);
        if (all.hasRemaining()) {
            throw new IOException("chunk " + digest + " became shorter while it was read");
        }
        return all.array();
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}

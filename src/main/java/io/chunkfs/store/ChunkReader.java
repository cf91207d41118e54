package io.chunkfs.store;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.security.MessageDigest;

/**
 * Reads one chunk and checks it on the way: the bytes from the start are hashed as reads cover them,
 * and the read that reaches the end fails with {@link CorruptChunkException} if they do not hash to
 * the chunk's name; so do all reads after it. A read that starts a little ahead of what was hashed
 * (the kernel's read-ahead runs requests in parallel) first hashes the gap from the file; one far
 * ahead (random access) is served unchecked. So a sequential reader ({@code cat}, {@code cp},
 * {@code sha256sum}) never finishes reading a damaged chunk without an error. Thread-safe.
 */
public final class ChunkReader implements Closeable {
    /** How far ahead of the hashed bytes a read may start and still be checked. */
    private static final long MAX_CATCH_UP = 16L << 20;

    private final Digest digest;
    private final FileChannel channel;
    private final MessageDigest sha256 = Digest.newSha256();
    private long hashedUpTo;
    private boolean checked;
    /** Set once the chunk was found damaged: every later read fails too, whatever its offset. */
    private CorruptChunkException corrupt;

    ChunkReader(Digest digest, FileChannel channel) {
        this.digest = digest;
        this.channel = channel;
    }

    public Digest digest() {
        return digest;
    }

    /**
     * Reads into {@code dst} from {@code position} until it is full or the chunk ends.
     *
     * @return the number of bytes read, 0 at the end
     * @throws CorruptChunkException if this read completed an in-order pass whose hash is wrong
     */
    public synchronized int read(ByteBuffer dst, long position) throws IOException {
        if (corrupt != null) {
            throw corrupt;
        }
        int start = dst.position();
        boolean atEnd = false;
        while (dst.hasRemaining()) {
            int n = channel.read(dst, position + dst.position() - start);
            if (n < 0) {
                atEnd = true;
                break;
            }
        }
        int read = dst.position() - start;
        if (!checked && position > hashedUpTo && position - hashedUpTo <= MAX_CATCH_UP) {
            hashFromFile(position);
        }
        if (!checked && position <= hashedUpTo && position + read > hashedUpTo) {
            ByteBuffer view = dst.duplicate();
            view.position(start + (int) (hashedUpTo - position)).limit(start + read);
            sha256.update(view);
            hashedUpTo = position + read;
        }
        if (!checked && atEnd && position + read == hashedUpTo) {
            checked = true;
            Digest actual = Digest.of(sha256.digest());
            if (!actual.equals(digest)) {
                corrupt = new CorruptChunkException(digest, actual);
                throw corrupt;
            }
        }
        return read;
    }

    private void hashFromFile(long upTo) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(1 << 20, upTo - hashedUpTo));
        while (hashedUpTo < upTo) {
            buffer.clear().limit((int) Math.min(buffer.capacity(), upTo - hashedUpTo));
            int n = channel.read(buffer, hashedUpTo);
            if (n < 0) {
                return;
            }
            buffer.flip();
            sha256.update(buffer);
            hashedUpTo += n;
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}

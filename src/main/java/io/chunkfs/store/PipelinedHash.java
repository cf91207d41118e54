package io.chunkfs.store;

import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.Semaphore;

/**
 * SHA-256 of a byte stream fed in order, computed on a thread of the store's hashing pool while the caller goes on writing:
 * on two cores, hashing no longer adds to the time of each write. A large piece is copied and queued;
 * at most {@value #IN_FLIGHT} pieces wait, so a slow hasher holds the writer back instead of filling
 * memory. Not thread-safe: its owner serialises calls.
 */
final class PipelinedHash {
    private static final int IN_FLIGHT = 8;
    /** Below this a copy costs more than it saves: hash on the caller's thread. */
    private static final int INLINE_BELOW = 32 * 1024;

    /** The store's hashing pool ({@code chunkfs-hash-N}), shared by its staged chunks. */
    private final Executor pool;

    private final MessageDigest sha256 = Digest.newSha256();
    private final Semaphore slots = new Semaphore(IN_FLIGHT);
    private final ArrayBlockingQueue<byte[]> spare = new ArrayBlockingQueue<>(IN_FLIGHT);
    private CompletableFuture<Void> tail = CompletableFuture.completedFuture(null);
    private long length;

    PipelinedHash(Executor pool) {
        this.pool = pool;
    }

    /** Bytes fed so far. */
    long length() {
        return length;
    }

    /** Feeds the remaining bytes of {@code data} (without moving its position). */
    void update(ByteBuffer data) throws InterruptedIOException {
        int size = data.remaining();
        length += size;
        if (size < INLINE_BELOW && tail.isDone()) {
            sha256.update(data.duplicate());
            return;
        }
        byte[] copy = spare.poll();
        if (copy == null || copy.length < size) {
            copy = new byte[Math.max(size, 128 * 1024)];
        }
        data.duplicate().get(copy, 0, size);
        acquireSlot();
        byte[] piece = copy;
        tail = tail.thenRunAsync(
                () -> {
                    sha256.update(piece, 0, size);
                    spare.offer(piece);
                    slots.release();
                },
                pool);
    }

    /** Forgets everything fed so far. */
    void reset() {
        tail.join();
        sha256.reset();
        length = 0;
    }

    /** The digest of everything fed; the hash is reset afterwards. */
    Digest digest() {
        tail.join();
        length = 0;
        return Digest.of(sha256.digest());
    }

    private void acquireSlot() throws InterruptedIOException {
        try {
            slots.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while hashing");
        }
    }
}

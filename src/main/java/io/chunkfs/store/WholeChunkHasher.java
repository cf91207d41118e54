package io.chunkfs.store;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.security.MessageDigest;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Hashes a chunk file from its first byte to its end. Reading and hashing overlap: a thread of the store's read-ahead pool
 * reads large blocks ahead into a few direct buffers while the caller hashes the previous ones, so
 * a cold chunk costs about what hashing alone costs. The blocks go through the page cache, which is
 * what serves the reads that follow. Memory is a handful of pooled direct buffers per hash in
 * flight, whatever the chunk's size: no chunk's bytes ever sit on the heap.
 */
final class WholeChunkHasher {
    /** Large reads: one system call and one hand-over per MiB. */
    static final int BLOCK = 1 << 20;
    /** Blocks in flight per hash: the reader stays this far ahead of the hasher at most. */
    private static final int DEPTH = 4;
    /** Chunks up to this size are read and hashed on the caller's thread: a hand-over costs more. */
    private static final long INLINE = 2L * BLOCK;

    private static final int POOLED_BUFFERS = 32;
    /** Overlapped passes at once (DEPTH buffers each); more hash on their own thread with one buffer. */
    private static final Semaphore PASSES = new Semaphore(4);

    private static final ConcurrentLinkedQueue<ByteBuffer> BUFFERS = new ConcurrentLinkedQueue<>();
    private static final AtomicInteger POOLED = new AtomicInteger();
    /** Marks the end of the blocks (or a read error, kept in {@link Pass#failure}). */
    private static final ByteBuffer END = ByteBuffer.allocate(0);

    /** The SHA-256 of a file's bytes and how many there were. */
    record Result(Digest digest, long bytes) {}

    private WholeChunkHasher() {}

    /**
     * Hashes {@code channel} from its first byte to its end.
     *
     * @param readers where the read-ahead of a large chunk runs (the store's {@code chunkfs-read-ahead} pool)
     */
    static Result hash(FileChannel channel, long expectedSize, Executor readers) throws IOException {
        MessageDigest sha256 = Digest.newSha256();
        if (expectedSize > INLINE && PASSES.tryAcquire()) {
            try {
                return new Pass(channel).run(sha256, readers);
            } finally {
                PASSES.release();
            }
        }
        ByteBuffer buffer = borrow();
        try {
            long position = 0;
            for (int n; (n = channel.read(buffer.clear(), position)) >= 0; ) {
                sha256.update(buffer.flip());
                position += n;
            }
            return new Result(Digest.of(sha256.digest()), position);
        } finally {
            giveBack(buffer);
        }
    }

    /** One overlapped pass: the read-ahead task fills buffers, the caller hashes them in order. */
    private static final class Pass {
        private final FileChannel channel;
        private final BlockingQueue<ByteBuffer> free = new LinkedBlockingQueue<>();
        private final BlockingQueue<ByteBuffer> filled = new LinkedBlockingQueue<>();
        private volatile boolean cancelled;
        private volatile IOException failure;

        Pass(FileChannel channel) {
            this.channel = channel;
        }

        Result run(MessageDigest sha256, Executor readers) throws IOException {
            for (int i = 0; i < DEPTH; i++) {
                free.add(borrow());
            }
            readers.execute(this::readAhead);
            long bytes = 0;
            boolean ended = false;
            try {
                while (true) {
                    ByteBuffer block = filled.take();
                    if (block == END) {
                        ended = true;
                        break;
                    }
                    bytes += block.remaining();
                    sha256.update(block);
                    free.add(block);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while hashing a chunk");
            } finally {
                cancelled = true;
                if (!ended) {
                    awaitEnd();
                }
                ByteBuffer buffer;
                while ((buffer = free.poll()) != null) {
                    giveBack(buffer);
                }
            }
            if (failure != null) {
                throw failure;
            }
            return new Result(Digest.of(sha256.digest()), bytes);
        }

        private void readAhead() {
            long position = 0;
            try {
                while (!cancelled) {
                    ByteBuffer block = free.take();
                    block.clear();
                    int n = channel.read(block, position);
                    if (n < 0) {
                        free.add(block);
                        return;
                    }
                    // Fill the block completely unless the file ends: the hasher sees whole blocks.
                    while (block.hasRemaining()) {
                        int more = channel.read(block, position + block.position());
                        if (more < 0) {
                            break;
                        }
                    }
                    position += block.position();
                    filled.add(block.flip());
                }
            } catch (IOException e) {
                failure = e;
            } catch (InterruptedException e) {
                failure = new InterruptedIOException("interrupted while reading a chunk");
            } finally {
                filled.add(END);
            }
        }

        /** After the hasher stopped early: wait for the reader to stop, and take its buffers back. */
        private void awaitEnd() {
            boolean interrupted = false;
            while (true) {
                try {
                    ByteBuffer block = filled.take();
                    if (block == END) {
                        break;
                    }
                    free.add(block);
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static ByteBuffer borrow() {
        ByteBuffer buffer = BUFFERS.poll();
        if (buffer == null) {
            return ByteBuffer.allocateDirect(BLOCK);
        }
        POOLED.decrementAndGet();
        return buffer;
    }

    private static void giveBack(ByteBuffer buffer) {
        if (POOLED.incrementAndGet() <= POOLED_BUFFERS) {
            BUFFERS.add(buffer.clear());
        } else {
            POOLED.decrementAndGet();
        }
    }
}

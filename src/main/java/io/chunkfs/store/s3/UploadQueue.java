package io.chunkfs.store.s3;

import io.chunkfs.store.Digest;
import io.chunkfs.store.NamedThreads;
import java.io.Closeable;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * The durable queue of {@code upload=async}: chunks committed locally whose upload is still to come. Each is
 * an empty file {@code .s3/queue/DIGEST}, made (and its folder fsynced, when the insert is durable) before the
 * insert returns and removed once the object store has the chunk, so a queue a crash interrupted is drained
 * again at the next open. Bounded: an insert waits for room (back-pressure) while {@code capacity} chunks wait.
 * Queued chunks are never evicted from the cache, and never swept.
 */
final class UploadQueue implements Closeable {
    private static final Logger LOG = Logger.getLogger(UploadQueue.class.getName());

    /** Uploads one chunk from the cache; throws if it could not. */
    interface Uploader {
        void upload(Digest digest) throws IOException;
    }

    private final Path folder;
    private final Uploader uploader;
    private final Semaphore room;
    private final Set<Digest> queued = ConcurrentHashMap.newKeySet();
    /** Queued by this process's inserts, each holding one permit of {@link #room} (leftovers hold none). */
    private final Set<Digest> holdingRoom = ConcurrentHashMap.newKeySet();

    private final Object[] stripes = new Object[64];
    private final ExecutorService workers;

    UploadQueue(Path folder, int capacity, int threads, Uploader uploader) throws IOException {
        this.folder = folder;
        this.uploader = uploader;
        this.room = new Semaphore(capacity);
        for (int i = 0; i < stripes.length; i++) {
            stripes[i] = new Object();
        }
        this.workers = Executors.newFixedThreadPool(threads, new NamedThreads("s3-upload"));
        Files.createDirectories(folder);
    }

    /** Queues again what a previous process left queued (its uploads may not have happened). */
    int drainLeftovers() throws IOException {
        int found = 0;
        try (Stream<Path> names = Files.list(folder)) {
            for (Path name : (Iterable<Path>) names::iterator) {
                String text = name.getFileName().toString();
                // Leftovers are uploaded whatever the room: an open must not wait for the endpoint.
                if (Digest.isValid(text) && queued.add(Digest.parse(text))) {
                    submit(Digest.parse(text));
                    found++;
                }
            }
        }
        return found;
    }

    /**
     * Records {@code digest} (durably if {@code durable}) before its local commit, waiting while the queue is
     * full; {@link #start} begins its upload once the commit is done. A crash in between leaves an entry whose
     * chunk is missing, which the upload skips.
     *
     * @return false if it was queued already (then there is nothing to start)
     */
    boolean record(Digest digest, boolean durable) throws IOException {
        try {
            room.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for room in the upload queue");
        }
        // One writer of a digest at a time, so that a second one returns only once the entry is durable.
        synchronized (stripes[Math.floorMod(digest.hashCode(), stripes.length)]) {
            if (queued.contains(digest)) {
                room.release();
                return false;
            }
            try {
                Files.createFile(folder.resolve(digest.toString()));
            } catch (FileAlreadyExistsException e) {
                // queued by an earlier process already
            } catch (IOException e) {
                room.release();
                throw e;
            }
            if (durable) {
                try (FileChannel dir = FileChannel.open(folder, StandardOpenOption.READ)) {
                    dir.force(true);
                }
            }
            holdingRoom.add(digest);
            queued.add(digest);
            return true;
        }
    }

    /** Starts the upload of a chunk {@link #record}ed and committed. */
    void start(Digest digest) {
        submit(digest);
    }

    /** Drops a recorded chunk whose local commit failed. */
    void forget(Digest digest) {
        try {
            Files.deleteIfExists(folder.resolve(digest.toString()));
        } catch (IOException e) {
            LOG.fine(() -> "queue entry of " + digest + " stays: " + e);
        }
        queued.remove(digest);
        if (holdingRoom.remove(digest)) {
            room.release();
        }
    }

    boolean contains(Digest digest) {
        return queued.contains(digest);
    }

    int size() {
        return queued.size();
    }

    private void submit(Digest digest) {
        workers.execute(() -> uploadUntilDone(digest));
    }

    private void uploadUntilDone(Digest digest) {
        long pauseMillis = 1_000;
        while (!Thread.currentThread().isInterrupted()) {
            try {
                uploader.upload(digest);
                try {
                    Files.delete(folder.resolve(digest.toString()));
                } catch (NoSuchFileException e) {
                    // done by another process meanwhile
                }
                queued.remove(digest);
                if (holdingRoom.remove(digest)) {
                    room.release();
                }
                synchronized (this) {
                    notifyAll();
                }
                return;
            } catch (IOException | RuntimeException e) {
                long pause = pauseMillis;
                LOG.warning(() ->
                        "upload of " + digest + " failed, trying again in " + pause / 1000 + " s: " + e.getMessage());
                try {
                    Thread.sleep(pauseMillis);
                } catch (InterruptedException interrupted) {
                    return; // closing: the queue file stays, the next open uploads it
                }
                pauseMillis = Math.min(pauseMillis * 2, 60_000);
            }
        }
    }

    /** Waits up to {@code millis} for the queue to empty (tests, unmount); true if it did. */
    boolean awaitEmpty(long millis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        synchronized (this) {
            for (long left; !queued.isEmpty() && (left = deadline - System.nanoTime()) > 0; ) {
                TimeUnit.NANOSECONDS.timedWait(this, left);
            }
        }
        return queued.isEmpty();
    }

    /** Stops the uploads; what is still queued stays on disk for the next open. */
    @Override
    public void close() {
        workers.shutdownNow();
        try {
            workers.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

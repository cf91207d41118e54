package io.chunkfs.store.s3;

import io.chunkfs.store.ChunkBackend;
import io.chunkfs.store.ChunkBackend.Entry;
import io.chunkfs.store.Digest;
import io.chunkfs.store.Progress;
import io.chunkfs.store.local.LocalBackend;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * Keeps the cache folder within its limit: learns what it holds (in the background, at the first need),
 * evicts the least recently used chunks to 0-byte markers, and empties it on demand. A chunk waiting for
 * its upload, in this process or any other (its {@code .s3/queue/} file), is never evicted.
 *
 * <p>Locks: a chunk's prefix lock ({@link PrefixLocks}, shared) before its stripe ({@link #stripe}), so that
 * a sweep never removes a chunk while it is being replaced by a marker; the stripe keeps a fetch and an
 * eviction of one chunk apart within this process.
 */
final class CacheUpkeep implements Closeable {
    private static final Logger LOG = Logger.getLogger(CacheUpkeep.class.getName());
    private static final Digest EMPTY = Digest.sha256(new byte[0]);

    private final LocalBackend cache;
    private final ChunkCache lru;
    private final PrefixLocks locks;
    private final Path queueFolder;
    /** Queued for upload by this process. */
    private final Predicate<Digest> queued;

    private final Stripe[] stripes = new Stripe[64];
    private final Object indexing = new Object();
    /** @GuardedBy("indexing") */
    private Thread indexer;

    private volatile boolean indexed;
    private volatile boolean closed;

    /** One stripe's lock, held in try-with-resources. */
    static final class Stripe implements AutoCloseable {
        private final ReentrantLock lock = new ReentrantLock();

        Stripe hold() {
            lock.lock();
            return this;
        }

        @Override
        public void close() {
            lock.unlock();
        }
    }

    CacheUpkeep(LocalBackend cache, ChunkCache lru, PrefixLocks locks, Path queueFolder, Predicate<Digest> queued) {
        this.cache = cache;
        this.lru = lru;
        this.locks = locks;
        this.queueFolder = queueFolder;
        this.queued = queued;
        for (int i = 0; i < stripes.length; i++) {
            stripes[i] = new Stripe();
        }
    }

    /** A cache marker: a 0-byte file at a chunk's name (the empty chunk itself excepted). */
    static boolean isMarker(Entry entry, Digest digest) {
        return entry.chunk() && isMarker(entry.size(), digest);
    }

    /** Whether a regular file of {@code size} bytes at {@code digest}'s name is a marker. */
    static boolean isMarker(long size, Digest digest) {
        return size == 0 && !digest.equals(EMPTY);
    }

    Stripe stripe(Digest digest) {
        return stripes[Math.floorMod(digest.hashCode(), stripes.length)];
    }

    /** Replaces a cached chunk by a marker, unless it waits for its upload; true if it did. */
    boolean evict(Digest digest) throws IOException {
        if (digest.equals(EMPTY)) {
            return false;
        }
        try (Closeable held = locks.shared(digest.prefixIndex());
                Stripe stripe = stripe(digest).hold()) {
            // Queued by any process (an async mount beside this one): the queue file is the truth.
            if (queued.test(digest) || Files.exists(queueFolder.resolve(digest.toString()))) {
                return false;
            }
            Entry entry = cache.stat(digest);
            if (entry == null || isMarker(entry, digest) || !entry.chunk()) {
                lru.dropped(digest);
                return false;
            }
            boolean replaced = cache.replaceWithMarker(digest, entry.size());
            lru.dropped(digest);
            return replaced;
        }
    }

    /** Evicts least recently used chunks while the cache holds more than its limit ({@code keep} stays). */
    void evictIfNeeded(Digest keep) throws IOException {
        if (!indexed) {
            startIndexing();
            return;
        }
        if (lru.bytes() <= lru.limit()) {
            return;
        }
        for (Map.Entry<Digest, Long> victim : lru.overflow(digest -> digest.equals(keep) || queued.test(digest))) {
            if (closed) {
                return;
            }
            evict(victim.getKey());
        }
    }

    /** Turns every cached chunk into a marker (those waiting for their upload stay); returns how many. */
    long dropAll(Progress progress) throws IOException {
        progress.phase("drop", ChunkBackend.PREFIXES);
        long dropped = 0;
        for (int prefix = 0; prefix < ChunkBackend.PREFIXES; prefix++) {
            List<Digest> held;
            try (Stream<Digest> names = cache.list(prefix)) {
                held = names.toList();
            }
            for (Digest digest : held) {
                if (evict(digest)) {
                    dropped++;
                }
            }
            progress.advance(1);
        }
        return dropped;
    }

    /** Makes sure the LRU knows the folder (for figures); reads it now if no one has yet. */
    void ensureIndexed() {
        if (indexed) {
            return;
        }
        synchronized (indexing) {
            try {
                if (!indexed) {
                    index();
                }
            } catch (IOException | UncheckedIOException e) {
                LOG.warning(() -> "could not read the cache folder to size it: " + e.getMessage());
            }
        }
    }

    /** Learns what the folder holds, in the background; eviction waits for it (the cache may overshoot meanwhile). */
    private void startIndexing() {
        synchronized (indexing) {
            if (indexed || indexer != null || closed) {
                return;
            }
            indexer = new Thread(this::indexAndEvict, "chunkfs-s3-index");
            indexer.setDaemon(true);
            indexer.start();
        }
    }

    private void indexAndEvict() {
        try {
            index();
            evictIfNeeded(null);
        } catch (IOException | UncheckedIOException e) {
            LOG.warning(() -> "could not read the cache folder to size it: " + e.getMessage());
        }
    }

    /** Reads every entry of the folder: the chunks held whole, oldest access first, make up the LRU order. */
    private void index() throws IOException {
        record Held(Digest digest, long size, long atime) {}
        List<Held> found = new ArrayList<>();
        for (int prefix = 0; prefix < ChunkBackend.PREFIXES && !closed; prefix++) {
            List<Digest> names;
            try (Stream<Digest> listed = cache.list(prefix)) {
                names = listed.toList();
            }
            for (Digest digest : names) {
                Entry entry = cache.stat(digest);
                if (entry != null && entry.chunk() && !isMarker(entry, digest)) {
                    found.add(new Held(digest, entry.size(), entry.atime().toMillis()));
                }
            }
        }
        if (closed) {
            return;
        }
        found.sort(Comparator.comparingLong(Held::atime));
        lru.rebuilt(found.stream().map(h -> Map.entry(h.digest(), h.size())).toList());
        indexed = true;
    }

    /**
     * Lets a running index and its evictions finish (within a minute), so that a short-lived process (put,
     * get) leaves the cache within its limit too, then stops.
     */
    @Override
    public void close() {
        Thread running;
        synchronized (indexing) {
            running = indexer;
        }
        if (running != null) {
            try {
                running.join(60_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        closed = true;
        if (running != null) {
            running.interrupt();
        }
    }
}

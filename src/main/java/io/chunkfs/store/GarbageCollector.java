package io.chunkfs.store;

import java.io.Closeable;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Mark and sweep, as Proxmox Backup Server does it: the policy, on the {@link ChunkBackend} seam. Phase 1
 * touches every referenced chunk; phase 2 removes every chunk whose atime is older than the cutoff: the
 * earlier of (start − margin) and the start of the oldest writer still active. Only one collection runs at a
 * time per store (the backend's gc lock).
 *
 * <p>A chunk touched between the sweep's look at its atime and its removal must survive: the sweep removes
 * through {@link ChunkBackend#deleteIfUnusedSince}, which looks once more at the moment of removal; an insert
 * that finds the chunk gone simply writes it again.
 */
public final class GarbageCollector {
    /** Proxmox Backup Server's default: relatime may leave atime up to 24 h behind. */
    public static final Duration DEFAULT_MARGIN = Duration.ofHours(24).plusMinutes(5);
    /** Writers record their start with the system clock; file times use a coarser clock. */
    private static final long WRITER_CLOCK_SLACK_MILLIS = 2_000;
    /**
     * The start is the atime of a probe touched just before; a touch a moment later may carry an earlier time
     * (the kernel stamps with a coarse clock, or a fine one for a file whose times were just read): a few
     * clock ticks of slack keep a mark made right after the start.
     */
    private static final long FILE_CLOCK_SLACK_MILLIS = 50;
    /**
     * Prefixes swept at once. A removal waits for the disk far more than for a core (on ext4 mounted
     * {@code discard} without a journal, every unlink waits for a synchronous discard of the chunk's block;
     * elsewhere for the journal), so removals in flight together, not cores, set the pace: on the 2-core
     * reference VM 8 prefixes at once removed files 3-5x faster than one (which is all {@code rm} does), and 16
     * or 32 were no faster than 8.
     */
    static final int SWEEP_THREADS = Math.max(8, Runtime.getRuntime().availableProcessors());

    private final ChunkStore store;
    private final ChunkBackend backend;
    private final Duration margin;
    private final Progress progress;
    private final List<String> oddities = Collections.synchronizedList(new ArrayList<>());
    private final List<DamagedEntry> damagedEntries = Collections.synchronizedList(new ArrayList<>());
    /** Runs between the sweep's first look at a chunk and its guarded delete; tests race it there. */
    private Consumer<String> beforeSetAside = chunk -> {};

    public GarbageCollector(ChunkStore store, Duration margin, Progress progress) {
        if (margin.isNegative()) {
            throw new IllegalArgumentException("the safety margin cannot be negative: " + margin);
        }
        store.ensureOpen();
        this.store = store;
        this.backend = store.backend();
        this.margin = margin;
        this.progress = progress;
    }

    /**
     * Runs a collection.
     *
     * @param referenced the digests still in use (phase 1 touches them), or null to mark nothing
     * @throws StoreException if another collection is running, or atime cannot be trusted here
     */
    public GcResult collect(Iterator<Digest> referenced) throws IOException {
        store.ensureOpen();
        try (Closeable lock = backend.lockForGc()) {
            return collectLocked(referenced);
        }
    }

    /**
     * For tests that race the sweep: {@code hook} runs with the chunk's name between the sweep's first look at
     * it and its guarded delete. Call before {@link #collect}.
     */
    public void beforeSetAside(Consumer<String> hook) {
        this.beforeSetAside = hook;
    }

    private GcResult collectLocked(Iterator<Digest> referenced) throws IOException {
        Instant start = backend.markClock();
        OptionalLong writerAtStart = backend.oldestWriterStart();
        long removedTemps = backend.removeLeftovers();

        long marked = 0;
        long missing = 0;
        if (referenced != null) {
            progress.phase("mark", -1);
            while (referenced.hasNext()) {
                if (store.condTouchChunk(referenced.next(), false)) {
                    marked++;
                } else {
                    missing++;
                }
                progress.advance(1);
            }
        }

        long cutoffMillis = start.minus(margin).toEpochMilli() - FILE_CLOCK_SLACK_MILLIS;
        OptionalLong writerNow = backend.oldestWriterStart();
        long oldestWriter = Math.min(writerAtStart.orElse(Long.MAX_VALUE), writerNow.orElse(Long.MAX_VALUE));
        if (oldestWriter != Long.MAX_VALUE) {
            cutoffMillis = Math.min(cutoffMillis, oldestWriter - WRITER_CLOCK_SLACK_MILLIS);
        }
        long marginCutoff = start.minus(margin).toEpochMilli();

        backend.sweepStarting();
        Sweep sweep = sweepAll(cutoffMillis, marginCutoff);
        backend.sweepDone();
        long removedReceipts = store.receipts().removeDangling(digest -> backend.stat(digest) != null);
        return new GcResult(
                start,
                Instant.ofEpochMilli(cutoffMillis),
                marked,
                missing,
                sweep.kept + sweep.removed,
                sweep.keptBytes + sweep.removedBytes,
                sweep.removed,
                sweep.removedBytes,
                sweep.kept,
                sweep.keptBytes,
                sweep.pending,
                sweep.bad,
                removedTemps,
                removedReceipts,
                List.copyOf(oddities),
                damagedEntries.stream()
                        .sorted(Comparator.comparing(DamagedEntry::digest))
                        .toList());
    }

    /**
     * Sweeps {@link #SWEEP_THREADS} prefixes at once (a pool named {@code chunkfs-gc}): the sweep is system calls
     * (stat, rename, unlink) that mostly wait for the disk, and overlap well.
     */
    private Sweep sweepAll(long cutoffMillis, long marginCutoff) throws IOException {
        progress.phase("sweep", ChunkBackend.PREFIXES);
        int threads = SWEEP_THREADS;
        ExecutorService pool = Executors.newFixedThreadPool(threads, new NamedThreads("gc"));
        AtomicInteger next = new AtomicInteger();
        List<Future<Sweep>> parts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            parts.add(pool.submit(() -> {
                Sweep part = new Sweep(cutoffMillis, marginCutoff);
                for (int prefix; (prefix = next.getAndIncrement()) < ChunkBackend.PREFIXES; ) {
                    if (Thread.currentThread().isInterrupted()) {
                        throw new InterruptedIOException("sweep stopped: another part failed");
                    }
                    part.prefix(prefix);
                    synchronized (progress) {
                        progress.advance(1);
                    }
                }
                return part;
            }));
        }
        Sweep total = new Sweep(cutoffMillis, marginCutoff);
        try {
            for (Future<Sweep> part : parts) {
                total.add(part.get());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("garbage collection interrupted");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IllegalStateException(e.getCause());
        } finally {
            pool.shutdownNow();
            // The workers use the backend's open folders: none may outlive this call.
            try {
                pool.awaitTermination(1, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return total;
    }

    private final class Sweep {
        final long cutoffMillis;
        final long marginCutoffMillis;
        long removed;
        long removedBytes;
        long kept;
        long keptBytes;
        long pending;
        long bad;

        Sweep(long cutoffMillis, long marginCutoffMillis) {
            this.cutoffMillis = cutoffMillis;
            this.marginCutoffMillis = marginCutoffMillis;
        }

        void add(Sweep other) {
            removed += other.removed;
            removedBytes += other.removedBytes;
            kept += other.kept;
            keptBytes += other.keptBytes;
            pending += other.pending;
            bad += other.bad;
        }

        void prefix(int prefix) throws IOException {
            try (Closeable sweeping = backend.sweepPrefix(prefix)) {
                ChunkBackend.PrefixScan scan = backend.scan(prefix);
                bad += scan.quarantined();
                oddities.addAll(scan.oddities());
                for (Digest digest : scan.chunks()) {
                    chunk(digest);
                }
            }
        }

        private void chunk(Digest digest) throws IOException {
            ChunkBackend.Entry entry = backend.stat(digest);
            if (entry == null) {
                return;
            }
            if (!entry.chunk()) {
                damagedEntries.add(DamagedEntry.leftInPlace(
                        backend, digest, entry, "gc leaves it where it is ('chunkfs verify' sets it aside)"));
                return;
            }
            long atime = entry.atime().toMillis();
            if (atime >= cutoffMillis) {
                keep(entry.size(), atime);
                return;
            }
            beforeSetAside.accept(digest.toString());
            switch (backend.deleteIfUnusedSince(digest, cutoffMillis, entry.atime())) {
                case REMOVED -> {
                    removed++;
                    removedBytes += entry.size();
                }
                case KEPT -> {
                    // Touched meanwhile: what it shows now is what is kept.
                    ChunkBackend.Entry now = backend.stat(digest);
                    keep(
                            now != null ? now.size() : entry.size(),
                            now != null ? now.atime().toMillis() : cutoffMillis);
                }
                case GONE -> {
                    // removed or set aside by someone else
                }
            }
        }

        private void keep(long size, long atime) {
            kept++;
            keptBytes += size;
            if (atime < marginCutoffMillis) {
                pending++;
            }
        }
    }
}

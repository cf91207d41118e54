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
import java.util.Locale;
import java.util.OptionalLong;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * Mark and sweep, as Proxmox Backup Server does it: the policy, on the {@link ChunkBackend} seam. Phase 1
 * touches every referenced chunk; phase 2 removes every chunk whose atime is older than the cutoff: the
 * earlier of (start − margin) and the start of the oldest writer still active. Only one collection runs at a
 * time per store (the backend's gc lock).
 *
 * <p>When the store's tree is a set of roots ({@link Namespace#treeRoots()}), phase 1 also touches every chunk a
 * name of the tree refers to, a page of {@link Namespace#namedDigests} at a time; otherwise (Proxmox's way, where
 * index files and touches say what is in use) the tree's names keep no chunk. Either way, once the sweep is done
 * the names whose chunk is gone are removed ({@link Namespace#removeNamesOfMissingChunks}).
 *
 * <p>A chunk touched between the sweep's look at its atime and its removal must survive: the sweep removes
 * through {@link ChunkBackend#deleteIfUnusedSince}, which looks once more at the moment of removal; an insert
 * that finds the chunk gone simply writes it again.
 *
 * <p>The cutoff trusts the file system's clock not to step back while the collection runs: a touch stamped by a
 * clock that went back may look older than the cutoff. So the sweep reads the file clock again before it removes
 * anything it looked at, and compares it with a monotonic clock; once the file clock went back further than the
 * cutoff leaves room for, it removes nothing more (see {@link GcResult#stopped}).
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
    /**
     * Candidates a sweep thread looks at before it reads the file clock again and removes them: one clock read
     * (a touch and a stat of one file) per this many removals.
     */
    private static final int CANDIDATES_PER_CLOCK_CHECK = 256;
    /** Digests the tree names, read at once: a page of {@link Namespace#namedDigests}. */
    private static final int TREE_PAGE = 1000;

    private final ChunkStore store;
    private final ChunkBackend backend;
    private final Duration margin;
    private final Progress progress;
    private final LongSupplier monotonicNanos;
    private final List<String> oddities = Collections.synchronizedList(new ArrayList<>());
    private final List<DamagedEntry> damagedEntries = Collections.synchronizedList(new ArrayList<>());
    /** Runs between the sweep's first look at a chunk and its guarded delete; tests race it there. */
    private Consumer<String> beforeSetAside = chunk -> {};

    public GarbageCollector(ChunkStore store, Duration margin, Progress progress) {
        this(store, margin, progress, System::nanoTime);
    }

    /**
     * A collector that measures how much time passes during the collection with {@code monotonicNanos}
     * ({@link System#nanoTime} unless a test steps it), to tell when the file system's clock stepped back.
     */
    public GarbageCollector(ChunkStore store, Duration margin, Progress progress, LongSupplier monotonicNanos) {
        if (margin.isNegative()) {
            throw new IllegalArgumentException("the safety margin cannot be negative: " + margin);
        }
        store.ensureOpen();
        this.store = store;
        this.backend = store.backend();
        this.margin = margin;
        this.progress = progress;
        this.monotonicNanos = monotonicNanos;
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
        long startNanos = monotonicNanos.getAsLong();
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

        Namespace tree = store.tree();
        boolean treeRoots = tree.treeRoots();
        long treeMarked = 0;
        long treeMissing = 0;
        if (treeRoots) {
            // The tree is a set of roots: every chunk a name refers to is touched, as a marked one is, so the rules
            // of races are those of touches. A name is made only after its chunk's insert, which touched the chunk
            // (a duplicate) or wrote it new: a name made after its page was read (during the sweep too) keeps its
            // chunk if that insert came after the start, or in a write session still open at the start (the cutoff
            // is no later than that session's start), as the mount's commits are. A name made for a chunk inserted
            // before the start by a session closed before it is kept by the margin only, as in Proxmox's way.
            progress.phase("mark names", -1);
            Digest after = null;
            for (List<Digest> page; !(page = tree.namedDigests(after, TREE_PAGE)).isEmpty(); ) {
                for (Digest digest : page) {
                    if (store.condTouchChunk(digest, false)) {
                        treeMarked++;
                    } else {
                        treeMissing++;
                    }
                }
                progress.advance(page.size());
                after = page.get(page.size() - 1);
            }
            // Make the tree durable before removing anything, after reading it: the sweep removes a chunk only
            // because no name referred to it when its page was read, and a removal of a name that was not yet
            // durable (sync=filesystem, or a rename or rm under sync=file) could otherwise come back after a crash
            // and name a chunk this collection removed. A durability point covers every commit before it, so one
            // taken here covers every removal the pages read above could have seen; one taken before reading would
            // miss those made between it and the read. Removals made later do not matter: their chunk was touched.
            if (!store.options().readOnly()) {
                tree.sync();
            }
        }

        long cutoffMillis = start.minus(margin).toEpochMilli() - FILE_CLOCK_SLACK_MILLIS;
        OptionalLong writerNow = backend.oldestWriterStart();
        long oldestWriter = Math.min(writerAtStart.orElse(Long.MAX_VALUE), writerNow.orElse(Long.MAX_VALUE));
        if (oldestWriter != Long.MAX_VALUE) {
            cutoffMillis = Math.min(cutoffMillis, oldestWriter - WRITER_CLOCK_SLACK_MILLIS);
        }
        long marginCutoff = start.minus(margin).toEpochMilli();

        FileClockWatch clock = new FileClockWatch(start, startNanos, cutoffMillis);
        backend.sweepStarting();
        Sweep sweep = sweepAll(cutoffMillis, marginCutoff, clock);
        backend.sweepDone();
        long removedReceipts = tree.removeNamesOfMissingChunks(digest -> backend.stat(digest) != null);
        return new GcResult(
                start,
                Instant.ofEpochMilli(cutoffMillis),
                clock.stopped,
                marked,
                missing,
                treeRoots,
                treeMarked,
                treeMissing,
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
    private Sweep sweepAll(long cutoffMillis, long marginCutoff, FileClockWatch clock) throws IOException {
        progress.phase("sweep", ChunkBackend.PREFIXES);
        int threads = SWEEP_THREADS;
        ExecutorService pool = Executors.newFixedThreadPool(threads, new NamedThreads("gc"));
        AtomicInteger next = new AtomicInteger();
        List<Future<Sweep>> parts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            parts.add(pool.submit(() -> {
                Sweep part = new Sweep(cutoffMillis, marginCutoff, clock);
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
        Sweep total = new Sweep(cutoffMillis, marginCutoff, clock);
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

    /**
     * The file system's clock, read again during the sweep and held against a monotonic clock. A touch made since
     * the start carries at least (start − how far the file clock went back since), give or take a clock tick; as
     * long as that is not before the cutoff, no touch can look older than the cutoff. Once the file clock went
     * back further, the sweep removes nothing more: a chunk touched after the step, before the sweep looked at it,
     * would look unused (one the sweep had looked at already is kept by a backend that compares its atime with what
     * the sweep saw, as the local one does). A step forward is harmless: touches after it carry later times, never
     * earlier ones. A step back that a step forward undoes before the next reading goes unseen: one reading per
     * {@link #CANDIDATES_PER_CLOCK_CHECK} candidates, taken after looking at them and before removing any.
     */
    private final class FileClockWatch {
        final Instant start;
        final long startNanos;
        final long cutoffMillis;
        /** Why the sweep stopped removing, or null while it may. */
        volatile String stopped;

        FileClockWatch(Instant start, long startNanos, long cutoffMillis) {
            this.start = start;
            this.startNanos = startNanos;
            this.cutoffMillis = cutoffMillis;
        }

        /** Reads the file clock again (one reading at a time: they share the probe file); false: remove nothing. */
        synchronized boolean stillTrusted() throws IOException {
            if (stopped != null) {
                return false;
            }
            // The monotonic reading comes first and the file's after it: the elapsed time is then never more than
            // what passed between the two file readings, and clock ticks alone never look like a step back.
            long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(monotonicNanos.getAsLong() - startNanos);
            Instant now = backend.markClock();
            long backMillis = start.toEpochMilli() + elapsedMillis - now.toEpochMilli();
            // A file system that stamps whole seconds reads up to a second short of the time that passed.
            long slack = start.getNano() == 0 && now.getNano() == 0
                    ? 1_000 + FILE_CLOCK_SLACK_MILLIS
                    : FILE_CLOCK_SLACK_MILLIS;
            long allowedMillis = Math.max(slack, start.toEpochMilli() - cutoffMillis - slack);
            if (backMillis > allowedMillis) {
                stopped = String.format(
                        Locale.ROOT,
                        "gc stopped removing: the file clock stepped back %.1f s during the collection (it reads %s,"
                                + " %.1f s after the start at %s, but %.1f s passed), so a chunk touched since may look"
                                + " unused; nothing more was removed, run gc again",
                        backMillis / 1000.0,
                        now,
                        (now.toEpochMilli() - start.toEpochMilli()) / 1000.0,
                        start,
                        elapsedMillis / 1000.0);
                return false;
            }
            return true;
        }
    }

    /** A chunk the sweep looked at and found older than the cutoff, with what it saw. */
    private record Candidate(Digest digest, ChunkBackend.Entry entry) {}

    private final class Sweep {
        final long cutoffMillis;
        final long marginCutoffMillis;
        final FileClockWatch clock;
        long removed;
        long removedBytes;
        long kept;
        long keptBytes;
        long pending;
        long bad;

        Sweep(long cutoffMillis, long marginCutoffMillis, FileClockWatch clock) {
            this.cutoffMillis = cutoffMillis;
            this.marginCutoffMillis = marginCutoffMillis;
            this.clock = clock;
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
                List<Candidate> candidates = new ArrayList<>();
                for (Digest digest : scan.chunks()) {
                    Candidate candidate = look(digest);
                    if (candidate != null) {
                        candidates.add(candidate);
                        if (candidates.size() == CANDIDATES_PER_CLOCK_CHECK) {
                            removeAll(candidates);
                            candidates.clear();
                        }
                    }
                }
                removeAll(candidates);
            }
        }

        /** The sweep's first look: a candidate if older than the cutoff, else counted as kept. */
        private Candidate look(Digest digest) throws IOException {
            ChunkBackend.Entry entry = backend.stat(digest);
            if (entry == null) {
                return null;
            }
            if (!entry.chunk()) {
                damagedEntries.add(DamagedEntry.leftInPlace(
                        backend, digest, entry, "gc leaves it where it is ('chunkfs verify' sets it aside)"));
                return null;
            }
            long atime = entry.atime().toMillis();
            if (atime >= cutoffMillis) {
                keep(entry.size(), atime);
                return null;
            }
            return new Candidate(digest, entry);
        }

        private void removeAll(List<Candidate> candidates) throws IOException {
            if (candidates.isEmpty()) {
                return;
            }
            boolean trusted = clock.stillTrusted();
            for (Candidate candidate : candidates) {
                if (trusted && clock.stopped == null) {
                    remove(candidate.digest(), candidate.entry());
                } else {
                    kept++;
                    keptBytes += candidate.entry().size();
                }
            }
        }

        private void remove(Digest digest, ChunkBackend.Entry entry) throws IOException {
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

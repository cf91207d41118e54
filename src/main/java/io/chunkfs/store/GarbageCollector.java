package io.chunkfs.store;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Mark and sweep, as Proxmox Backup Server does it. Phase 1 touches every referenced chunk; phase 2
 * removes every chunk whose atime is older than the cutoff: the earlier of (start − margin) and the
 * start of the oldest writer still active. Only one collection runs at a time per store.
 *
 * <p>A chunk touched between the sweep's look at its atime and its removal must survive, so the
 * sweep first renames a chunk aside, looks at its atime again, and puts it back if it was touched
 * meanwhile; an insert that finds the chunk gone simply writes it again.
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

    static final String ASIDE_SUFFIX = ".sweep";
    private static final Pattern BAD_NAME = Pattern.compile("[0-9a-f]{64}\\.\\d+\\.bad");
    /** Lock files held by collections of this JVM: probing them with a second channel would free them. */
    private static final Set<Path> RUNNING = ConcurrentHashMap.newKeySet();

    private static final String ATIME_PROBE = ".atime-probe";
    /**
     * In {@code .chunks} while a sweep runs, durable before the first chunk is set aside: a power cut between
     * setting a touched chunk aside and putting it back would otherwise leave it away from its digest path until
     * the next collection. The next start sees the marker and puts such chunks back ({@link #restoreAfterCrash}).
     * Only its presence counts, never its bytes (it is made empty); see {@link StoreFormat} for the version rule.
     */
    private static final String SWEEP_MARKER = ".sweep-running";

    private final ChunkStore store;
    private final StoreLayout layout;
    private final StoreFolders folders;
    private final Syscalls sys;
    private final Duration margin;
    private final Progress progress;
    private final List<String> oddities = java.util.Collections.synchronizedList(new ArrayList<>());
    /** Runs between the sweep's first look at a chunk and setting it aside; tests race it there. */
    private java.util.function.Consumer<String> beforeSetAside = chunk -> {};

    public GarbageCollector(ChunkStore store, Duration margin, Progress progress) {
        if (margin.isNegative()) {
            throw new IllegalArgumentException("the safety margin cannot be negative: " + margin);
        }
        this.store = store;
        this.layout = store.layout();
        this.folders = store.folders();
        this.sys = folders.sys;
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
        Path lockFile = layout.lockFile();
        // Checked before the lock file is opened: closing a second descriptor of it would drop the lock a
        // collection of this JVM holds (POSIX locks belong to the process).
        if (!RUNNING.add(lockFile)) {
            throw alreadyRunning();
        }
        try {
            FileChannel channel;
            try {
                channel = sys.openReadWrite(folders.root, ".lock");
            } catch (NoSuchFileException | PosixException e) {
                throw new StoreException("store " + layout.root() + " is damaged: missing lock file " + lockFile);
            }
            try (channel;
                    FileLock lock = channel.tryLock()) {
                if (lock == null) {
                    throw alreadyRunning();
                }
                return collectLocked(referenced);
            }
        } finally {
            RUNNING.remove(lockFile);
        }
    }

    /**
     * At the start of a store: if a sweep died (its marker is there) and no collection runs now, puts back every
     * chunk it had set aside, durably, then drops the marker.
     *
     * @return how many chunks were put back
     */
    static int restoreAfterCrash(ChunkStore store) throws IOException {
        StoreFolders folders = store.folders();
        Syscalls sys = folders.sys;
        if (sys.stat(folders.chunks, SWEEP_MARKER) == null) {
            return 0;
        }
        Path lockFile = store.layout().lockFile();
        if (!RUNNING.add(lockFile)) {
            return 0; // a collection of this JVM runs: it puts them back itself
        }
        try (FileChannel channel = sys.openReadWrite(folders.root, ".lock");
                FileLock lock = channel.tryLock()) {
            if (lock == null) {
                return 0;
            }
            int restored = 0;
            for (int prefix = 0; prefix < StoreLayout.PREFIXES; prefix++) {
                Folder folder = folders.prefix(prefix);
                List<String> aside;
                try (Stream<String> names = sys.list(folder)) {
                    aside = names.filter(name -> setAsideChunk(name) != null).toList();
                }
                for (String name : aside) {
                    sys.rename(folder, name, folder, setAsideChunk(name));
                    restored++;
                }
                if (!aside.isEmpty()) {
                    sys.fsync(folder);
                }
            }
            sys.unlink(folders.chunks, SWEEP_MARKER);
            return restored;
        } finally {
            RUNNING.remove(lockFile);
        }
    }

    /** The chunk name {@code name} holds while set aside ({@code DIGEST.sweep}), or null if it is not one. */
    private static String setAsideChunk(String name) {
        if (!name.endsWith(ASIDE_SUFFIX)) {
            return null;
        }
        String chunk = name.substring(0, name.length() - ASIDE_SUFFIX.length());
        return Digest.isValid(chunk) ? chunk : null;
    }

    void beforeSetAside(java.util.function.Consumer<String> hook) {
        this.beforeSetAside = hook;
    }

    private StoreException alreadyRunning() {
        return new StoreException("another garbage collection is running on " + layout.root());
    }

    private GcResult collectLocked(Iterator<Digest> referenced) throws IOException {
        Instant start = fileSystemNow();
        OptionalLong writerAtStart = store.writers().oldestActiveStart();
        long removedTemps = store.writers().removeLeftovers(null);

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
        OptionalLong writerNow = store.writers().oldestActiveStart();
        long oldestWriter = Math.min(writerAtStart.orElse(Long.MAX_VALUE), writerNow.orElse(Long.MAX_VALUE));
        if (oldestWriter != Long.MAX_VALUE) {
            cutoffMillis = Math.min(cutoffMillis, oldestWriter - WRITER_CLOCK_SLACK_MILLIS);
        }
        long marginCutoff = start.minus(margin).toEpochMilli();

        try {
            sys.create(folders.chunks, SWEEP_MARKER, folders.fileMode).close();
        } catch (FileAlreadyExistsException e) {
            // left by a collection that died
        }
        sys.fsync(folders.chunks);
        Sweep sweep = sweepAll(cutoffMillis, marginCutoff);
        sys.unlink(folders.chunks, SWEEP_MARKER);
        long removedReceipts = store.receipts().removeDangling();
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
                List.copyOf(oddities));
    }

    /**
     * Sweeps the prefix folders on as many threads as there are cores: the sweep is system calls
     * (stat, rename, unlink), which overlap well.
     */
    private Sweep sweepAll(long cutoffMillis, long marginCutoff) throws IOException {
        progress.phase("sweep", StoreLayout.PREFIXES);
        int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
        java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
        List<java.util.concurrent.Future<Sweep>> parts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            parts.add(pool.submit(() -> {
                Sweep part = new Sweep(cutoffMillis, marginCutoff);
                for (int prefix; (prefix = next.getAndIncrement()) < StoreLayout.PREFIXES; ) {
                    if (Thread.currentThread().isInterrupted()) {
                        throw new java.io.InterruptedIOException("sweep stopped: another part failed");
                    }
                    part.folder(folders.prefix(prefix));
                    synchronized (progress) {
                        progress.advance(1);
                    }
                }
                return part;
            }));
        }
        Sweep total = new Sweep(cutoffMillis, marginCutoff);
        try {
            for (java.util.concurrent.Future<Sweep> part : parts) {
                total.add(part.get());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("garbage collection interrupted");
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IllegalStateException(e.getCause());
        } finally {
            pool.shutdownNow();
            // The workers use the store's folder descriptors: none may outlive this call.
            try {
                pool.awaitTermination(1, java.util.concurrent.TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return total;
    }

    /**
     * The file system's idea of now, which is what atimes are compared against, checked on the way:
     * a probe file gets an old atime, is touched, and must then show a fresh one.
     */
    private Instant fileSystemNow() throws IOException {
        try {
            sys.create(folders.chunks, ATIME_PROBE, folders.fileMode).close();
        } catch (FileAlreadyExistsException e) {
            // left by an earlier collection
        }
        long old = 1_000_000_000L; // 2001-09-09; the mtime keeps it, which tells observers the probe is set
        sys.setTimes(folders.chunks, ATIME_PROBE, old, 0, old, 0);
        sys.setTimes(folders.chunks, ATIME_PROBE, 0, Posix.UTIME_NOW, 0, Posix.UTIME_OMIT);
        FileStat probe = sys.stat(folders.chunks, ATIME_PROBE);
        if (probe == null || !probe.isRegularFile()) {
            throw new StoreException("the atime probe " + layout.atimeProbe() + " vanished or is not a file");
        }
        Instant atime = probe.atime().toInstant();
        Instant clock = Instant.now();
        if (atime.getEpochSecond() == old
                || Duration.between(atime, clock).abs().compareTo(Duration.ofMinutes(5)) > 0) {
            throw new StoreException("touching a file does not set its atime on the file system of "
                    + layout.chunksDir() + " (atime is " + atime + ", clock says " + clock
                    + "): refusing to collect garbage, since every chunk would look unused");
        }
        return atime;
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

        void folder(Folder folder) throws IOException {
            List<String> names;
            try (Stream<String> entries = sys.list(folder)) {
                names = entries.toList();
            }
            for (String name : names) {
                entry(folder, name);
            }
        }

        private void entry(Folder folder, String name) throws IOException {
            if (Digest.isValid(name)) {
                chunk(folder, name);
            } else if (setAsideChunk(name) != null) {
                // A collection died between setting it aside and deciding: keep it, the next one decides.
                restore(folder, name, setAsideChunk(name));
                oddities.add("restored " + folder.resolve(name) + ", set aside by a collection that died");
            } else if (BAD_NAME.matcher(name).matches()) {
                bad++;
            } else {
                oddities.add("foreign file in a chunk folder: " + folder.resolve(name));
            }
        }

        private void chunk(Folder folder, String chunk) throws IOException {
            FileStat attributes = sys.stat(folder, chunk);
            if (attributes == null) {
                return;
            }
            if (!attributes.isRegularFile()) {
                oddities.add("not a regular file, left alone: " + folder.resolve(chunk));
                return;
            }
            long atime = attributes.atime().toMillis();
            if (atime >= cutoffMillis) {
                keep(attributes.size(), atime);
                return;
            }
            String aside = chunk + ASIDE_SUFFIX;
            beforeSetAside.accept(chunk);
            try {
                sys.rename(folder, chunk, folder, aside);
            } catch (NoSuchFileException e) {
                return;
            }
            FileStat asideAttributes = sys.stat(folder, aside);
            if (asideAttributes != null && asideAttributes.atime().toMillis() >= cutoffMillis) {
                restore(folder, aside, chunk);
                keep(asideAttributes.size(), asideAttributes.atime().toMillis());
                return;
            }
            sys.unlink(folder, aside);
            removed++;
            removedBytes += attributes.size();
        }

        private void keep(long size, long atime) {
            kept++;
            keptBytes += size;
            if (atime < marginCutoffMillis) {
                pending++;
            }
        }

        /**
         * Puts a chunk back under its name; a fresh copy written meanwhile has the same bytes. Durably: once the
         * sweep's marker is gone, nothing else would put it back after a power cut.
         */
        private void restore(Folder folder, String aside, String chunk) throws IOException {
            sys.rename(folder, aside, folder, chunk);
            sys.fsync(folder);
        }
    }
}

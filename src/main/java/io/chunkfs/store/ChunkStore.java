package io.chunkfs.store;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.ReadOnlyFileSystemException;
import java.time.Instant;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * A content-addressed chunk store on disk (see {@link StoreLayout}). Chunks are immutable files
 * named by the SHA-256 of their bytes; inserts are atomic (temporary file, then rename), so no
 * partial chunk is ever visible at a digest path. Thread-safe, and safe to share a store between
 * processes: writers and garbage collections coordinate through files in the store.
 */
public final class ChunkStore implements Closeable {
    private static final Logger LOG = Logger.getLogger(ChunkStore.class.getName());

    private final StoreLayout layout;
    private final StoreOptions options;
    private final StoreFolders folders;
    private final Syscalls sys;
    private final WriterRegistry writers;
    private final Receipts receipts;
    private final GroupSync[] folderSyncs = new GroupSync[StoreLayout.PREFIXES];
    private final ScheduledExecutorService periodicSync;
    /** Start of the last completed syncfs: everything written before it is on disk. */
    private volatile Instant lastSync;

    private final AtomicLong tempCounter = new AtomicLong();
    private final Recovery recovery;
    private final VerifiedReads reads = new VerifiedReads(this, VerifiedReads.REMEMBERED);

    private ChunkStore(StoreLayout layout, StoreOptions options, StoreFolders folders) {
        this.layout = layout;
        this.options = options;
        this.folders = folders;
        this.sys = folders.sys;
        this.writers = new WriterRegistry(layout, folders, options.syncLevel());
        this.receipts = new Receipts(this, folders);
        for (int prefix = 0; prefix < folderSyncs.length; prefix++) {
            Folder folder = folders.prefix(prefix);
            folderSyncs[prefix] = new GroupSync(() -> sys.fsync(folder));
        }
        this.recovery = new Recovery(this, folders);
        if (options.syncLevel() == SyncLevel.FILESYSTEM && !options.readOnly()) {
            periodicSync = Executors.newSingleThreadScheduledExecutor(task -> {
                Thread thread = new Thread(task, "chunkfs-syncfs");
                thread.setDaemon(true);
                return thread;
            });
            long every = options.syncInterval().toMillis();
            periodicSync.scheduleWithFixedDelay(this::syncQuietly, every, every, TimeUnit.MILLISECONDS);
        } else {
            periodicSync = null;
        }
    }

    /**
     * Creates a store at {@code root} with all 256 prefix folders; a valid store already there is
     * left alone.
     *
     * @return true if a new store was created
     * @throws StoreException if {@code root} is something other than an empty folder or a store
     */
    public static boolean init(Path root) throws IOException {
        return init(root, false);
    }

    /**
     * Creates a store; a private one has folders 0700 and chunks 0400, so that only its owner can read it.
     *
     * @see #init(Path)
     */
    public static boolean init(Path root, boolean privateStore) throws IOException {
        return new StoreLayout(root).create(LinuxSyscalls.INSTANCE, privateStore);
    }

    /** Opens the store at {@code root}, checking its layout first. */
    public static ChunkStore open(Path root, StoreOptions options) throws IOException {
        return open(root, options, LinuxSyscalls.INSTANCE);
    }

    /** Opens a store whose file-system calls go through {@code sys} (tests inject faults there). */
    static ChunkStore open(Path root, StoreOptions options, Syscalls sys) throws IOException {
        StoreLayout layout = new StoreLayout(root);
        StoreFolders folders = layout.open(sys);
        ChunkStore store = new ChunkStore(layout, options, folders);
        if (!options.readOnly()) {
            try {
                int removed = store.writers.removeLeftovers(store.recovery);
                if (removed > 0) {
                    LOG.info(() -> "removed " + removed + " temporary files left by a process that died");
                }
                int restored = GarbageCollector.restoreAfterCrash(store);
                if (restored > 0) {
                    LOG.warning(() ->
                            "put back " + restored + " chunks that a garbage collection which died had set aside");
                }
                store.recovery.startIfNeeded();
            } catch (IOException | RuntimeException e) {
                store.close();
                throw e;
            }
        }
        return store;
    }

    public static ChunkStore open(Path root) throws IOException {
        return open(root, StoreOptions.defaults());
    }

    public StoreLayout layout() {
        return layout;
    }

    public StoreOptions options() {
        return options;
    }

    public Path root() {
        return layout.root();
    }

    /** The mount's receipts, kept in this store. */
    public Receipts receipts() {
        return receipts;
    }

    /** Opens a write session; see {@link WriteSession}. */
    public WriteSession beginWrite() throws IOException {
        requireWritable();
        return new WriteSession(this, writers.begin());
    }

    /** Inserts {@code data} as a chunk in a session of its own. */
    public InsertResult insertChunk(byte[] data) throws IOException {
        try (WriteSession session = beginWrite()) {
            return session.insertChunk(data);
        }
    }

    /** Inserts everything {@code in} yields as one chunk, hashing while copying. */
    public InsertResult insert(InputStream in) throws IOException {
        try (WriteSession session = beginWrite()) {
            return session.insert(in);
        }
    }

    /** Inserts the contents of {@code file} as one chunk. */
    public InsertResult insert(Path file) throws IOException {
        try (WriteSession session = beginWrite()) {
            return session.insert(file);
        }
    }

    /** The raw bytes of a chunk, checked against its digest as {@link #openVerified} does. */
    public byte[] loadChunk(Digest digest) throws IOException {
        try (ChunkReader chunk = openVerified(digest)) {
            return chunk.readAll();
        }
    }

    /**
     * Opens a chunk for reading, never through a symlink and never blocking on a FIFO planted at its name;
     * the caller closes the channel.
     */
    public FileChannel openChunk(Digest digest) throws IOException {
        return openChunkFile(digest).channel();
    }

    /** Opens a chunk for reading, with its status as of the open. */
    Syscalls.OpenFile openChunkFile(Digest digest) throws IOException {
        try {
            return sys.openRead(folders.prefix(digest), digest.toString());
        } catch (NoSuchFileException e) {
            throw new ChunkNotFoundException(digest);
        }
    }

    /**
     * Opens a chunk for reading after checking it whole against its digest, so that no byte of a
     * damaged chunk is ever served; a file this store verified before and that has not changed since
     * (same inode, ctime and size) is not hashed again. With {@link StoreOptions#verifyReads()} off
     * nothing is hashed.
     *
     * @throws CorruptChunkException if the bytes do not match (the chunk is then set aside as
     *                               {@code DIGEST.N.bad} in a writable store, and logged)
     */
    public ChunkReader openVerified(Digest digest) throws IOException {
        return reads.open(digest, options.verifyReads());
    }

    /** How many damaged chunks {@link #openVerified} found since this store was opened. */
    public long damagedChunksRead() {
        return reads.damagedFound();
    }

    /** Size and times of a chunk, or empty if the store does not hold it. */
    public Optional<ChunkInfo> stat(Digest digest) throws IOException {
        FileStat stat = statFile(digest);
        if (stat == null || !stat.isRegularFile()) {
            return Optional.empty();
        }
        return Optional.of(new ChunkInfo(digest, stat.size(), stat.atime(), stat.mtime()));
    }

    FileStat statFile(Digest digest) throws IOException {
        return sys.stat(folders.prefix(digest), digest.toString());
    }

    public boolean contains(Digest digest) throws IOException {
        return stat(digest).isPresent();
    }

    /**
     * The conditional touch: sets the chunk's atime to now and leaves its mtime alone. Never creates
     * a file.
     *
     * @return false if the chunk does not exist and {@code assertExists} is false
     * @throws ChunkNotFoundException if the chunk does not exist and {@code assertExists} is true
     */
    public boolean condTouchChunk(Digest digest, boolean assertExists) throws IOException {
        requireWritable();
        Folder folder = folders.prefix(digest);
        String name = digest.toString();
        boolean touched = touchAtime(folder, name);
        // A sweep (maybe in another process) holds an old chunk aside for a moment to look at its atime once
        // more, and puts it back if it was touched meanwhile: wait for its verdict rather than answer "missing"
        // for a chunk that stays. No event crosses processes, so look again after a short pause, a bounded
        // number of times.
        for (int tries = 0;
                !touched && tries < 200 && sys.stat(folder, name + GarbageCollector.ASIDE_SUFFIX) != null;
                tries++) {
            try {
                Thread.sleep(1 + tries / 20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted while a sweep held " + digest + " aside");
            }
            touched = touchAtime(folder, name);
        }
        if (!touched && assertExists) {
            throw new ChunkNotFoundException(digest);
        }
        return touched;
    }

    private boolean touchAtime(Folder folder, String name) throws IOException {
        return sys.setTimes(folder, name, 0, Posix.UTIME_NOW, 0, Posix.UTIME_OMIT);
    }

    /**
     * Every chunk in the store, read lazily one folder entry at a time: memory does not grow with the
     * number of chunks. Close the stream when done.
     */
    public Stream<Digest> chunks() {
        ChunkIterator iterator = new ChunkIterator(0, StoreLayout.PREFIXES);
        return StreamSupport.stream(
                        Spliterators.spliteratorUnknownSize(iterator, Spliterator.DISTINCT | Spliterator.NONNULL),
                        false)
                .onClose(iterator::close);
    }

    /** The chunks under one prefix folder (0 … 255). */
    public Stream<Digest> chunks(int prefix) {
        ChunkIterator iterator = new ChunkIterator(prefix, prefix + 1);
        return StreamSupport.stream(
                        Spliterators.spliteratorUnknownSize(iterator, Spliterator.DISTINCT | Spliterator.NONNULL),
                        false)
                .onClose(iterator::close);
    }

    /** The names of the chunks in one prefix folder, read at once (a folder holds tens of thousands at most). */
    List<String> chunkNames(int prefix) throws IOException {
        try (Stream<String> names = names(prefix)) {
            return names.filter(Digest::isValid).toList();
        }
    }

    /** The names in one prefix folder, lazily; close the stream. */
    Stream<String> names(int prefix) throws IOException {
        return sys.list(folders.prefix(prefix));
    }

    /** Counts chunks and bytes, folder by folder. */
    public StoreStats stats() throws IOException {
        return StoreStats.collect(this);
    }

    /**
     * Flushes everything written so far to disk ({@code syncfs}), whatever the sync level, and records
     * when: after a crash, only chunks newer than the last completed sync need checking.
     */
    public void sync() throws IOException {
        Instant started = Instant.now();
        sys.syncfs(folders.chunks);
        writers.recordSync(started.toEpochMilli());
        lastSync = started;
    }

    /** When the last {@link #sync} (explicit or periodic) started, or null if there was none. */
    public Instant lastSync() {
        return lastSync;
    }

    @Override
    public void close() throws IOException {
        try {
            recovery.stop();
            if (periodicSync != null) {
                periodicSync.shutdownNow();
                try {
                    periodicSync.awaitTermination(1, TimeUnit.MINUTES);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                sync();
            }
        } finally {
            try {
                writers.close();
            } finally {
                folders.close();
            }
        }
    }

    /** What an insert finds at a digest path. */
    private enum Existing {
        NONE,
        SUSPECT,
        TOUCHED
    }

    /**
     * Looks for {@code digest}. A good-sized copy is touched, so that a running gc keeps it, and made durable
     * as the sync level says before it counts: the insert that put it there may still be on its way to its
     * fsyncs, in this process or another.
     */
    private Existing touchExisting(Digest digest, long size) throws IOException {
        FileStat stat = statFile(digest);
        if (stat == null) {
            return Existing.NONE;
        }
        if (!stat.isRegularFile() || stat.size() != size || recovery.isSuspect(stat)) {
            return Existing.SUSPECT;
        }
        Folder folder = folders.prefix(digest);
        String name = digest.toString();
        // A sweep may have set it aside since the stat: then it counts as absent and is written again.
        if (!touchAtime(folder, name)) {
            return Existing.NONE;
        }
        if (options.syncLevel() == SyncLevel.FILE) {
            // Cheap when it is durable already: fsync then finds nothing to write.
            try (FileChannel channel = sys.openRead(folder, name).channel()) {
                sys.fsync(channel);
            } catch (NoSuchFileException e) {
                return Existing.NONE;
            }
            folderSyncs[digest.prefixIndex()].sync();
        }
        return Existing.TOUCHED;
    }

    /**
     * If a good-sized copy of {@code digest} is present, touches it and reports a duplicate;
     * otherwise null.
     */
    InsertResult touchIfPresent(Digest digest, long size) throws IOException {
        return touchExisting(digest, size) == Existing.TOUCHED ? new InsertResult(digest, size, true, false) : null;
    }

    /**
     * Moves a finished temporary file of {@code .tmp} to its digest path, or drops it if the chunk is
     * already there. Under {@link SyncLevel#FILE} the caller has fsynced the file; the folder is fsynced here.
     */
    InsertResult publish(String tempName, Digest digest, long size) throws IOException {
        Existing existing = touchExisting(digest, size);
        if (existing == Existing.TOUCHED) {
            sys.unlink(folders.tmp, tempName);
            return new InsertResult(digest, size, true, false);
        }
        Folder folder = folders.prefix(digest);
        boolean repaired = existing == Existing.SUSPECT;
        if (repaired) {
            LOG.warning(() -> "chunk " + digest + " on disk has the wrong size or is not yet verified after a crash:"
                    + " replacing it with good bytes");
        }
        // No touch needed: the temp file's atime is its creation, inside a registered write session, and a
        // collection's cutoff is never later than the start of a session that was active while it ran.
        sys.rename(folders.tmp, tempName, folder, digest.toString());
        if (options.syncLevel() == SyncLevel.FILE) {
            folderSyncs[digest.prefixIndex()].sync();
        }
        return new InsertResult(digest, size, false, repaired);
    }

    /** Creates a fresh temporary file, named so that start-up can tell whether its owner is still alive. */
    StagedFile newTempFile() throws IOException {
        String name = newTempName();
        return new StagedFile(name, sys.create(folders.tmp, name, folders.chunkMode));
    }

    /** A fresh name in {@code .tmp} owned by this process. */
    String newTempName() {
        return writers.id() + "-" + tempCounter.incrementAndGet();
    }

    /** A temporary file in {@code .tmp}, open for reading and writing. */
    record StagedFile(String name, FileChannel channel) {}

    /** Removes a temporary file of {@code .tmp}. */
    void dropTemp(String name) throws IOException {
        sys.unlink(folders.tmp, name);
    }

    /** Makes a staged file's bytes durable. */
    void fsync(FileChannel file) throws IOException {
        sys.fsync(file);
    }

    /** Waits for the check of a crashed process's chunks (tests); false if it did not finish within {@code millis}. */
    boolean awaitRecovery(long millis) throws InterruptedException {
        return recovery.await(millis);
    }

    WriterRegistry writers() {
        return writers;
    }

    StoreFolders folders() {
        return folders;
    }

    private void requireWritable() {
        if (options.readOnly()) {
            throw new ReadOnlyFileSystemException();
        }
    }

    private void syncQuietly() {
        try {
            sync();
        } catch (IOException e) {
            LOG.log(Level.WARNING, "periodic sync of " + layout.root() + " failed", e);
        }
    }

    /** Walks prefix folders {@code [from, to)} one directory entry at a time. */
    private final class ChunkIterator implements Iterator<Digest>, Closeable {
        private final int to;
        private int nextPrefix;
        private Stream<String> folder;
        private Iterator<String> entries;
        private Digest next;

        ChunkIterator(int from, int to) {
            this.nextPrefix = from;
            this.to = to;
        }

        @Override
        public boolean hasNext() {
            while (next == null) {
                if (entries != null && entries.hasNext()) {
                    String name = entries.next();
                    if (Digest.isValid(name)) {
                        next = Digest.parse(name);
                    }
                    continue;
                }
                close();
                if (nextPrefix >= to) {
                    return false;
                }
                try {
                    folder = names(nextPrefix++);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                entries = folder.iterator();
            }
            return true;
        }

        @Override
        public Digest next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            Digest result = next;
            next = null;
            return result;
        }

        @Override
        public void close() {
            entries = null;
            if (folder != null) {
                folder.close();
                folder = null;
            }
        }
    }
}

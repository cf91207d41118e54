package io.chunkfs.store.local;

import io.chunkfs.store.ChunkBackend;
import io.chunkfs.store.ChunkIdentity;
import io.chunkfs.store.ChunkNotFoundException;
import io.chunkfs.store.Digest;
import io.chunkfs.store.GroupSync;
import io.chunkfs.store.Namespace;
import io.chunkfs.store.StoreException;
import io.chunkfs.store.StoreFormat;
import io.chunkfs.store.StoreOptions;
import io.chunkfs.store.SyncLevel;
import io.chunkfs.store.sql.SqlNamespace;
import java.io.Closeable;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * Chunks in a local folder ({@link StoreLayout}): one file per chunk at {@code .chunks/PP/DIGEST}, published
 * by an atomic rename from {@code .tmp}, every file reached through folders opened once ({@link StoreFolders})
 * and every call through {@link Syscalls} (tests inject faults and power cuts there). Write sessions are leases
 * in {@code .writers} ({@link WriterRegistry}), the gc lock is {@code .lock} ({@link GcLock}), set-aside names
 * are the sweep's and quarantine's ({@link SetAside}), and a crashed writer's unsynced chunks are re-checked by
 * {@link Recovery}. Thread-safe.
 */
public final class LocalBackend implements ChunkBackend {
    private static final Logger LOG = Logger.getLogger(LocalBackend.class.getName());

    private final StoreLayout layout;
    private final StoreFolders folders;
    private final Syscalls sys;
    private final StoreOptions options;
    private final WriterRegistry writers;
    private final Recovery recovery;
    private final GcLock gcLock;
    private final SetAside setAside;
    /** One group commit per prefix folder: concurrent publishes into one folder share its fsync. */
    private final GroupSync[] folderSyncs = new GroupSync[PREFIXES];
    /** The store sync: syncfs, or fsyncs of what changed where syncfs does not reach the disk. */
    private final StoreSync storeSync;

    private final AtomicLong stagedCounter = new AtomicLong();

    private LocalBackend(StoreLayout layout, StoreFolders folders, StoreOptions options) {
        this.layout = layout;
        this.folders = folders;
        this.sys = folders.sys;
        this.options = options;
        this.writers = new WriterRegistry(layout, folders, options.syncLevel(), options.clock());
        this.recovery = new Recovery(layout, folders, writers);
        this.gcLock = new GcLock(layout, folders);
        this.setAside = new SetAside(folders);
        this.storeSync = new StoreSync(sys, folders, fileSystemType(folders));
        for (int prefix = 0; prefix < folderSyncs.length; prefix++) {
            Folder folder = folders.prefix(prefix);
            folderSyncs[prefix] = new GroupSync(() -> sys.fsync(folder));
        }
    }

    /**
     * The type of the file system holding the chunks; should {@code statfs} fail on a folder the store holds
     * open (it does not on Linux), the store is treated as one whose {@code syncfs} cannot be trusted.
     */
    private static long fileSystemType(StoreFolders folders) {
        try {
            return folders.sys.fileSystemType(folders.chunks);
        } catch (IOException e) {
            LOG.warning(() -> "cannot tell what file system " + folders.chunks + " is on (" + e.getMessage()
                    + "): its store sync fsyncs every file it changed");
            return StoreSync.UNKNOWN;
        }
    }

    /**
     * The line to show when a store at {@code root} sits on FUSE ({@link StoreSync#caveat}), or empty; for
     * {@code init}, before the store is opened.
     */
    public static Optional<String> durabilityCaveat(Path root) throws IOException {
        Syscalls sys = LinuxSyscalls.INSTANCE;
        Folder folder = sys.openRoot(root);
        try {
            return StoreSync.caveat(sys.fileSystemType(folder), root.toString());
        } finally {
            sys.close(folder);
        }
    }

    @Override
    public Optional<String> durabilityCaveat() {
        return storeSync.caveat();
    }

    /**
     * Creates a store at {@code root} with all 256 prefix folders and its file tree ({@code tree.db}, gc keeping what
     * it names), of format version 3; a valid store already there is left alone (an earlier release's too: it is
     * converted when first opened for writing). A private one has folders 0700 and chunks 0400, so that only its
     * owner can read it.
     *
     * @return true if a new store was created
     */
    public static boolean init(Path root, boolean privateStore) throws IOException {
        return new StoreLayout(root).create(LinuxSyscalls.INSTANCE, privateStore);
    }

    /**
     * Creates a store whose marker records {@code properties} (a store whose folder is another backend's cache);
     * see {@link #init(Path, boolean)}.
     */
    public static boolean init(Path root, boolean privateStore, Map<String, String> properties) throws IOException {
        return new StoreLayout(root).create(LinuxSyscalls.INSTANCE, privateStore, StoreFormat.markerText(properties));
    }

    /**
     * Opens the store at {@code root}, checking its layout first, and cleans up after a writer that died.
     *
     * @throws StoreException if the store keeps its chunks elsewhere (its folder is a cache, whose 0-byte
     *                        markers this backend would take for damaged chunks)
     */
    public static LocalBackend open(Path root, StoreOptions options) throws IOException {
        LocalBackend backend = open(root, options, LinuxSyscalls.INSTANCE);
        String kind = backend.format().backend();
        if (!kind.equals("local")) {
            backend.close();
            throw new StoreException("the store " + root + " keeps its chunks in an object store (backend=" + kind
                    + "): open it through io.chunkfs.Stores");
        }
        return backend;
    }

    /**
     * Opens the folder of a store whose chunks live elsewhere, as that backend's cache: its chunk names may be
     * 0-byte markers ({@link #replaceWithMarker}), which only the caller can tell from damaged chunks.
     */
    public static LocalBackend openCache(Path root, StoreOptions options) throws IOException {
        return open(root, options, LinuxSyscalls.INSTANCE);
    }

    /** Opens a store whose file-system calls go through {@code sys} (tests inject faults there). */
    static LocalBackend open(Path root, StoreOptions options, Syscalls sys) throws IOException {
        StoreLayout layout = new StoreLayout(root);
        LocalBackend backend = new LocalBackend(layout, layout.open(sys), options);
        if (!options.readOnly()) {
            try {
                int removed = backend.writers.removeLeftovers(backend.recovery);
                if (removed > 0) {
                    LOG.info(() -> "removed " + removed + " temporary files left by a process that died");
                }
                int restored = backend.gcLock.restoreAfterCrash(backend.setAside);
                if (restored > 0) {
                    LOG.warning(() ->
                            "put back " + restored + " chunks that a garbage collection which died had set aside");
                }
            } catch (IOException | RuntimeException e) {
                backend.close();
                throw e;
            }
        }
        return backend;
    }

    /** Where everything of this store is on disk. */
    public StoreLayout layout() {
        return layout;
    }

    /** The store's format, as its marker says. */
    public StoreFormat format() {
        return layout.format();
    }

    /** Where staged bytes {@link #stage} named {@code staged} are, to be read by a layer above (an upload). */
    public Path stagedPath(String staged) {
        return folders.tmp.resolve(staged);
    }

    /**
     * Replaces a chunk by a 0-byte marker of the same name that records {@code size} (a cache evicting it),
     * keeping its access time, so that gc marks stay: a touch that lands on the chunk while it is replaced is
     * carried over to the marker. Open readers keep reading the chunk.
     *
     * @return false if there was no chunk, or only a marker
     */
    public boolean replaceWithMarker(Digest digest, long size) throws IOException {
        Folder folder = folders.prefix(digest);
        String name = digest.toString();
        // A second name for the chunk being replaced: its atime after the rename tells whether a touch hit it.
        String old = newTempName();
        try {
            sys.link(folder, name, folders.tmp, old);
        } catch (NoSuchFileException e) {
            return false;
        }
        try {
            FileStat before = sys.stat(folders.tmp, old);
            if (before == null || !before.isRegularFile() || before.size() == 0) {
                return false;
            }
            String marker = newMarker(size);
            sys.setTimes(
                    folders.tmp,
                    marker,
                    before.atime().to(TimeUnit.SECONDS),
                    before.atime().toInstant().getNano(),
                    before.mtime().to(TimeUnit.SECONDS),
                    before.mtime().toInstant().getNano());
            sys.rename(folders.tmp, marker, folder, name);
            FileStat after = sys.stat(folders.tmp, old);
            if (after != null && !after.atime().equals(before.atime())) {
                touchAtime(folder, name);
            }
            return true;
        } finally {
            sys.unlink(folders.tmp, old);
        }
    }

    /**
     * Puts a 0-byte marker recording {@code size} at a digest's name if nothing is there (a cache learning of a
     * chunk it does not hold); its access time is now.
     *
     * @return false if something was there already
     */
    public boolean placeMarker(Digest digest, long size) throws IOException {
        String marker = newMarker(size);
        try {
            sys.link(folders.tmp, marker, folders.prefix(digest), digest.toString());
            return true;
        } catch (java.nio.file.FileAlreadyExistsException e) {
            return false;
        } finally {
            sys.unlink(folders.tmp, marker);
        }
    }

    /** The size a marker records, or -1 if there is none (no marker, or a file system without user xattrs). */
    public long markerSize(Digest digest) {
        try {
            UserDefinedFileAttributeView view = Files.getFileAttributeView(
                    folders.prefix(digest).resolve(digest.toString()),
                    UserDefinedFileAttributeView.class,
                    LinkOption.NOFOLLOW_LINKS);
            ByteBuffer value = ByteBuffer.allocate(32);
            view.read(MARKER_SIZE, value);
            value.flip();
            return Long.parseLong(StandardCharsets.US_ASCII.decode(value).toString());
        } catch (IOException | NumberFormatException | UnsupportedOperationException e) {
            return -1;
        }
    }

    private static final String MARKER_SIZE = "chunkfs.size";

    /** A new 0-byte file in {@code .tmp} whose {@code user.chunkfs.size} xattr records {@code size}. */
    private String newMarker(long size) throws IOException {
        String name = newTempName();
        // Writable by its owner until the xattr is on (a user xattr needs write permission), then as a chunk.
        sys.create(folders.tmp, name, 0600).close();
        Path path = folders.tmp.resolve(name);
        try {
            Files.getFileAttributeView(path, UserDefinedFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                    .write(MARKER_SIZE, StandardCharsets.US_ASCII.encode(Long.toString(size)));
        } catch (IOException | UnsupportedOperationException e) {
            // No user xattrs here: the backend asks the object store for the size instead.
            LOG.fine(() -> "no xattr for a cache marker: " + e);
        }
        Files.setPosixFilePermissions(
                path, PosixFilePermissions.fromString(folders.chunkMode == 0400 ? "r--------" : "r--r--r--"));
        return name;
    }

    /**
     * Opens the store's file tree ({@code tree.db} in the store folder, see {@link SqlNamespace}); the caller owns
     * it. A store of format 1 or 2 opened for writing is converted first ({@link TreeConversion}); opened read-only,
     * it is not: the tree is then built from its receipts outside the store and removed when closed. A writable
     * open of a converted store finishes removing its {@code receipts/} if a crash interrupted that.
     */
    public Namespace openTree() throws IOException {
        return openTree(this);
    }

    /**
     * As {@link #openTree()}, a conversion asking {@code chunks} (the store's backend: an S3 store's, over this
     * cache folder) for the size and time of each receipt's chunk.
     */
    public Namespace openTree(ChunkBackend chunks) throws IOException {
        Owner owner = owner();
        TreeConversion conversion = new TreeConversion(layout, folders, gcLock, owner, options.clock());
        if (!format().hasTree()) {
            if (options.readOnly()) {
                return conversion.temporaryTree(chunks, options.syncLevel());
            }
            conversion.convert(chunks, storeSync.sharedMemoryWorks());
        }
        if (!options.readOnly()) {
            conversion.removeReceipts();
        }
        return SqlNamespace.open(
                layout.root(),
                storeSync.sharedMemoryWorks(),
                options.readOnly(),
                options.syncLevel(),
                options.clock(),
                owner.uid(),
                owner.gid(),
                true);
    }

    /**
     * The receipts of a store made by an earlier release, in {@code receipts/} (none once it is converted and they
     * are removed).
     */
    public LocalReceipts receipts() {
        return new LocalReceipts(sys, folders.receipts);
    }

    @Override
    public Entry stat(Digest digest) throws IOException {
        FileStat stat = sys.stat(folders.prefix(digest), digest.toString());
        if (stat == null) {
            return null;
        }
        return new Entry(
                stat.isRegularFile(),
                stat.size(),
                stat.atime(),
                stat.mtime(),
                identity(stat),
                recovery.isSuspect(stat),
                stat.kind(),
                stat.blocks());
    }

    static ChunkIdentity identity(FileStat stat) {
        return new ChunkIdentity(stat.inode(), stat.ctime(), stat.size());
    }

    @Override
    public Opened openRead(Digest digest) throws IOException {
        try {
            Syscalls.OpenFile file = sys.openRead(folders.prefix(digest), digest.toString());
            return new Opened(file.channel(), identity(file.stat()));
        } catch (NoSuchFileException e) {
            throw new ChunkNotFoundException(digest);
        }
    }

    @Override
    public boolean touch(Digest digest, boolean awaitSweep) throws IOException {
        Folder folder = folders.prefix(digest);
        String name = digest.toString();
        boolean touched = touchAtime(folder, name);
        // A sweep (maybe in another process) holds an old chunk aside for a moment to look at its atime once
        // more, and puts it back if it was touched meanwhile: wait for its verdict rather than answer "missing"
        // for a chunk that stays. No event crosses processes, so look again after a short pause, a bounded
        // number of times.
        for (int tries = 0;
                awaitSweep && !touched && tries < 200 && sys.stat(folder, SetAside.asideName(name)) != null;
                tries++) {
            try {
                Thread.sleep(1 + tries / 20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while a sweep held " + digest + " aside");
            }
            touched = touchAtime(folder, name);
        }
        return touched;
    }

    /**
     * Sets the atime of the file at {@code name} to now; true only if the name still shows a file after. The kernel
     * finds the file by its name first and stamps it a moment later: a sweep may rename it aside, look at its
     * atime (still old) and delete it in between, and the touch would still succeed, on a file that is gone. A
     * touch that finds the name still there after stamping was stamped before any renaming aside, so the sweep's
     * look sees it; one that does not answers false (a caller waits for the sweep's verdict, an insert writes again).
     */
    private boolean touchAtime(Folder folder, String name) throws IOException {
        return sys.setTimes(folder, name, 0, Posix.UTIME_NOW, 0, Posix.UTIME_OMIT) && sys.stat(folder, name) != null;
    }

    @Override
    public boolean makeDurable(Digest digest, SyncLevel level) throws IOException {
        if (level != SyncLevel.FILE) {
            if (level == SyncLevel.FILESYSTEM) {
                storeSync.chunkChanged(digest);
            }
            return true;
        }
        // Cheap when it is durable already: fsync then finds nothing to write.
        try (FileChannel channel =
                sys.openRead(folders.prefix(digest), digest.toString()).channel()) {
            sys.fsync(channel);
        } catch (NoSuchFileException e) {
            return false;
        }
        folderSyncs[digest.prefixIndex()].sync();
        return true;
    }

    /** Creates a fresh file in {@code .tmp}, named so that start-up can tell whether its owner is still alive. */
    @Override
    public Staged stage() throws IOException {
        String name = newTempName();
        return new Staged(name, sys.create(folders.tmp, name, folders.chunkMode));
    }

    /**
     * A fresh name in {@code .tmp} owned by this process, registered first: temporary files are made outside write
     * sessions too (fetches, cache markers), and gc in another process removes those of owners it does not see.
     */
    String newTempName() throws IOException {
        writers.register();
        return writers.id() + "-" + stagedCounter.incrementAndGet();
    }

    @Override
    public void force(FileChannel staged) throws IOException {
        sys.fsync(staged);
    }

    @Override
    public void publish(String staged, Digest digest, SyncLevel level) throws IOException {
        sys.rename(folders.tmp, staged, folders.prefix(digest), digest.toString());
        nameDurable(digest, level);
    }

    /** One renameat2 that refuses to replace: no stat first for a new chunk. */
    @Override
    public boolean publishIfAbsent(String staged, Digest digest, SyncLevel level) throws IOException {
        if (!sys.renameNoReplace(folders.tmp, staged, folders.prefix(digest), digest.toString())) {
            return false;
        }
        nameDurable(digest, level);
        return true;
    }

    /**
     * Makes a just-published chunk durable as {@code level} says: under {@link SyncLevel#FILE} its name (its
     * prefix folder's group commit; the caller forced the bytes), under {@link SyncLevel#FILESYSTEM} bytes and
     * name at the next store sync.
     */
    private void nameDurable(Digest digest, SyncLevel level) throws IOException {
        if (level == SyncLevel.FILE) {
            folderSyncs[digest.prefixIndex()].sync();
        } else if (level == SyncLevel.FILESYSTEM) {
            storeSync.chunkChanged(digest);
        }
    }

    @Override
    public void discard(String staged) throws IOException {
        sys.unlink(folders.tmp, staged);
    }

    @Override
    public Stream<Digest> list(int prefix) throws IOException {
        return sys.list(folders.prefix(prefix)).filter(Digest::isValid).map(Digest::parse);
    }

    @Override
    public PrefixScan scan(int prefix) throws IOException {
        return setAside.scan(folders.prefix(prefix));
    }

    @Override
    public Deletion deleteIfUnusedSince(Digest digest, long cutoffMillis) throws IOException {
        return setAside.deleteIfUnusedSince(folders.prefix(digest), digest.toString(), cutoffMillis, null);
    }

    @Override
    public Deletion deleteIfUnusedSince(Digest digest, long cutoffMillis, FileTime seen) throws IOException {
        return setAside.deleteIfUnusedSince(folders.prefix(digest), digest.toString(), cutoffMillis, seen);
    }

    @Override
    public String quarantine(Digest digest, ChunkIdentity identity) throws IOException {
        long inode = identity == null ? SetAside.ANY_FILE : identity.version();
        return setAside.quarantine(folders.prefix(digest), digest.toString(), inode);
    }

    @Override
    public void sync(Instant started) throws IOException {
        storeSync.sync();
        writers.recordSync(started.toEpochMilli());
    }

    @Override
    public Space space() throws IOException {
        FileStore store = Files.getFileStore(layout.root());
        return new Space(store.getTotalSpace(), store.getUnallocatedSpace(), store.getUsableSpace());
    }

    @Override
    public Owner owner() throws IOException {
        return new Owner((Integer) Files.getAttribute(layout.root(), "unix:uid"), (Integer)
                Files.getAttribute(layout.root(), "unix:gid"));
    }

    @Override
    public long beginWriter() throws IOException {
        return writers.begin();
    }

    @Override
    public void endWriter(long startMillis) throws IOException {
        writers.end(startMillis);
    }

    @Override
    public OptionalLong oldestWriterStart() throws IOException {
        return writers.oldestActiveStart();
    }

    @Override
    public long removeLeftovers() throws IOException {
        return writers.removeLeftovers(null);
    }

    @Override
    public Closeable lockForGc() throws IOException {
        return gcLock.lock();
    }

    @Override
    public Instant markClock() throws IOException {
        return new AtimeProbe(layout, folders, options.clock()).now();
    }

    @Override
    public void sweepStarting() throws IOException {
        setAside.sweepStarting();
    }

    @Override
    public void sweepDone() throws IOException {
        setAside.sweepDone();
    }

    @Override
    public void startRecovery(Recheck check) {
        recovery.startIfNeeded(check);
    }

    /** Waits for the check of a crashed process's chunks (tests); false if it did not finish within {@code millis}. */
    boolean awaitRecovery(long millis) throws InterruptedException {
        return recovery.await(millis);
    }

    @Override
    public Map<String, Long> counters() {
        return Map.of();
    }

    @Override
    public Set<Capability> capabilities() {
        return EnumSet.of(Capability.ATOMIC_RENAME, Capability.USABLE_ATIME);
    }

    @Override
    public String location() {
        return layout.root().toString();
    }

    @Override
    public String locate(Digest digest) {
        return folders.prefix(digest).resolve(digest.toString()).toString();
    }

    /** Stops recovery, ends this process's writer lease and closes the store's folders, in that order. */
    @Override
    public void close() throws IOException {
        recovery.stop();
        try {
            writers.close();
        } finally {
            folders.close();
        }
    }
}

package io.chunkfs.store;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.ReadOnlyFileSystemException;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/**
 * A content-addressed chunk store: chunks are immutable byte strings named by their SHA-256, kept by a
 * {@link ChunkBackend}. This class holds what does not depend on where chunks live: dedup (a chunk already
 * there is touched, not written again), durability as the {@link SyncLevel} says, verified reads, and the
 * periodic sync. Thread-safe, and safe to share a store between processes: writers and garbage collections
 * coordinate through the backend. Open one with {@code io.chunkfs.Stores}.
 *
 * <p>Once {@link #close()}d, every operation throws {@link IllegalStateException}.
 *
 * <p>Lock order (a thread holding one may take those after it, never one before it):
 * <ol>
 *   <li>a {@link StagedChunk}'s or a {@link WriteSession}'s own monitor (one writer's state);
 *   <li>the backend's leaf locks, each held only for its own bookkeeping: in the local backend the writer
 *       registry's monitor (session starts, its lease file), a prefix folder's group-commit monitor (never held
 *       while the fsync runs), the receipts' name cache, the recovery thread's monitor;
 *   <li>the gc lock ({@link ChunkBackend#lockForGc}) is taken by a collection before anything else and held
 *       across its marks and sweep; the sweep itself takes no monitor of this class.
 * </ol>
 * This class holds no monitor of its own: its state is final or volatile ({@link #lastSync}, {@code closed}).
 */
public final class ChunkStore implements Closeable {
    private static final Logger LOG = Logger.getLogger(ChunkStore.class.getName());

    private final ChunkBackend backend;
    private final Namespace tree;
    private final StoreOptions options;
    private final ScheduledExecutorService periodicSync;
    /** Hashes staged chunks while their writers go on ({@link PipelinedHash}). */
    private final ExecutorService hashing = Executors.newFixedThreadPool(
            Math.max(1, Runtime.getRuntime().availableProcessors()), new NamedThreads("hash"));
    /** Reads large chunks ahead of their whole-chunk hash ({@link WholeChunkHasher}). */
    private final ExecutorService readAhead = Executors.newCachedThreadPool(new NamedThreads("read-ahead"));
    /** Start of the last completed sync: everything written before it is durable. */
    private volatile Instant lastSync;

    private volatile boolean closed;
    private final VerifiedReads reads = new VerifiedReads(this, VerifiedReads.REMEMBERED);
    private final Dedup dedup;

    private ChunkStore(ChunkBackend backend, Namespace tree, StoreOptions options) {
        this.backend = backend;
        this.tree = tree;
        this.dedup = new Dedup(backend, options.syncLevel());
        this.options = options;
        if (options.syncLevel() == SyncLevel.FILESYSTEM && !options.readOnly()) {
            periodicSync = Executors.newSingleThreadScheduledExecutor(new NamedThreads("syncfs"));
            long every = options.syncInterval().toMillis();
            ScheduledFuture<?> unused =
                    periodicSync.scheduleWithFixedDelay(this::syncQuietly, every, every, TimeUnit.MILLISECONDS);
        } else {
            periodicSync = null;
        }
    }

    /**
     * Opens a store on {@code backend} with its file tree {@code tree}, which it then owns (closing the store
     * closes both, and so does a failure here). A writable store starts the backend's recovery of what a crashed
     * process left.
     */
    public static ChunkStore open(ChunkBackend backend, Namespace tree, StoreOptions options) throws IOException {
        ChunkStore store = new ChunkStore(backend, tree, options);
        if (!options.readOnly()) {
            try {
                backend.startRecovery(
                        (suspects, progress) -> new Verifier(store, 1, progress).verify(suspects.iterator()));
            } catch (RuntimeException e) {
                store.close();
                throw e;
            }
        }
        return store;
    }

    public StoreOptions options() {
        return options;
    }

    /** Where the store is, for messages and reports. */
    public String location() {
        return backend.location();
    }

    /** The owner of the store (a mount shows its files as theirs). */
    public ChunkBackend.Owner owner() throws IOException {
        ensureOpen();
        return backend.owner();
    }

    /** Space left for chunks (a mount's statfs). */
    public ChunkBackend.Space space() throws IOException {
        ensureOpen();
        return backend.space();
    }

    /** Counters the backend keeps, for {@code stats} and {@code status}. */
    public java.util.Map<String, Long> counters() {
        return backend.counters();
    }

    /** The file tree kept beside the chunks (the mount's {@code incoming/}). */
    public Namespace tree() {
        return tree;
    }

    /** Opens a write session; see {@link WriteSession}. */
    public WriteSession beginWrite() throws IOException {
        requireWritable();
        return new WriteSession(this, backend.beginWriter());
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

    /** Opens a chunk for reading, with its identity as of the open. */
    ChunkBackend.Opened openChunkFile(Digest digest) throws IOException {
        ensureOpen();
        return backend.openRead(digest);
    }

    /**
     * Opens a chunk for reading after checking it whole against its digest, so that no byte of a
     * damaged chunk is ever served; a file this store verified before and that has not changed since
     * (same identity) is not hashed again. With {@link StoreOptions#verifyReads()} off nothing is hashed.
     *
     * @throws CorruptChunkException if the bytes do not match, or a {@link DamagedEntry damaged entry} sits at
     *                               the digest path (either is then set aside as {@code DIGEST.N.bad} in a
     *                               writable store, and logged)
     */
    public ChunkReader openVerified(Digest digest) throws IOException {
        return reads.open(digest, options.verifyReads());
    }

    /**
     * How many damaged chunks (wrong bytes or a damaged entry) {@link #openVerified} found since this store was
     * opened.
     */
    public long damagedChunksRead() {
        return reads.damagedFound();
    }

    /** Size and times of a chunk, or empty if the store does not hold it. */
    public Optional<ChunkInfo> stat(Digest digest) throws IOException {
        ChunkBackend.Entry entry = entry(digest);
        if (entry == null || !entry.chunk()) {
            return Optional.empty();
        }
        return Optional.of(new ChunkInfo(digest, entry.size(), entry.atime(), entry.mtime(), entry.blocks()));
    }

    /** What the backend says of a digest's name, or null. */
    ChunkBackend.Entry entry(Digest digest) throws IOException {
        ensureOpen();
        return backend.stat(digest);
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
        boolean touched = backend.touch(digest, true);
        if (!touched && assertExists) {
            throw new ChunkNotFoundException(digest);
        }
        return touched;
    }

    /**
     * Every chunk in the store, listed lazily one prefix at a time: memory does not grow with the number of
     * chunks. Close the stream when done.
     */
    public Stream<Digest> chunks() {
        return stream(0, ChunkBackend.PREFIXES);
    }

    /** The chunks under one prefix (0 … 255). */
    public Stream<Digest> chunks(int prefix) {
        return stream(prefix, prefix + 1);
    }

    /** The chunks of prefixes {@code [from, to)}, listed one prefix at a time, each listing closed when done. */
    private Stream<Digest> stream(int from, int to) {
        ensureOpen();
        return IntStream.range(from, to).boxed().flatMap(prefix -> {
            try {
                return backend.list(prefix);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    /** Counts chunks and bytes, prefix by prefix. */
    public StoreStats stats() throws IOException {
        ensureOpen();
        return StoreStats.collect(backend);
    }

    /**
     * Flushes everything written so far to durable storage, whatever the sync level, and records
     * when: after a crash, only chunks newer than the last completed sync need checking.
     */
    public void sync() throws IOException {
        ensureOpen();
        Instant started = options.clock().instant();
        backend.sync(started);
        // Chunks first, then the names: a name never outlives a crash that its chunk did not.
        if (!options.readOnly()) {
            tree.sync();
        }
        lastSync = started;
    }

    /**
     * One line to show at mount when the store's durability rests on its file system
     * ({@link ChunkBackend#durabilityCaveat}).
     */
    public Optional<String> durabilityCaveat() {
        return backend.durabilityCaveat();
    }

    /** When the last {@link #sync} (explicit or periodic) started, or null if there was none. */
    public Instant lastSync() {
        return lastSync;
    }

    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        try {
            if (periodicSync != null) {
                periodicSync.shutdownNow();
                try {
                    periodicSync.awaitTermination(1, TimeUnit.MINUTES);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                sync();
            } else if (!options.readOnly()) {
                tree.sync();
            }
        } finally {
            try (Namespace closing = tree) {
                backend.close();
            } finally {
                closed = true;
                // Graceful: a hash already queued still completes, so nobody waits on it forever.
                hashing.shutdown();
                readAhead.shutdown();
            }
        }
    }

    /** Finds duplicates and publishes new chunks; see {@link Dedup}. */
    Dedup dedup() {
        return dedup;
    }

    /** Starts staged bytes, owned by this process's writer lease. */
    ChunkBackend.Staged newStaged() throws IOException {
        ensureOpen();
        return backend.stage();
    }

    /** Drops staged bytes. */
    void discard(String staged) throws IOException {
        backend.discard(staged);
    }

    /** Makes staged bytes durable. */
    void force(FileChannel staged) throws IOException {
        backend.force(staged);
    }

    /** Ends a write session's lease. */
    void endWrite(long startMillis) throws IOException {
        backend.endWriter(startMillis);
    }

    Executor hashing() {
        return hashing;
    }

    Executor readAhead() {
        return readAhead;
    }

    /** What the store's backend can do beyond the basics. */
    public java.util.Set<ChunkBackend.Capability> capabilities() {
        return backend.capabilities();
    }

    /**
     * A cache that lost its disk learns every chunk kept elsewhere again ({@link ChunkBackend#rebuildCache}).
     *
     * @throws StoreException if the store is no cache
     */
    public long rebuildCache(Progress progress) throws IOException {
        ensureOpen();
        requireCache();
        return backend.rebuildCache(progress);
    }

    /** Empties the cache ({@link ChunkBackend#dropCache}). @throws StoreException if the store is no cache */
    public long dropCache(Progress progress) throws IOException {
        ensureOpen();
        requireCache();
        return backend.dropCache(progress);
    }

    private void requireCache() throws StoreException {
        if (!backend.capabilities().contains(ChunkBackend.Capability.CACHE)) {
            throw new StoreException("the store " + backend.location()
                    + " keeps its chunks in its folder: it has no cache (see 'chunkfs init --s3')");
        }
    }

    ChunkBackend backend() {
        return backend;
    }

    /** Sets a damaged chunk aside; see {@link ChunkBackend#quarantine}. */
    String quarantine(Digest digest, ChunkIdentity identity) throws IOException {
        return backend.quarantine(digest, identity);
    }

    /** Throws if the store was closed: a closed store must not quietly register a writer again. */
    void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("the store " + backend.location() + " is closed");
        }
    }

    private void requireWritable() {
        ensureOpen();
        if (options.readOnly()) {
            throw new ReadOnlyFileSystemException();
        }
    }

    private void syncQuietly() {
        try {
            sync();
        } catch (IOException | IllegalStateException e) {
            LOG.log(Level.WARNING, "periodic sync of " + backend.location() + " failed", e);
        }
    }
}

package io.chunkfs.store.s3;

import io.chunkfs.store.ChunkBackend;
import io.chunkfs.store.ChunkIdentity;
import io.chunkfs.store.ChunkNotFoundException;
import io.chunkfs.store.Digest;
import io.chunkfs.store.Progress;
import io.chunkfs.store.StoreException;
import io.chunkfs.store.StoreFormat;
import io.chunkfs.store.StoreOptions;
import io.chunkfs.store.SyncLevel;
import io.chunkfs.store.local.LocalBackend;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * Chunks in an S3-compatible object store, the store folder being their bounded cache, as Proxmox Backup
 * Server 4 keeps an S3 datastore: one object per chunk at {@code PREFIX/.chunks/PP/DIGEST}, gc marks kept
 * locally (nothing is ever touched on the object store).
 *
 * <p>The store folder is a {@link LocalBackend} opened as a cache. At a chunk's name it holds the chunk, or a
 * 0-byte <em>marker</em> for a chunk stored only remotely (its size in the {@code user.chunkfs.size} xattr),
 * whose access time carries the gc mark as a chunk's would. Markers never leave this class: {@link #stat}
 * reports the chunk's size, {@link #openRead} fetches the chunk first, {@link #listResident} and the start-up
 * checks skip them, and a damaged cached chunk is replaced by a marker, so the next read fetches a good copy.
 *
 * <p>The invariant: a local entry (chunk or marker) names a chunk the object store has, except while it waits in
 * the {@link UploadQueue} of {@code upload=async}. Hence write-through inserts upload first and commit
 * locally after, and the sweep removes the local entry before the object. Inserts, and touches that learn of
 * an object, hold the chunk's prefix shared ({@link PrefixLocks}); a sweep holds it exclusively from its LIST to
 * its last DeleteObjects, so it never deletes an object an insert has just found (412) and is about to name.
 *
 * <p>Also in the folder: {@code .s3/locks} (the prefix locks), {@code .s3/queue/} (the upload queue),
 * {@code .s3/lease} (the host lease's holder id, {@link LeaseMembers}). In the bucket: {@code PREFIX/.chunkfs} (the
 * format, written at creation), {@code PREFIX/.leases/host} (one host per prefix, {@link S3Lease}: every
 * acknowledgement and every delete checks it first), {@code PREFIX/.leases/gc} (one collection at a time),
 * {@code DIGEST.N.bad} (set aside by verify).
 */
public final class S3Backend implements ChunkBackend {
    private static final Logger LOG = Logger.getLogger(S3Backend.class.getName());
    /**
     * How long a lease (the host's, a collection's) lasts without renewal: renewed every quarter of it, acted on
     * until a quarter before it ends, and taken over once its holder left it unrenewed for all of it. The system
     * property {@code chunkfs.s3.lease-seconds} changes it (tests, which would otherwise wait it out).
     */
    static final Duration DEFAULT_LEASE = Duration.ofSeconds(20);
    /** A chunk's upload may take at least this long at close(2), however small. */
    public static final Duration DEFAULT_COMMIT_TIMEOUT = Duration.ofSeconds(60);
    /** The slowest upload rate a big chunk's commit allows for before it gives up (1 MiB/s). */
    private static final long SLOWEST_BYTES_PER_SECOND = 1 << 20;

    private static final int QUEUE_CAPACITY = 1024;

    private final LocalBackend cache;
    private final S3Settings settings;
    private final S3Objects objects;
    private final ChunkCache lru;
    private final PrefixLocks locks;
    private final UploadQueue queue;
    private final S3Lease hostLease;
    /** This store folder's writers, sharing the host lease; null when read-only. */
    private final LeaseMembers members;
    /** The lease of the collection this process runs, while it runs. */
    private volatile S3Lease gcLease;

    private final Duration leaseDuration;
    private final Duration commitTimeout;
    private final CounterFile counterFile;
    private final Path queueFolder;
    /** What processes before this one counted (requests, cache hits and misses). */
    private final Map<String, Long> earlierCounts;

    /** Who holds leases, for people: this host and folder (an id follows, which tells holders apart). */
    private final String holder;
    /** Sizes of markers written without an xattr, learnt by HEAD. */
    private final Map<Digest, Long> markerSizes = new ConcurrentHashMap<>();

    /** Commit locally and upload from {@link #queue} ({@code upload=async}); else upload before the commit. */
    private final boolean asyncUploads;

    private final ChunkKeys keys;
    private final CacheUpkeep upkeep;
    private final S3Sweep sweep;

    private S3Backend(LocalBackend cache, S3Settings settings, S3Objects objects, StoreOptions options)
            throws IOException {
        this.cache = cache;
        this.settings = settings;
        this.objects = objects;
        this.lru = new ChunkCache(settings.cacheLimit());
        this.keys = new ChunkKeys(settings);
        Map<String, String> extra = new LinkedHashMap<>(options.backendOptions());
        String upload = extra.remove("upload");
        String timeout = extra.remove("commit-timeout");
        if (!extra.isEmpty()) {
            throw new StoreException("unknown option for an S3 store: "
                    + extra.keySet().iterator().next()
                    + " (known: upload=write-through|async, commit-timeout=SECONDS)");
        }
        this.commitTimeout = timeout == null ? DEFAULT_COMMIT_TIMEOUT : parseSeconds(timeout);
        boolean async;
        if (upload == null || upload.equals("write-through")) {
            async = false;
        } else if (upload.equals("async")) {
            async = true;
        } else {
            throw new StoreException("upload=" + upload + " is not an upload mode (write-through or async)");
        }
        Path own = cache.layout().root().resolve(".s3");
        this.queueFolder = own.resolve("queue");
        if (!options.readOnly()) {
            makeOwnFolders(cache.layout().root());
        }
        this.counterFile = new CounterFile(own);
        this.earlierCounts = counterFile.read();
        this.holder = hostName() + ":" + cache.layout().root().toAbsolutePath();
        this.leaseDuration = leaseDuration();
        this.locks = PrefixLocks.open(own.resolve("locks"));
        this.upkeep = new CacheUpkeep(cache, lru, locks, queueFolder, this::queuedHere);
        this.sweep = new S3Sweep(cache, objects, keys, locks, lru, this::queuedHere, this::checkBeforeDelete);
        if (options.readOnly()) {
            this.hostLease = null;
            this.members = null;
            this.queue = null;
            this.asyncUploads = false;
            return;
        }
        S3Lease lease = null;
        LeaseMembers joined = null;
        UploadQueue uploads = null;
        try {
            joined = LeaseMembers.join(own.resolve("lease"));
            lease = S3Lease.take(
                    objects,
                    keys.lease("host"),
                    holder + "#" + joined.id(),
                    leaseDuration,
                    options.clock(),
                    "the bucket prefix " + settings.url());
            // The queue folder exists in write-through mode too: what an async mount left is uploaded now.
            uploads = new UploadQueue(queueFolder, QUEUE_CAPACITY, 4, this::uploadCached);
            int left = uploads.drainLeftovers();
            if (left > 0) {
                LOG.info(() -> "uploading " + left + " chunks an earlier process queued");
            }
        } catch (IOException | RuntimeException e) {
            if (uploads != null) {
                uploads.close();
            }
            if (lease != null) {
                lease.close();
            }
            if (joined != null) {
                S3Lease taken = lease;
                try {
                    joined.leave(() -> releaseQuietly(taken));
                } catch (IOException | RuntimeException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            locks.close();
            throw e;
        }
        this.hostLease = lease;
        this.members = joined;
        this.queue = async || uploads.size() > 0 ? uploads : closeAndNull(uploads);
        this.asyncUploads = async;
    }

    /**
     * Deletes a lease object now, waiting at most 10 s (an endpoint that does not answer must not hold up an
     * unmount); if that fails, the lease expires by itself.
     */
    private static void releaseQuietly(S3Lease lease) {
        if (lease == null) {
            return;
        }
        java.util.concurrent.CompletableFuture<Void> released = new java.util.concurrent.CompletableFuture<>();
        Thread releasing = new Thread(
                () -> {
                    try {
                        lease.release();
                        released.complete(null);
                    } catch (IOException | RuntimeException e) {
                        released.completeExceptionally(e);
                    }
                },
                "chunkfs-s3-lease-release");
        releasing.setDaemon(true);
        releasing.start();
        try {
            released.get(10, java.util.concurrent.TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            LOG.warning(() -> "could not release a lease (it expires by itself): "
                    + e.getCause().getMessage());
        } catch (java.util.concurrent.TimeoutException e) {
            LOG.warning("could not release a lease within 10 s (it expires by itself)");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static Duration leaseDuration() {
        long seconds = Long.getLong("chunkfs.s3.lease-seconds", DEFAULT_LEASE.toSeconds());
        return Duration.ofSeconds(Math.max(1, seconds));
    }

    /**
     * Before an acknowledgement (an insert returning, a duplicate counted as stored): the host lease must still be
     * valid, else another holder may have taken the prefix over and its gc may remove what this one names.
     */
    private void checkBeforeAcknowledging() throws IOException {
        if (hostLease != null) {
            hostLease.check("acknowledge a chunk");
        }
    }

    /** Before any delete in the bucket: the host lease, and the collection's lease while one runs. */
    private void checkBeforeDelete() throws IOException {
        if (hostLease == null) {
            throw new StoreException("refused to delete in " + settings.url() + ": the store is open read-only");
        }
        hostLease.check("delete objects");
        S3Lease gc = gcLease;
        if (gc != null) {
            gc.check("delete objects");
        }
    }

    /** The host lease (tests). */
    S3Lease hostLease() {
        return hostLease;
    }

    /** Waits in this process's upload queue. */
    private boolean queuedHere(Digest digest) {
        return queue != null && queue.contains(digest);
    }

    private static UploadQueue closeAndNull(UploadQueue queue) {
        queue.close();
        return null;
    }

    private static Duration parseSeconds(String text) throws StoreException {
        long seconds;
        try {
            seconds = Long.parseLong(text.replaceAll("s$", ""));
        } catch (NumberFormatException e) {
            seconds = -1;
        }
        if (seconds < 1 || seconds > 86_400) {
            throw new StoreException("commit-timeout=" + text + " is not a number of seconds from 1 to 86400");
        }
        return Duration.ofSeconds(seconds);
    }

    private static String hostName() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
        } catch (IOException e) {
            return "unknown-host";
        }
    }

    /**
     * Creates an S3 store: checks that the bucket answers, records the store's format under the prefix (if none
     * is there) and creates the cache folder whose marker records {@code settings}.
     *
     * @return true if a new store folder was created
     */
    public static boolean init(Path root, boolean privateStore, S3Settings settings) throws IOException {
        try (S3Objects objects = new S3Objects(settings)) {
            objects.checkBucket();
            String marker = StoreFormat.markerText(settings.toProperties());
            objects.putBytes(new ChunkKeys(settings).format(), marker.getBytes(StandardCharsets.UTF_8), true);
        }
        boolean created = LocalBackend.init(root, privateStore, settings.toProperties());
        makeOwnFolders(root);
        return created;
    }

    /**
     * Makes {@code .s3} and {@code .s3/queue} where missing, as private as the store (no group or other bits on
     * its folder, as the local layout decides): queue entries name chunks.
     */
    private static void makeOwnFolders(Path root) throws IOException {
        boolean isPrivate = Files.getPosixFilePermissions(root).stream()
                .noneMatch(permission -> permission.name().startsWith("GROUP")
                        || permission.name().startsWith("OTHERS"));
        var mode = java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                java.nio.file.attribute.PosixFilePermissions.fromString(isPrivate ? "rwx------" : "rwxr-xr-x"));
        Path own = root.resolve(".s3");
        for (Path folder : List.of(own, own.resolve("queue"))) {
            if (!Files.isDirectory(folder)) {
                Files.createDirectory(folder, mode);
            }
        }
    }

    /** Opens an S3 store on its cache folder (already opened, whose marker says {@code backend=s3}). */
    public static S3Backend open(LocalBackend cache, StoreOptions options) throws IOException {
        String root = cache.layout().root().toString();
        S3Settings settings = S3Settings.fromProperties(root, cache.format().properties());
        S3Objects objects = new S3Objects(settings);
        try {
            return new S3Backend(cache, settings, objects, options);
        } catch (IOException | RuntimeException e) {
            objects.close();
            throw e;
        }
    }

    public S3Settings settings() {
        return settings;
    }

    @Override
    public Entry stat(Digest digest) throws IOException {
        Entry entry = cache.stat(digest);
        if (entry == null) {
            S3Objects.Listed remote = sweep.listed(digest);
            if (remote == null) {
                return null;
            }
            // Only a sweep sees it: an object no local entry names, unmarked by definition.
            FileTime never = FileTime.fromMillis(0);
            return new Entry(
                    true,
                    remote.size(),
                    never,
                    FileTime.from(remote.lastModified()),
                    new ChunkIdentity(0, never, remote.size()),
                    false);
        }
        if (CacheUpkeep.isMarker(entry, digest)) {
            return new Entry(true, markerSize(digest), entry.atime(), entry.mtime(), entry.identity(), false);
        }
        return entry;
    }

    private long markerSize(Digest digest) throws IOException {
        long size = cache.markerSize(digest);
        if (size >= 0) {
            return size;
        }
        Long known = markerSizes.get(digest);
        if (known != null) {
            return known;
        }
        S3Objects.Head head = objects.head(keys.chunk(digest));
        if (head == null) {
            return 0; // not cached: an insert of the chunk stores it again and the next look finds it
        }
        markerSizes.put(digest, head.size());
        return head.size();
    }

    @Override
    public Opened openRead(Digest digest) throws IOException {
        ChunkIdentity fetched = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            Entry entry = cache.stat(digest);
            if (entry == null) {
                throw new ChunkNotFoundException(digest);
            }
            if (CacheUpkeep.isMarker(entry, digest)) {
                fetched = fetch(digest);
                continue;
            }
            Opened opened = cache.openRead(digest);
            if (CacheUpkeep.isMarker(opened.identity().size(), digest)) {
                opened.channel().close(); // evicted between the look and the open
                continue;
            }
            lru.held(digest, opened.identity().size(), attempt == 0);
            // The very file this call fetched and hashed on the way in needs no second hash.
            return new Opened(
                    opened.channel(), opened.identity(), opened.identity().equals(fetched));
        }
        throw new ObjectStoreException(
                "could not keep " + digest + " in the cache long enough to open it (the"
                        + " cache is too small for the chunks being read)",
                null);
    }

    /**
     * Brings a chunk that only a marker names into the cache, verified whole.
     *
     * @return the identity of the file it published, or null if it found nothing to fetch
     */
    private ChunkIdentity fetch(Digest digest) throws IOException {
        ChunkIdentity published;
        // The prefix lock first (a sweep must not delete the object while its copy comes in), then the stripe.
        try (Closeable held = locks.shared(digest.prefixIndex());
                CacheUpkeep.Stripe stripe = upkeep.stripe(digest).hold()) {
            Entry entry = cache.stat(digest);
            if (entry == null || !CacheUpkeep.isMarker(entry, digest)) {
                return null; // fetched or removed meanwhile
            }
            long size = markerSize(digest);
            Staged staged = cache.stage();
            boolean publishedStaged = false;
            try {
                try (FileChannel channel = staged.channel()) {
                    MessageDigest sha256 = Digest.newSha256();
                    long got = objects.download(keys.chunk(digest), channel, size, sha256);
                    if (got < 0) {
                        LOG.warning(() -> "the cache names " + digest + " but " + locate(digest) + " is gone");
                        throw new ChunkNotFoundException(digest);
                    }
                    if (!Digest.of(sha256.digest()).equals(digest)) {
                        throw new ObjectStoreException(
                                locate(digest) + " does not match its digest (damaged in the"
                                        + " object store: 'chunkfs verify --remote' sets it aside)",
                                null);
                    }
                    lru.missed();
                    lru.held(digest, got, false);
                }
                // No fsync: a cached copy a crash damages is found by the verified read and fetched again.
                cache.publish(staged.name(), digest, SyncLevel.NONE);
                publishedStaged = true;
                Entry now = cache.stat(digest);
                published = now == null ? null : now.identity();
            } finally {
                if (!publishedStaged) {
                    cache.discard(staged.name());
                }
            }
        }
        upkeep.evictIfNeeded(digest);
        return published;
    }

    @Override
    public boolean touch(Digest digest, boolean awaitSweep) throws IOException {
        if (cache.touch(digest, awaitSweep)) {
            // A duplicate counts as stored because of this entry: only while no one else can have swept its object.
            checkBeforeAcknowledging();
            return true;
        }
        // No local entry: one HEAD tells whether the chunk exists; if so a marker keeps the mark. Nothing is
        // ever created in the object store.
        try (Closeable held = locks.shared(digest.prefixIndex())) {
            S3Objects.Head head = objects.head(keys.chunk(digest));
            if (head == null) {
                return false;
            }
            cache.placeMarker(digest, head.size());
            boolean touched = cache.touch(digest, false);
            checkBeforeAcknowledging();
            return touched;
        }
    }

    @Override
    public Optional<String> durabilityCaveat() {
        return cache.durabilityCaveat();
    }

    @Override
    public boolean makeDurable(Digest digest, SyncLevel level) throws IOException {
        boolean durable = cache.makeDurable(digest, level);
        checkBeforeAcknowledging();
        return durable;
    }

    @Override
    public Staged stage() throws IOException {
        return cache.stage();
    }

    @Override
    public void force(FileChannel staged) throws IOException {
        cache.force(staged);
    }

    /**
     * Write-through: uploads the staged bytes (unless the object store has them: 412), then commits them
     * locally, so a crash in between leaves at most an object no local entry names, which a later gc removes.
     * Async: commits locally and queues the upload durably.
     */
    @Override
    public void publish(String staged, Digest digest, SyncLevel level) throws IOException {
        long size;
        if (asyncUploads) {
            size = Files.size(cache.stagedPath(staged));
            // Queued before the commit, so no local entry ever names a chunk that is neither stored nor queued.
            boolean recorded = queue.record(digest, level != SyncLevel.NONE);
            try {
                cache.publish(staged, digest, level);
            } catch (IOException | RuntimeException e) {
                if (recorded && cache.stat(digest) == null) {
                    queue.forget(digest); // nothing committed: nothing to upload (another writer's copy stays queued)
                }
                throw e;
            }
            if (recorded) {
                queue.start(digest);
            }
        } else {
            try (Closeable held = locks.shared(digest.prefixIndex());
                    FileChannel channel = FileChannel.open(cache.stagedPath(staged), StandardOpenOption.READ)) {
                size = channel.size();
                try {
                    upload(digest, channel, size);
                    // Not named locally unless the object is still this holder's to keep.
                    checkBeforeAcknowledging();
                } catch (IOException e) {
                    LOG.warning(() -> "chunk " + digest + " not stored: " + e.getMessage());
                    throw e;
                }
                cache.publish(staged, digest, level);
            }
        }
        lru.held(digest, size, false);
        upkeep.evictIfNeeded(digest);
        checkBeforeAcknowledging();
    }

    private void upload(Digest digest, FileChannel channel, long size) throws IOException {
        Duration bySize = Duration.ofSeconds(size / SLOWEST_BYTES_PER_SECOND);
        Duration timeout = bySize.compareTo(commitTimeout) > 0 ? bySize : commitTimeout;
        objects.putIfAbsent(keys.chunk(digest), channel, size, digest, timeout);
    }

    /** The upload queue's uploader: the chunk as the cache holds it (queued chunks are never evicted). */
    private void uploadCached(Digest digest) throws IOException {
        try (Closeable held = locks.shared(digest.prefixIndex())) {
            Opened opened;
            try {
                opened = cache.openRead(digest);
            } catch (java.nio.file.NoSuchFileException e) {
                return; // removed meanwhile: nothing to upload
            }
            try (FileChannel channel = opened.channel()) {
                if (CacheUpkeep.isMarker(channel.size(), digest)) {
                    // A marker, or a chunk a crash under sync=none left empty: only the bucket can tell.
                    if (objects.head(keys.chunk(digest)) == null) {
                        LOG.severe(() -> "chunk " + digest + " was queued for upload but its bytes were lost"
                                + " before it was stored (a crash under sync=none?): insert it again");
                    }
                    return;
                }
                upload(digest, channel, channel.size());
            }
        }
    }

    @Override
    public void discard(String staged) throws IOException {
        cache.discard(staged);
    }

    @Override
    public Stream<Digest> list(int prefix) throws IOException {
        return cache.list(prefix);
    }

    @Override
    public Stream<Digest> listResident(int prefix) throws IOException {
        return cache.list(prefix).filter(digest -> {
            try {
                Entry entry = cache.stat(digest);
                return entry != null && !CacheUpkeep.isMarker(entry, digest);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    @Override
    public Closeable sweepPrefix(int prefix) throws IOException {
        return sweep.start(prefix);
    }

    @Override
    public PrefixScan scan(int prefix) throws IOException {
        return sweep.scan(prefix);
    }

    /** See {@link S3Sweep#deleteIfUnusedSince}: the local entry first, then the object. */
    @Override
    public Deletion deleteIfUnusedSince(Digest digest, long cutoffMillis) throws IOException {
        return sweep.deleteIfUnusedSince(digest, cutoffMillis, null);
    }

    /** As the two-argument form, and kept if the local entry's access time is no longer {@code seen}. */
    @Override
    public Deletion deleteIfUnusedSince(Digest digest, long cutoffMillis, FileTime seen) throws IOException {
        return sweep.deleteIfUnusedSince(digest, cutoffMillis, seen);
    }

    /**
     * A cached copy was found damaged (a verified read, verify): it is set aside locally and a marker takes
     * its place, so the next read fetches the object store's copy. A marker itself is never damaged.
     */
    @Override
    public String quarantine(Digest digest, ChunkIdentity identity) throws IOException {
        Entry entry = cache.stat(digest);
        if (entry != null && CacheUpkeep.isMarker(entry, digest)) {
            return null;
        }
        String where = cache.quarantine(digest, identity);
        lru.dropped(digest);
        if (where != null) {
            try (Closeable held = locks.shared(digest.prefixIndex())) {
                S3Objects.Head head = objects.head(keys.chunk(digest));
                if (head != null) {
                    cache.placeMarker(digest, head.size());
                }
            } catch (IOException e) {
                LOG.warning(() -> "could not look for a good copy of " + digest + ": " + e.getMessage());
            }
        }
        return where;
    }

    @Override
    public Opened openRemote(Digest digest) throws IOException {
        Staged staged = cache.stage();
        FileChannel channel = staged.channel();
        try {
            long got = objects.download(keys.chunk(digest), channel, -1, null);
            if (got < 0) {
                throw new ChunkNotFoundException(digest);
            }
            channel.truncate(got);
            channel.position(0);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        } finally {
            // The open channel keeps the bytes readable; the name goes now.
            cache.discard(staged.name());
        }
        return new Opened(channel, null);
    }

    /**
     * A remote copy is damaged: it is copied to {@code DIGEST.N.bad} and deleted. A good cached copy is uploaded
     * in its place; a damaged one is set aside locally too, and a marker removed.
     */
    @Override
    public String quarantineRemote(Digest digest) throws IOException {
        String key = keys.chunk(digest);
        String aside;
        try (Closeable held = locks.shared(digest.prefixIndex())) {
            int n = 0;
            for (S3Objects.Listed listed : objects.list(key + ".")) {
                String rest = listed.key().substring(key.length() + 1);
                if (rest.matches("[0-9]{1,9}\\.bad")) {
                    n = Math.max(n, Integer.parseInt(rest.substring(0, rest.indexOf('.'))) + 1);
                }
            }
            aside = key + "." + n + ".bad";
            objects.copy(key, aside);
            checkBeforeDelete();
            objects.delete(key);
            Entry entry = cache.stat(digest);
            if (entry != null && CacheUpkeep.isMarker(entry, digest)) {
                cache.deleteIfUnusedSince(digest, Long.MAX_VALUE);
                lru.dropped(digest);
            } else if (entry != null) {
                // A damaged entry in the cache (a folder, a FIFO, ...) has no bytes to store again: set aside too.
                try (FileChannel channel =
                        entry.chunk() ? cache.openRead(digest).channel() : null) {
                    if (channel != null
                            && FileHashing.digest(channel, channel.size()).equals(digest)) {
                        upload(digest, channel, channel.size());
                        LOG.warning(() -> locate(digest) + " was damaged: stored again from the cache");
                        return objects.url(aside);
                    }
                }
                cache.quarantine(digest, null);
                lru.dropped(digest);
            }
        }
        return objects.url(aside);
    }

    @Override
    public long rebuildCache(Progress progress) throws IOException {
        progress.phase("rebuild", PREFIXES);
        long made = 0;
        for (int prefix = 0; prefix < PREFIXES; prefix++) {
            String base = keys.prefix(prefix);
            // Held from the LIST to the last marker: no sweep deletes an object it is about to name.
            try (Closeable held = locks.shared(prefix)) {
                for (S3Objects.Listed listed : objects.list(base)) {
                    String name = listed.key().substring(base.length());
                    if (Digest.isValid(name)) {
                        Digest digest = Digest.parse(name);
                        if (cache.stat(digest) == null && cache.placeMarker(digest, listed.size())) {
                            made++;
                        }
                    }
                }
            }
            progress.advance(1);
        }
        return made;
    }

    @Override
    public long dropCache(Progress progress) throws IOException {
        return upkeep.dropAll(progress);
    }

    @Override
    public void sync(Instant started) throws IOException {
        cache.sync(started);
    }

    @Override
    public Space space() throws IOException {
        return cache.space();
    }

    @Override
    public Owner owner() throws IOException {
        return cache.owner();
    }

    @Override
    public long beginWriter() throws IOException {
        return cache.beginWriter();
    }

    @Override
    public void endWriter(long startMillis) throws IOException {
        cache.endWriter(startMillis);
    }

    @Override
    public OptionalLong oldestWriterStart() throws IOException {
        return cache.oldestWriterStart();
    }

    @Override
    public long removeLeftovers() throws IOException {
        return cache.removeLeftovers();
    }

    /** The store's gc lock, and the bucket prefix's gc lease: one collection at a time, whichever host runs it. */
    @Override
    public Closeable lockForGc() throws IOException {
        Closeable local = cache.lockForGc();
        try {
            if (hostLease != null) {
                hostLease.check("start a garbage collection");
            }
            S3Lease lease = S3Lease.take(
                    objects,
                    keys.lease("gc"),
                    holder + "#" + S3Lease.newId(),
                    leaseDuration,
                    java.time.Clock.systemUTC(),
                    "garbage collection of " + settings.url());
            gcLease = lease;
            return () -> {
                gcLease = null;
                try {
                    releaseQuietly(lease);
                } finally {
                    local.close();
                }
            };
        } catch (IOException | RuntimeException e) {
            local.close();
            throw e;
        }
    }

    @Override
    public Instant markClock() throws IOException {
        return cache.markClock();
    }

    @Override
    public void sweepStarting() throws IOException {
        cache.sweepStarting();
    }

    @Override
    public void sweepDone() throws IOException {
        cache.sweepDone();
    }

    /** The local recovery's checks, minus markers: a marker a crash left is no damaged chunk. */
    @Override
    public void startRecovery(Recheck check) {
        cache.startRecovery((suspects, progress) -> {
            List<Digest> chunks = new ArrayList<>();
            for (Digest digest : suspects) {
                Entry entry = cache.stat(digest);
                if (entry == null || !CacheUpkeep.isMarker(entry, digest)) {
                    chunks.add(digest);
                }
            }
            return check.verify(chunks, progress);
        });
    }

    @Override
    public Map<String, Long> counters() {
        upkeep.ensureIndexed();
        Map<String, Long> counters = new LinkedHashMap<>();
        counters.put("cache.bytes", lru.bytes());
        counters.put("cache.limit", lru.limit());
        ownCounts().forEach((name, count) -> counters.put(name, count + earlierCounts.getOrDefault(name, 0L)));
        if (queue != null) {
            counters.put("uploads.queued", (long) queue.size());
        }
        return counters;
    }

    /** What this process counted: cache hits and misses, requests by kind. */
    private Map<String, Long> ownCounts() {
        Map<String, Long> counts = new LinkedHashMap<>();
        counts.put("cache.hits", lru.hits());
        counts.put("cache.misses", lru.misses());
        objects.requests().forEach((kind, count) -> counts.put("requests." + kind, count));
        return counts;
    }

    @Override
    public Set<Capability> capabilities() {
        return EnumSet.of(
                Capability.ATOMIC_RENAME, Capability.USABLE_ATIME, Capability.REMOTE_VERIFY, Capability.CACHE);
    }

    @Override
    public String location() {
        return cache.location();
    }

    @Override
    public String locate(Digest digest) {
        return objects.url(keys.chunk(digest));
    }

    /** Waits for the upload queue to empty (tests); true if it did within {@code millis}. */
    public boolean awaitUploads(long millis) throws InterruptedException {
        return queue == null || queue.awaitEmpty(millis);
    }

    /** Stops uploads (what is queued stays queued on disk), the lease renewal, and closes the cache. */
    @Override
    public void close() throws IOException {
        upkeep.close();
        Map<String, Long> counted = ownCounts();
        if (counted.values().stream().anyMatch(count -> count > 0)) {
            try {
                counterFile.add(counted);
            } catch (IOException e) {
                LOG.fine(() -> "could not add to " + cache.layout().root() + "/.s3/counters: " + e);
            }
        }
        try {
            if (queue != null) {
                queue.close();
            }
            if (hostLease != null) {
                hostLease.close();
            }
            if (members != null) {
                // The last writer of this folder, in any process, hands the lease over at once.
                members.leave(() -> releaseQuietly(hostLease));
            }
            locks.close();
        } finally {
            try {
                objects.close();
            } finally {
                cache.close();
            }
        }
    }
}

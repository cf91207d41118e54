package io.chunkfs.store.s3;

import static io.chunkfs.testing.TestBytes.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkfs.Stores;
import io.chunkfs.store.ChunkBackend;
import io.chunkfs.store.ChunkStore;
import io.chunkfs.store.CorruptChunkException;
import io.chunkfs.store.Digest;
import io.chunkfs.store.GarbageCollector;
import io.chunkfs.store.GcResult;
import io.chunkfs.store.Progress;
import io.chunkfs.store.StoreException;
import io.chunkfs.store.StoreOptions;
import io.chunkfs.store.Verifier;
import io.chunkfs.store.VerifyResult;
import io.chunkfs.store.local.LocalBackend;
import io.chunkfs.testing.Await;
import io.chunkfs.testing.S3TestServer;
import io.chunkfs.testing.StorePaths;
import java.io.Closeable;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

/** What an S3 store promises beyond the seam's contract, against S3Proxy on 127.0.0.1. */
class S3BackendTest {
    private static S3TestServer server;
    private static S3Client bucketView;

    @TempDir
    Path dir;

    private String bucket;
    private Path root;

    @TempDir
    static Path serverDir;

    @BeforeAll
    static void startServer() throws Exception {
        server = S3TestServer.start(serverDir);
        bucketView = server.client();
    }

    @AfterAll
    static void stopServer() throws Exception {
        bucketView.close();
        server.close();
    }

    @BeforeEach
    void newStore() throws IOException {
        bucket = server.newBucket();
        root = dir.resolve("store");
        Stores.initS3(root, false, settings(64 << 10));
    }

    private S3Settings settings(long cacheLimit) {
        return S3Settings.forUrl("s3://" + bucket + "/p", server.endpoint(), "us-east-1", cacheLimit);
    }

    private ChunkStore open() throws IOException {
        return Stores.open(root, StoreOptions.defaults());
    }

    private static String key(Digest digest) {
        return "p/.chunks/" + digest.prefix() + "/" + digest;
    }

    private byte[] object(Digest digest) {
        return bucketView
                .getObjectAsBytes(b -> b.bucket(bucket).key(key(digest)))
                .asByteArray();
    }

    private boolean hasObject(String key) {
        try {
            bucketView.headObject(b -> b.bucket(bucket).key(key));
            return true;
        } catch (NoSuchKeyException e) {
            return false;
        }
    }

    private long wholeBytesInCache() throws IOException {
        try (Stream<Path> files = Files.walk(root.resolve(".chunks"))) {
            return files.filter(Files::isRegularFile)
                    .filter(file -> Digest.isValid(file.getFileName().toString()))
                    .mapToLong(file -> file.toFile().length())
                    .sum();
        }
    }

    private static long requests(ChunkStore store) {
        return store.counters().entrySet().stream()
                .filter(entry -> entry.getKey().startsWith("requests."))
                .mapToLong(Map.Entry::getValue)
                .sum();
    }

    @Test
    void everyInsertIsInTheBucketWhenItReturnsAndTheCacheStaysWithinItsLimit() throws Exception {
        List<byte[]> chunks = Stream.iterate(1, i -> i + 1)
                .limit(12)
                .map(i -> random(20_000, i))
                .toList();
        try (ChunkStore store = open()) {
            for (byte[] chunk : chunks) {
                Digest digest = store.insertChunk(chunk).digest();
                assertArrayEquals(chunk, object(digest), "uploaded before the insert returned");
            }
            Await.until(Duration.ofSeconds(30), "the cache within 64 KiB", () -> wholeBytesInCache() <= 64 << 10);
            for (byte[] chunk : chunks) {
                assertArrayEquals(chunk, store.loadChunk(Digest.sha256(chunk)), "read back, fetched if evicted");
            }
            assertTrue(store.counters().get("cache.misses") > 0, "some reads were fetched");
            assertTrue(store.counters().get("requests.get") > 0);
        }
    }

    @Test
    void aDuplicateCostsNoRequestWhetherCachedOrEvicted() throws IOException {
        byte[] data = random(10_000, 7);
        try (ChunkStore store = open()) {
            store.insertChunk(data);
            long before = requests(store);
            assertTrue(store.insertChunk(data).duplicate());
            assertEquals(before, requests(store), "a cached duplicate sends nothing");
            assertEquals(1, store.dropCache(Progress.NONE));
            assertEquals(0, Files.size(StorePaths.chunk(root, Digest.sha256(data))), "a 0-byte marker stays");
            assertTrue(store.insertChunk(data).duplicate());
            assertEquals(before, requests(store), "an evicted duplicate sends nothing either: its marker knows it");
            assertEquals(
                    data.length, store.stat(Digest.sha256(data)).orElseThrow().size(), "the marker's size");
        }
        try (ChunkStore store = Stores.open(root, StoreOptions.defaults().withReadOnly(true))) {
            Map<String, Long> counters = store.counters();
            // The host lease and the one upload: what the writing process counted, kept after it closed.
            assertEquals(2, counters.get("requests.put"), "counts since the store was created: " + counters);
            store.loadChunk(Digest.sha256(data));
            assertEquals(1, store.counters().get("cache.misses"), "this process's fetch adds to what was counted");
            // The writer's look at the lease and its re-read after writing it, and this fetch.
            assertEquals(3, store.counters().get("requests.get"));
        }
    }

    @Test
    void touchingAChunkTheCacheNeverSawCostsOneHeadAndKeepsTheMarkInAMarker() throws IOException {
        byte[] data = random(5_000, 8);
        Digest digest = Digest.sha256(data);
        bucketView.putObject(b -> b.bucket(bucket).key(key(digest)), RequestBody.fromBytes(data));
        Digest absent = Digest.sha256(random(5_000, 9));
        try (ChunkStore store = open()) {
            long heads = store.counters().get("requests.head");
            assertTrue(store.condTouchChunk(digest, false));
            assertEquals(heads + 1, store.counters().get("requests.head"));
            assertEquals(0, Files.size(StorePaths.chunk(root, digest)), "a marker carries the mark");
            assertTrue(store.condTouchChunk(digest, false), "now a local touch");
            assertEquals(heads + 1, store.counters().get("requests.head"), "no second HEAD");
            assertFalse(store.condTouchChunk(absent, false));
            assertFalse(hasObject(key(absent)), "a touch never creates an object");
            assertArrayEquals(data, store.loadChunk(digest), "the marker's chunk reads");
        }
    }

    @Test
    void gcSweepsByLocalMarksAndKeepsUploadsItHasNotSeen() throws Exception {
        byte[] kept = random(3_000, 10);
        byte[] unused = random(3_000, 11);
        byte[] evicted = random(3_000, 12);
        byte[] orphan = random(3_000, 13);
        byte[] fresh = random(3_000, 14);
        try (ChunkStore store = open()) {
            store.insertChunk(kept);
            store.insertChunk(unused);
            store.insertChunk(evicted);
        }
        bucketView.putObject(b -> b.bucket(bucket).key(key(Digest.sha256(orphan))), RequestBody.fromBytes(orphan));
        try (ChunkStore store = open()) {
            store.dropCache(Progress.NONE); // every chunk a marker now: marks live in markers too
        }
        // Last-Modified has whole seconds: what was uploaded so far must be over a second older than the cutoff.
        Instant uploaded = Instant.now();
        Await.until(
                Duration.ofSeconds(5), "two seconds passed", () -> Instant.now().isAfter(uploaded.plusSeconds(2)));
        GcResult result;
        try (ChunkStore store = open()) {
            GarbageCollector gc = new GarbageCollector(store, Duration.ZERO, Progress.NONE);
            // An upload by another host during the collection: after its start, never seen by this cache.
            gc.beforeSetAside(name -> {
                if (!hasObject(key(Digest.sha256(fresh)))) {
                    bucketView.putObject(
                            b -> b.bucket(bucket).key(key(Digest.sha256(fresh))), RequestBody.fromBytes(fresh));
                }
            });
            result = gc.collect(List.of(Digest.sha256(kept)).iterator());
            assertTrue(store.contains(Digest.sha256(kept)));
            assertFalse(store.contains(Digest.sha256(unused)));
            assertArrayEquals(kept, store.loadChunk(Digest.sha256(kept)));
        }
        assertEquals(1, result.marked());
        assertTrue(hasObject(key(Digest.sha256(kept))), "marked: kept");
        assertFalse(hasObject(key(Digest.sha256(unused))), "unmarked: swept from the bucket");
        assertFalse(hasObject(key(Digest.sha256(evicted))), "unmarked marker: swept");
        assertFalse(hasObject(key(Digest.sha256(orphan))), "an old object no local entry names: swept");
        assertTrue(hasObject(key(Digest.sha256(fresh))), "an upload after the cutoff stays");
        assertEquals(3, result.removedChunks());
        assertFalse(hasObject("p/.leases/gc"), "the gc lease is released");
    }

    @Test
    void verifyRemoteSetsADamagedObjectAsideAndStoresTheGoodCachedCopyAgain() throws IOException {
        byte[] data = random(8_000, 15);
        Digest digest = Digest.sha256(data);
        try (ChunkStore store = open()) {
            store.insertChunk(data);
        }
        damage(server.objectFile(bucket, key(digest)));
        try (ChunkStore store = open()) {
            assertTrue(new Verifier(store, 2, Progress.NONE).verifyAll().ok(), "the cached copy is good");
            VerifyResult remote = new Verifier(store, 2, Progress.NONE).verifyAll(true);
            assertEquals(List.of(digest), remote.bad());
        }
        assertTrue(hasObject(key(digest) + ".0.bad"), "set aside in the bucket");
        assertArrayEquals(data, object(digest), "stored again from the good cached copy");
        try (ChunkStore store = open()) {
            assertTrue(new Verifier(store, 2, Progress.NONE).verifyAll(true).ok());
        }
    }

    @Test
    void aDamagedCachedCopyIsFetchedAgainAndAMarkerIsNeverTakenForDamage() throws IOException {
        byte[] data = random(8_000, 16);
        byte[] other = random(8_000, 17);
        Digest digest = Digest.sha256(data);
        try (ChunkStore store = open()) {
            store.insertChunk(data);
            store.insertChunk(other);
            store.dropCache(Progress.NONE);
            assertArrayEquals(data, store.loadChunk(digest));
            VerifyResult local = new Verifier(store, 2, Progress.NONE).verifyAll();
            assertTrue(local.ok());
            assertEquals(1, local.checked(), "the marker of the other chunk is skipped, not called damaged");
        }
        damage(StorePaths.chunk(root, digest));
        try (ChunkStore store = open()) {
            assertThrows(CorruptChunkException.class, () -> store.loadChunk(digest));
            assertArrayEquals(data, store.loadChunk(digest), "the next read fetches the bucket's good copy");
            assertTrue(new Verifier(store, 2, Progress.NONE).verifyAll().ok());
        }
    }

    @Test
    void anUnreachableEndpointFailsInsertsAndLeavesNothingWhileCachedChunksStillRead() throws Exception {
        byte[] cached = random(4_000, 18);
        byte[] refused = random(4_000, 19);
        try (ChunkStore store = open()) {
            store.insertChunk(cached);
            server.stop();
            try {
                IOException failure = assertThrows(IOException.class, () -> store.insertChunk(refused));
                assertTrue(failure.getMessage().contains("PUT s3://" + bucket), failure.getMessage());
                assertFalse(store.contains(Digest.sha256(refused)), "nothing local names it");
                assertArrayEquals(cached, store.loadChunk(Digest.sha256(cached)), "cached chunks still read");
                try (Stream<Path> temps = Files.list(root.resolve(".tmp"))) {
                    assertEquals(0, temps.count(), "no staged bytes left behind");
                }
            } finally {
                server.start();
            }
            store.insertChunk(refused);
            assertArrayEquals(refused, object(Digest.sha256(refused)));
        }
    }

    @Test
    void asyncUploadsWaitInADurableQueueThatTheNextOpenDrains() throws Exception {
        byte[] data = random(6_000, 20);
        Digest digest = Digest.sha256(data);
        try (ChunkStore store = Stores.open(root, StoreOptions.defaults().withBackendOption("upload", "async"))) {
            server.stop();
            try {
                store.insertChunk(data);
                assertTrue(Files.exists(root.resolve(".s3/queue/" + digest)), "queued durably");
                assertEquals(1, store.counters().get("uploads.queued"));
            } finally {
                server.start();
            }
        }
        assertFalse(hasObject(key(digest)), "not uploaded while the endpoint was down");
        try (ChunkStore store = open()) {
            Await.until(
                    Duration.ofSeconds(60),
                    "the queue drained",
                    () -> !Files.exists(root.resolve(".s3/queue/" + digest)));
        }
        assertArrayEquals(data, object(digest));
    }

    @Test
    void aChunkAnotherProcessQueuedIsNeverEvicted() throws Exception {
        byte[] data = random(6_000, 25);
        Digest digest = Digest.sha256(data);
        try (ChunkStore async = Stores.open(root, StoreOptions.defaults().withBackendOption("upload", "async"));
                ChunkStore other = open()) {
            server.stop();
            try {
                async.insertChunk(data);
                assertEquals(0, other.dropCache(Progress.NONE), "queued by the other store: not dropped");
                assertEquals(data.length, Files.size(StorePaths.chunk(root, digest)), "still whole");
            } finally {
                server.start();
            }
        }
        try (ChunkStore store = open()) {
            Await.until(
                    Duration.ofSeconds(60),
                    "the queue drained",
                    () -> !Files.exists(root.resolve(".s3/queue/" + digest)));
        }
        assertArrayEquals(data, object(digest));
    }

    @Test
    void rebuildingTheCacheLearnsEveryChunkFromTheBucket() throws IOException {
        byte[] data = random(7_000, 21);
        Digest digest = Digest.sha256(data);
        try (ChunkStore store = open()) {
            store.insertChunk(data);
        }
        Files.delete(StorePaths.chunk(root, digest)); // the cache disk lost it
        try (ChunkStore store = open()) {
            assertFalse(store.contains(digest));
            assertEquals(1, store.rebuildCache(Progress.NONE));
            assertEquals(data.length, store.stat(digest).orElseThrow().size());
            assertArrayEquals(data, store.loadChunk(digest));
            assertEquals(0, store.rebuildCache(Progress.NONE), "nothing more to learn");
        }
    }

    @Test
    void aBigChunkGoesUpInPartsAndComesBackInRanges() throws IOException {
        Path big = dir.resolve("big");
        Files.createDirectories(big);
        Stores.initS3(big, false, settings(1 << 30).withMultipartThreshold(5 << 20));
        byte[] data = random(12 << 20, 22);
        Digest digest = Digest.sha256(data);
        try (ChunkStore store = Stores.open(big, StoreOptions.defaults())) {
            store.insertChunk(data);
            assertEquals(
                    data.length,
                    bucketView
                            .headObject(b -> b.bucket(bucket).key(key(digest)))
                            .contentLength());
            assertTrue(store.insertChunk(data).duplicate());
            store.dropCache(Progress.NONE);
            assertArrayEquals(data, store.loadChunk(digest));
        }
    }

    @Test
    void theServerRefusesBytesThatDoNotMatchTheirDigest() throws IOException {
        S3Settings settings = settings(1 << 20);
        byte[] data = random(1_000, 23);
        Digest wrong = Digest.sha256(random(1_000, 24));
        Path file = dir.resolve("body");
        Files.write(file, data);
        try (S3Objects objects = new S3Objects(settings);
                FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            ObjectStoreException refused = assertThrows(
                    ObjectStoreException.class,
                    () -> objects.putIfAbsent("p/x", channel, data.length, wrong, Duration.ofSeconds(30)));
            assertTrue(refused.getMessage().contains("BadDigest"), refused.getMessage());
            assertFalse(hasObject("p/x"));
            assertEquals(
                    S3Objects.Put.CREATED,
                    objects.putIfAbsent("p/x", channel, data.length, Digest.sha256(data), Duration.ofSeconds(30)));
            assertEquals(
                    S3Objects.Put.EXISTED,
                    objects.putIfAbsent("p/x", channel, data.length, Digest.sha256(data), Duration.ofSeconds(30)),
                    "If-None-Match: the second PUT is refused with 412");
        }
    }

    @Test
    void aSecondHostCannotOpenTheSamePrefixForWriting() throws IOException {
        Path other = dir.resolve("other-host-cache");
        System.setProperty(LEASE_SECONDS, "4");
        try (ChunkStore store = open()) {
            Stores.initS3(other, false, settings(1 << 20));
            // Refused once the holder is seen renewing its lease.
            StoreException refused =
                    assertThrows(StoreException.class, () -> Stores.open(other, StoreOptions.defaults()));
            assertTrue(refused.getMessage().contains("is held by"), refused.getMessage());
            Stores.open(other, StoreOptions.defaults().withReadOnly(true)).close();
        } finally {
            System.clearProperty(LEASE_SECONDS);
        }
    }

    private static final String LEASE_SECONDS = "chunkfs.s3.lease-seconds";

    @Test
    void closingTheStoreReleasesTheHostLeaseAtOnce() throws Exception {
        try (ChunkStore store = open()) {
            store.insertChunk(random(1_000, 40));
            assertTrue(hasObject("p/.leases/host"), "held while open");
        }
        assertFalse(hasObject("p/.leases/host"), "released by the close: the next host need not wait");
        Path other = dir.resolve("next-host-cache");
        Stores.initS3(other, false, settings(1 << 20));
        long start = System.nanoTime();
        try (ChunkStore next = Stores.open(other, StoreOptions.defaults())) {
            next.insertChunk(random(1_000, 41));
        }
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(millis < S3Backend.DEFAULT_LEASE.toMillis() / 2, "the next host took it at once: " + millis + " ms");
    }

    /**
     * A collection whose process stops renewing (SIGSTOP, a suspended VM) past its lease while another cache folder
     * takes the prefix over and writes: once it goes on, it deletes no object and acknowledges no insert.
     */
    @Test
    void aHolderPausedPastItsLeaseDeletesAndAcknowledgesNothingOnceAnotherTookItOver() throws Exception {
        byte[] unused = random(3_000, 42);
        byte[] kept = random(3_000, 43);
        try (ChunkStore store = open()) {
            store.insertChunk(unused);
            store.insertChunk(kept);
        }
        Files.setAttribute(
                StorePaths.chunk(root, Digest.sha256(unused)),
                "lastAccessTime",
                FileTime.from(Instant.now().minusSeconds(3_600)));
        Instant uploaded = Instant.now();
        Await.until(
                Duration.ofSeconds(5), "two seconds passed", () -> Instant.now().isAfter(uploaded.plusSeconds(2)));
        Path other = dir.resolve("other-host-cache");
        Stores.initS3(other, false, settings(1 << 20));
        byte[] theirs = random(3_000, 44);
        System.setProperty(LEASE_SECONDS, "4");
        StoreOptions options = StoreOptions.defaults();
        LocalBackend local = LocalBackend.openCache(root, options);
        S3Backend backend = S3Backend.open(local, options);
        try (ChunkStore store = ChunkStore.open(backend, local.openTree(), options)) {
            GarbageCollector gc = new GarbageCollector(store, Duration.ZERO, Progress.NONE);
            java.util.List<ChunkStore> taker = new java.util.ArrayList<>();
            // In the middle of the sweep this process stops renewing; its lease lapses and the other folder's
            // process takes it over (it waits for a whole lease of silence) and stores a chunk.
            gc.beforeSetAside(name -> {
                if (!taker.isEmpty()) {
                    return;
                }
                try {
                    backend.hostLease().pauseRenewalForTests(true);
                    ChunkStore next = Stores.open(other, StoreOptions.defaults());
                    taker.add(next);
                    next.insertChunk(theirs);
                    backend.hostLease().pauseRenewalForTests(false);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            try {
                IOException refused = assertThrows(
                        IOException.class,
                        () -> gc.collect(List.of(Digest.sha256(kept)).iterator()));
                assertTrue(refused.getMessage().contains("no longer holds the lease"), refused.getMessage());
                assertTrue(hasObject(key(Digest.sha256(unused))), "the paused collection deleted nothing");
                IOException notStored = assertThrows(IOException.class, () -> store.insertChunk(random(3_000, 45)));
                assertTrue(notStored.getMessage().contains("no longer holds the lease"), notStored.getMessage());
                assertThrows(IOException.class, () -> store.insertChunk(kept), "not even a duplicate counts as stored");
            } finally {
                for (ChunkStore next : taker) {
                    next.close();
                }
            }
        } finally {
            System.clearProperty(LEASE_SECONDS);
        }
        assertArrayEquals(theirs, object(Digest.sha256(theirs)));
        assertArrayEquals(kept, object(Digest.sha256(kept)));
    }

    @Test
    void wrongCredentialsAndAMissingBucketAreRefusedInOneLineSayingWhy() {
        Path other = dir.resolve("refused");
        String good = System.getProperty("aws.accessKeyId");
        System.setProperty("aws.accessKeyId", "someone-else");
        try {
            IOException refused = assertThrows(IOException.class, () -> Stores.initS3(other, false, settings(1 << 20)));
            assertTrue(
                    refused.getMessage().contains("403") && refused.getMessage().contains("credentials"),
                    refused.getMessage());
        } finally {
            System.setProperty("aws.accessKeyId", good);
        }
        IOException missing = assertThrows(
                IOException.class,
                () -> Stores.initS3(
                        other,
                        false,
                        S3Settings.forUrl("s3://no-such-bucket/p", server.endpoint(), "us-east-1", 1 << 20)));
        assertTrue(missing.getMessage().contains("does not exist"), missing.getMessage());
        assertFalse(missing.getMessage().contains("\n"));
        assertFalse(Files.exists(other.resolve(".chunkfs")), "no store folder made for a refused bucket");
    }

    @Test
    void badBackendOptionsAreRefusedInOneLine() {
        for (String[] option : new String[][] {
            {"upload", "later"},
            {"commit-timeout", "0"},
            {"commit-timeout", "-5"},
            {"commit-timeout", "soon"},
            {"colour", "blue"}
        }) {
            StoreException refused = assertThrows(
                    StoreException.class,
                    () -> Stores.open(root, StoreOptions.defaults().withBackendOption(option[0], option[1])));
            assertTrue(refused.getMessage().contains(option[0]), refused.getMessage());
            assertFalse(refused.getMessage().contains("\n"), refused.getMessage());
        }
    }

    @Test
    void theLocalBackendAloneRefusesAnS3StoreWhoseMarkersItWouldTakeForDamage() {
        StoreException refused =
                assertThrows(StoreException.class, () -> LocalBackend.open(root, StoreOptions.defaults()));
        assertTrue(refused.getMessage().contains("object store"), refused.getMessage());
    }

    private S3Backend openBackend() throws IOException {
        StoreOptions options = StoreOptions.defaults();
        return S3Backend.open(LocalBackend.openCache(root, options), options);
    }

    /** Whether {@code thread} waits for a prefix lock (a read-write lock), not for anything else. */
    private static boolean waitsForAPrefixLock(Thread thread) {
        Object blocker = LockSupport.getBlocker(thread);
        return blocker != null && blocker.getClass().getName().contains("ReentrantReadWriteLock");
    }

    @Test
    void aDeleteOutsideASweepTakesThePrefixBeforeItLooksSoThatAnInsertInFlightIsKept() throws Exception {
        byte[] data = random(4_000, 30);
        Digest digest = Digest.sha256(data);
        try (ChunkStore store = open()) {
            store.insertChunk(data);
        }
        Path chunk = StorePaths.chunk(root, digest);
        Files.setAttribute(chunk, "lastAccessTime", FileTime.from(Instant.now().minusSeconds(3_600)));
        long cutoff = System.currentTimeMillis() - 60_000;
        try (S3Backend backend = openBackend();
                PrefixLocks locks = PrefixLocks.open(root.resolve(".s3").resolve("locks"))) {
            // An insert of the same bytes: it found the object (412) and holds the prefix until its local commit.
            Closeable insert = locks.shared(digest.prefixIndex());
            CompletableFuture<ChunkBackend.Deletion> deletion = new CompletableFuture<>();
            Thread deleter = new Thread(() -> {
                try {
                    deletion.complete(backend.deleteIfUnusedSince(digest, cutoff));
                } catch (IOException | RuntimeException e) {
                    deletion.completeExceptionally(e);
                }
            });
            deleter.start();
            try {
                Await.until(
                        Duration.ofSeconds(30),
                        "the delete waiting for the prefix",
                        () -> waitsForAPrefixLock(deleter));
                assertTrue(Files.exists(chunk), "nothing removed before the prefix was held");
                assertTrue(backend.touch(digest, false), "the insert's touch lands");
            } finally {
                insert.close();
            }
            assertEquals(ChunkBackend.Deletion.KEPT, deletion.get(30, TimeUnit.SECONDS));
        }
        assertArrayEquals(data, object(digest), "the object the insert counted on stays");
        assertTrue(Files.exists(chunk));
    }

    @Test
    void anS3SweepKeepsAChunkTouchedSinceItsFirstLookEvenIfTheClockSteppedBack() throws Exception {
        byte[] data = random(4_000, 31);
        Digest digest = Digest.sha256(data);
        try (ChunkStore store = open()) {
            store.insertChunk(data);
        }
        Path chunk = StorePaths.chunk(root, digest);
        Files.setAttribute(chunk, "lastAccessTime", FileTime.from(Instant.now().minusSeconds(3_600)));
        // Last-Modified has whole seconds: the upload must be over a second older than the cutoff.
        Instant uploaded = Instant.now();
        Await.until(
                Duration.ofSeconds(5), "two seconds passed", () -> Instant.now().isAfter(uploaded.plusSeconds(2)));
        try (ChunkStore store = open()) {
            GarbageCollector gc = new GarbageCollector(store, Duration.ZERO, Progress.NONE);
            // Used between the sweep's look and its removal, stamped by a wall clock that stepped back: older
            // than the cutoff, but not what the sweep saw.
            gc.beforeSetAside(name -> {
                try {
                    Files.setAttribute(
                            chunk, "lastAccessTime", FileTime.from(Instant.now().minusSeconds(600)));
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            GcResult result = gc.collect(null);
            assertEquals(0, result.removedChunks(), "touched during the sweep");
            assertTrue(store.contains(digest));
        }
        assertArrayEquals(data, object(digest), "its object stays");
    }

    @Test
    void whatARunningSweepListedIsSeenByOtherThreads() throws Exception {
        byte[] data = random(4_000, 32);
        Digest digest = Digest.sha256(data);
        bucketView.putObject(b -> b.bucket(bucket).key(key(digest)), RequestBody.fromBytes(data));
        try (S3Backend backend = openBackend()) {
            assertEquals(null, backend.stat(digest), "no local entry, no sweep: unknown");
            java.util.concurrent.CountDownLatch listed = new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.CountDownLatch looked = new java.util.concurrent.CountDownLatch(1);
            CompletableFuture<Void> sweeper = CompletableFuture.runAsync(() -> {
                try (Closeable sweep = backend.sweepPrefix(digest.prefixIndex())) {
                    listed.countDown();
                    looked.await();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            try {
                assertTrue(listed.await(30, TimeUnit.SECONDS), "the sweep listed its prefix");
                assertEquals(data.length, backend.stat(digest).size(), "listed by the sweep of another thread");
            } finally {
                looked.countDown();
            }
            sweeper.get(30, TimeUnit.SECONDS);
            assertEquals(null, backend.stat(digest), "the sweep ended");
        }
    }

    private static void damage(Path file) throws IOException {
        file.toFile().setWritable(true);
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.seek(10);
            int b = raf.read();
            raf.seek(10);
            raf.write(b ^ 0xff);
        }
    }
}

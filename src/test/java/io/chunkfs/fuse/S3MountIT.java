package io.chunkfs.fuse;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkfs.store.Digest;
import io.chunkfs.testing.Await;
import io.chunkfs.testing.S3TestServer;
import io.chunkfs.testing.Shell;
import io.chunkfs.testing.StorePaths;
import io.chunkfs.testing.TestBytes;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * A real mount of a store whose chunks live in an S3 bucket (S3Proxy on 127.0.0.1, one server for the class, a
 * bucket per test), driven by real processes: cp in (write-through: the object is there when cp returns), cat
 * after eviction, touch and gc with marks, {@code verify --remote} of a damaged object, kill -9 during uploads,
 * an endpoint that went away, and {@code upload=async}. The bucket is looked into with the SDK's own client.
 */
class S3MountIT {
    private static final String PREFIX = "store";
    private static final long CACHE_LIMIT = 1 << 20;
    private static final int SMALL = 64 * 1024;

    @TempDir
    static Path serverDir;

    private static S3TestServer server;
    private static S3Client client;

    @TempDir
    Path dir;

    private String bucket;

    @BeforeAll
    static void startServer() throws Exception {
        server = S3TestServer.start(serverDir.resolve("objects"));
        client = server.client();
    }

    @AfterAll
    static void stopServer() throws Exception {
        try {
            if (client != null) {
                client.close();
            }
        } finally {
            if (server != null) {
                server.close();
            }
        }
    }

    @BeforeEach
    void newBucket() {
        bucket = server.newBucket();
    }

    // ---------------------------------------------------------------------------------------------------------

    /** cp in: each object is in the bucket when cp returns; the cache stays within its limit; evicted chunks read. */
    @Test
    void copiedFilesAreInTheBucketAndEvictedChunksReadBack() throws Exception {
        try (MountFixture mount = newStore("1M")) {
            mount(mount);
            Map<String, byte[]> files = new LinkedHashMap<>();
            files.put("big", TestBytes.random(3 << 20, 1000));
            for (int i = 0; i < 20; i++) {
                files.put("small-" + i, TestBytes.random(SMALL, 1001 + i));
            }
            for (Map.Entry<String, byte[]> file : files.entrySet()) {
                Path source = source(file.getKey(), file.getValue());
                copyIn(mount, source, file.getKey()).ok();
                // Write-through: no waiting; the object is there, right, as soon as cp returned.
                assertArrayEquals(
                        file.getValue(),
                        object(Digest.sha256(file.getValue())),
                        "object of " + file.getKey() + " right after cp");
            }

            // The cache folder settles within its limit: whole chunks for the recently used, 0-byte markers else.
            Await.until(
                    Duration.ofSeconds(30),
                    "the cache folder within " + CACHE_LIMIT + " bytes",
                    () -> residentBytes(mount.store) <= CACHE_LIMIT);
            List<Digest> evicted = new ArrayList<>();
            for (byte[] bytes : files.values()) {
                Digest digest = Digest.sha256(bytes);
                Path entry = StorePaths.chunk(mount.store, digest);
                assertTrue(Files.isRegularFile(entry, LinkOption.NOFOLLOW_LINKS), "a local entry names " + digest);
                long size = Files.size(entry);
                assertTrue(size == 0 || size == bytes.length, "a whole chunk or a marker: " + entry + " " + size);
                if (size == 0) {
                    evicted.add(digest);
                }
            }
            Digest big = Digest.sha256(files.get("big"));
            assertTrue(evicted.contains(big), "the 3 MiB chunk, bigger than the cache, was evicted");
            assertTrue(evicted.size() >= 5, "21 chunks of 4.25 MiB in a 1 MiB cache: evicted " + evicted.size());
            Map<String, Long> counters = counters(statusJson(mount));
            assertTrue(
                    counters.get("cache.bytes") <= counters.get("cache.limit"),
                    "status: cache.bytes within cache.limit: " + counters);
            assertEquals(CACHE_LIMIT, counters.get("cache.limit"));

            // ls -l shows the real sizes of evicted chunks (and of their receipts).
            StringBuilder ls = new StringBuilder();
            for (Digest digest : evicted) {
                ls.append("ls -l ").append(digest.prefix()).append('/').append(digest);
                ls.append(" | awk '{print $5}'\n");
            }
            List<String> sizes = mount.sh(ls.toString()).ok().out().lines().toList();
            assertEquals(evicted.size(), sizes.size());
            for (int i = 0; i < evicted.size(); i++) {
                assertEquals(
                        Long.toString(sizeOf(files, evicted.get(i))),
                        sizes.get(i),
                        "ls -l size of evicted " + evicted.get(i));
            }
            assertEquals(
                    Integer.toString(3 << 20),
                    mount.sh("ls -l incoming/big | awk '{print $5}'").ok().out().strip(),
                    "ls -l of the receipt of an evicted chunk");

            // cat of evicted chunks fetches them from the bucket: the right bytes (cmp, sha256sum).
            long missesBefore = counters.get("cache.misses");
            Digest smallEvicted =
                    evicted.stream().filter(d -> !d.equals(big)).findFirst().orElseThrow();
            for (Digest digest : List.of(big, smallEvicted)) {
                String name = nameOf(files, digest);
                mount.sh("cmp " + dir.resolve("src-" + name) + " " + digest.prefix() + "/" + digest)
                        .ok();
                assertEquals(
                        digest.toString(),
                        mount.sh("sha256sum " + digest.prefix() + "/" + digest + " | cut -d' ' -f1")
                                .ok()
                                .out()
                                .strip());
            }
            // And the receipt of an evicted chunk reads the right bytes too (receipts are read with direct_io).
            Digest another = evicted.stream()
                    .filter(d -> !d.equals(big) && !d.equals(smallEvicted))
                    .findFirst()
                    .orElseThrow();
            String anotherName = nameOf(files, another);
            mount.sh("cmp " + dir.resolve("src-" + anotherName) + " incoming/" + anotherName)
                    .ok();
            Map<String, Long> after = counters(statusJson(mount));
            assertTrue(after.get("cache.misses") >= missesBefore + 3, "the reads were misses: " + after);
            mount.unmount();
            assertTrue(mount.verify().ok(), "the store is valid");
        }
    }

    /** touch through the mount, then gc with marks: unmarked objects leave the bucket, marked ones stay. */
    @Test
    void gcWithMarksSweepsTheBucket() throws Exception {
        try (MountFixture mount = newStore("1M")) {
            byte[] a = TestBytes.random(SMALL, 2001);
            byte[] b = TestBytes.random(SMALL, 2002);
            byte[] c = TestBytes.random(SMALL, 2003);
            byte[] d = TestBytes.random(SMALL, 2004);
            byte[] filler = TestBytes.random((int) CACHE_LIMIT, 2005);
            // C and D, then a filler the size of the cache (C and D are evicted: only markers), then A and B
            // (the filler is evicted, A and B stay cached).
            mount(mount);
            copyIn(mount, source("c", c), "c").ok();
            copyIn(mount, source("d", d), "d").ok();
            copyIn(mount, source("filler", filler), "filler").ok();
            copyIn(mount, source("a", a), "a").ok();
            copyIn(mount, source("b", b), "b").ok();
            Digest da = Digest.sha256(a);
            Digest db = Digest.sha256(b);
            Digest dc = Digest.sha256(c);
            Digest dd = Digest.sha256(d);
            Digest df = Digest.sha256(filler);
            assertEquals(0, Files.size(StorePaths.chunk(mount.store, dc)), "C is a marker");
            assertEquals(0, Files.size(StorePaths.chunk(mount.store, dd)), "D is a marker");
            assertEquals(0, Files.size(StorePaths.chunk(mount.store, df)), "the filler is a marker");
            assertEquals(SMALL, Files.size(StorePaths.chunk(mount.store, db)), "B is cached");

            // touch of a chunk (cached or only a marker) is the conditional touch; of a missing one, ENOENT and
            // no object is made.
            mount.sh("touch " + da.prefix() + "/" + da + " " + dd.prefix() + "/" + dd)
                    .ok();
            Digest missing = Digest.sha256("never stored".getBytes(StandardCharsets.UTF_8));
            assertTrue(mount.sh("touch " + missing.prefix() + "/" + missing)
                    .fails()
                    .err()
                    .contains("No such file or directory"));
            assertNull(object(missing), "touch created no object");
            assertTrue(Files.notExists(StorePaths.chunk(mount.store, missing), LinkOption.NOFOLLOW_LINKS));
            mount.unmount();

            // An orphan, as a crash between the PUT and the local commit leaves it: an object no local entry
            // names. gc removes it too.
            byte[] orphan = TestBytes.random(SMALL, 2006);
            Digest dorphan = Digest.sha256(orphan);
            client.putObject(put -> put.bucket(bucket).key(key(dorphan)), RequestBody.fromBytes(orphan));

            // The sweep keeps objects whose Last-Modified (whole seconds) is within 1 s of the cutoff: wait
            // until the clock is past that for the orphan, the last of the ones to go.
            Instant newest = lastModified(dorphan);
            Await.until(
                    Duration.ofSeconds(5),
                    "the clock 1 s past " + newest,
                    () -> System.currentTimeMillis() > newest.toEpochMilli() + 1_100);

            Path marks = dir.resolve("marks");
            Files.writeString(marks, da + "\n" + dd + "\n", StandardCharsets.UTF_8);
            // The marks alone say what is in use (the files of incoming/ keep nothing): the Proxmox Backup Server way.
            String gc = cli(mount, "gc", "--tree-roots", "off", "--margin", "0s", "--mark", marks.toString(), "--json")
                    .ok()
                    .out();
            // B, C, the filler, the orphan, and the empty chunk every new file of the tree starts from.
            assertEquals(5, jsonNumber(gc, "removed_chunks"), gc);
            assertEquals(2, jsonNumber(gc, "marked"), gc);

            assertNull(object(db), "unmarked cached B is gone from the bucket");
            assertNull(object(dc), "unmarked evicted C is gone from the bucket");
            assertNull(object(df), "unmarked evicted filler is gone from the bucket");
            assertNull(object(dorphan), "the orphan is gone from the bucket");
            assertArrayEquals(a, object(da), "marked A kept");
            assertArrayEquals(d, object(dd), "marked D (a marker locally) kept");
            assertTrue(Files.notExists(StorePaths.chunk(mount.store, db), LinkOption.NOFOLLOW_LINKS));
            assertTrue(Files.notExists(StorePaths.chunk(mount.store, dc), LinkOption.NOFOLLOW_LINKS));
            assertTrue(Files.notExists(StorePaths.chunk(mount.store, df), LinkOption.NOFOLLOW_LINKS));
            assertEquals(SMALL, Files.size(StorePaths.chunk(mount.store, da)));
            assertEquals(0, Files.size(StorePaths.chunk(mount.store, dd)));
            assertNull(object(PREFIX + "/.leases/gc"), "the gc lease is released");
            assertTrue(mount.verify().ok(), "the store is valid after gc");

            // Through the mount: the kept marker reads back from the bucket, the swept chunk is gone.
            mount(mount);
            mount.sh("cmp " + dir.resolve("src-d") + " " + dd.prefix() + "/" + dd)
                    .ok();
            mount.sh("test ! -e " + db.prefix() + "/" + db + " && test ! -e incoming/b")
                    .ok();
        }
    }

    /** verify --remote finds a damaged object, sets it aside as .0.bad and stores a good cached copy again. */
    @Test
    void verifyRemoteSetsDamagedObjectsAside() throws Exception {
        try (MountFixture mount = newStore("1M")) {
            byte[] evictedBytes = TestBytes.random(SMALL, 3001);
            byte[] filler = TestBytes.random((int) CACHE_LIMIT, 3002);
            byte[] cachedBytes = TestBytes.random(SMALL, 3003);
            mount(mount);
            // Y, then a filler the size of the cache (Y is evicted), then X (the filler is evicted, X stays).
            copyIn(mount, source("y", evictedBytes), "y").ok();
            copyIn(mount, source("filler", filler), "filler").ok();
            copyIn(mount, source("x", cachedBytes), "x").ok();
            mount.unmount();
            Digest y = Digest.sha256(evictedBytes);
            Digest x = Digest.sha256(cachedBytes);
            Digest f = Digest.sha256(filler);
            assertEquals(0, Files.size(StorePaths.chunk(mount.store, y)), "Y is only a marker");
            assertEquals(SMALL, Files.size(StorePaths.chunk(mount.store, x)), "X is cached");

            damage(server.objectFile(bucket, key(x)));
            damage(server.objectFile(bucket, key(y)));
            Shell.Result verify = cli(mount, "verify", "--remote");
            assertEquals(1, verify.exit(), () -> "verify --remote: " + verify);
            assertTrue(verify.out().contains("bad: " + x), verify.out());
            assertTrue(verify.out().contains("bad: " + y), verify.out());
            assertTrue(verify.out().contains("2 bad"), verify.out());

            // Both set aside in the bucket with their damaged bytes.
            for (Digest digest : List.of(x, y)) {
                byte[] aside = object(key(digest) + ".0.bad");
                assertTrue(aside != null, "the bucket has " + key(digest) + ".0.bad");
                assertNotEquals(digest, Digest.sha256(aside));
            }
            // X had a good copy in the cache: stored again. Y had none: gone, and its marker with it.
            assertArrayEquals(cachedBytes, object(x), "the cached copy of X is stored again");
            assertNull(object(y), "the damaged Y is no longer under its name");
            assertTrue(Files.notExists(StorePaths.chunk(mount.store, y), LinkOption.NOFOLLOW_LINKS));
            assertArrayEquals(filler, object(f), "the undamaged filler is left alone");

            // Y's name is left without its chunk: verify says so, and gc drops the name.
            Shell.Result named = cli(mount, "verify");
            assertEquals(1, named.exit(), () -> "verify: " + named);
            assertTrue(named.out().contains("name without its chunk: " + y), named.out());
            cli(mount, "gc").ok();
            cli(mount, "verify").ok();
            Shell.Result again = cli(mount, "verify", "--remote");
            assertEquals(0, again.exit(), () -> "a second verify --remote finds nothing: " + again);
        }
    }

    /** kill -9 of the mount while writers copy in: every file whose cp returned 0 has its object in the bucket. */
    @Test
    void killDuringUploadsKeepsEveryAcknowledgedObject() throws Exception {
        try (MountFixture mount = newStore("1M")) {
            mount(mount);
            Path done = Files.createDirectories(dir.resolve("done"));
            String writer = "i=0; while :; do i=$((i+1)); f=" + dir + "/src-w$W-$i; "
                    + "head -c $(( (RANDOM % 128 + 1) * 1024 )) /dev/urandom > $f; "
                    + "cp $f incoming/w$W-$i && echo w$W-$i >> " + done + "/$W || exit 0; done";
            List<Process> writers = new ArrayList<>();
            for (int w = 0; w < 4; w++) {
                ProcessBuilder builder = new ProcessBuilder("bash", "-c", writer).directory(mount.mnt.toFile());
                builder.environment().put("W", Integer.toString(w));
                writers.add(builder.redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                        .start());
            }
            Await.until(Duration.ofMinutes(1), "60 acknowledged copies", () -> {
                assertTrue(writers.get(0).isAlive(), "writers died early");
                return acknowledged(done).size() >= 60;
            });
            Shell.run(dir, Map.of(), List.of("kill", "-9", Long.toString(mount.pid())), 10)
                    .ok();
            long killed = System.nanoTime();
            assertTrue(mount.process().waitFor(30, TimeUnit.SECONDS));
            for (Process process : writers) {
                assertTrue(process.waitFor(60, TimeUnit.SECONDS), "writers stop once the mount is gone");
            }
            mount.awaitMounted(false);

            List<String> acknowledged = acknowledged(done);
            assertTrue(acknowledged.size() >= 60);
            for (String name : acknowledged) {
                byte[] bytes = Files.readAllBytes(dir.resolve("src-" + name));
                assertArrayEquals(bytes, object(Digest.sha256(bytes)), "object of acknowledged " + name);
            }
            // The store left behind mounts again: the killed process's lease (default duration) is taken over once
            // it has gone unrenewed for a whole lease, within 30 s of the kill (verified after the unmount below).
            mount(mount);
            long remountMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed);
            System.out.println("S3MountIT: mounted again " + remountMillis + " ms after kill -9");
            assertTrue(remountMillis < 30_000, "mounted again within 30 s of the kill: " + remountMillis + " ms");
            String last = acknowledged.get(acknowledged.size() - 1);
            mount.sh("cmp " + dir.resolve("src-" + last) + " incoming/" + last).ok();
            copyIn(mount, source("after", TestBytes.random(SMALL, 4001)), "after")
                    .ok();
            mount.unmount();
            assertTrue(mount.verify().ok(), "the store is valid");
        }
    }

    /** The endpoint goes away: a new cp fails (EIO) within the commit timeout, cached chunks still read. */
    @Test
    void stoppedEndpointFailsWritesAndServesCachedReads() throws Exception {
        try (MountFixture mount = newStore("1M")) {
            mount(mount, "commit-timeout=5");
            byte[] before = TestBytes.random(SMALL, 5001);
            copyIn(mount, source("before", before), "before").ok();
            Digest cached = Digest.sha256(before);
            byte[] refused = TestBytes.random(SMALL, 5002);
            Digest lost = Digest.sha256(refused);
            Path refusedSource = source("refused", refused);
            server.stop();
            try {
                long start = System.nanoTime();
                Shell.Result cp = copyIn(mount, refusedSource, "refused");
                long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                assertNotEquals(0, cp.exit(), "cp to a store whose endpoint is down must fail");
                assertTrue(cp.err().contains("Input/output error"), cp.err());
                assertTrue(millis < 5_000 + 3_000, "cp failed within the commit timeout (5 s): " + millis + " ms");
                String reason = Files.readAllLines(mount.log).stream()
                        .filter(line ->
                                line.contains("chunk " + lost + " not stored") && line.contains("Connection refused"))
                        .findFirst()
                        .orElse(null);
                assertTrue(reason != null, () -> "a one-line reason in the mount log; log: " + readLog(mount));
                assertTrue(
                        Files.notExists(StorePaths.chunk(mount.store, lost), LinkOption.NOFOLLOW_LINKS),
                        "nothing of the refused file is in the cache folder");
                mount.sh("test ! -e " + lost.prefix() + "/" + lost).ok();

                // Cached chunks still read, by name and by receipt.
                mount.sh("cmp " + dir.resolve("src-before") + " " + cached.prefix() + "/" + cached + " && cmp "
                                + dir.resolve("src-before") + " incoming/before")
                        .ok();

                // An endpoint that takes connections and never answers: the commit timeout ends the wait.
                byte[] unanswered = TestBytes.random(SMALL, 5003);
                Digest hung = Digest.sha256(unanswered);
                try (ServerSocket silent = new ServerSocket()) {
                    silent.setReuseAddress(true);
                    silent.bind(
                            new InetSocketAddress("127.0.0.1", server.endpoint().getPort()), 64);
                    long hangStart = System.nanoTime();
                    Shell.Result hangs = copyIn(mount, source("unanswered", unanswered), "unanswered");
                    long hangMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - hangStart);
                    assertNotEquals(0, hangs.exit(), "cp to an endpoint that never answers must fail");
                    assertTrue(hangs.err().contains("Input/output error"), hangs.err());
                    assertTrue(
                            hangMillis >= 4_500 && hangMillis < 5_000 + 5_000,
                            "cp failed at the commit timeout (5 s): " + hangMillis + " ms");
                }
                assertTrue(
                        Files.readAllLines(mount.log).stream()
                                .anyMatch(line ->
                                        line.contains("chunk " + hung + " not stored") && line.contains("timeout")),
                        () -> "a one-line reason in the mount log; log: " + readLog(mount));
                assertTrue(Files.notExists(StorePaths.chunk(mount.store, hung), LinkOption.NOFOLLOW_LINKS));
            } finally {
                server.start();
            }
            assertNull(object(lost), "nothing of the refused file reached the bucket");
            copyIn(mount, refusedSource, "refused").ok();
            assertArrayEquals(refused, object(lost), "once the endpoint is back, cp works again");
            mount.unmount();
            assertTrue(mount.verify().ok(), "the store is valid");
        }
    }

    /** upload=async: cp returns before the upload (even with the endpoint down); the queue drains later. */
    @Test
    void asyncUploadsDrainLater() throws Exception {
        try (MountFixture mount = newStore("1M")) {
            mount(mount, "upload=async");
            List<byte[]> files = new ArrayList<>();
            server.stop();
            try {
                // With the endpoint down, only an upload that does not wait lets cp return 0.
                for (int i = 0; i < 5; i++) {
                    byte[] bytes = TestBytes.random(4 * SMALL, 6001 + i);
                    files.add(bytes);
                    copyIn(mount, source("a" + i, bytes), "a" + i).ok();
                }
                assertEquals(
                        6L,
                        counters(statusJson(mount)).get("uploads.queued"),
                        "five uploads queued, and the empty chunk the first new file started from");
                // 1.25 MiB in a 1 MiB cache, and none evicted: a queued chunk is the only copy.
                for (byte[] bytes : files) {
                    assertEquals(
                            4 * SMALL,
                            Files.size(StorePaths.chunk(mount.store, Digest.sha256(bytes))),
                            "a queued chunk stays whole in the cache");
                }
            } finally {
                server.start();
            }
            // Each status is a JVM start: wait on the queue folder first, then for the counter.
            Path queue = mount.store.resolve(".s3").resolve("queue");
            Await.until(Duration.ofSeconds(60), "the upload queue folder empty", () -> countFiles(queue) == 0);
            Await.until(
                    Duration.ofSeconds(30),
                    "uploads.queued reaching 0",
                    () -> counters(statusJson(mount)).get("uploads.queued") == 0);
            for (byte[] bytes : files) {
                assertArrayEquals(bytes, object(Digest.sha256(bytes)), "uploaded from the queue");
            }

            // Queued when the mount ends, by an unmount and by kill -9: the queue stays on disk and the next
            // mount (write-through) uploads it.
            List<byte[]> later = new ArrayList<>();
            server.stop();
            try {
                for (int i = 0; i < 3; i++) {
                    byte[] bytes = TestBytes.random(SMALL, 6101 + i);
                    later.add(bytes);
                    copyIn(mount, source("b" + i, bytes), "b" + i).ok();
                }
                mount.unmount();
            } finally {
                server.start();
            }
            assertEquals(3, countFiles(queue), "three uploads left queued on disk by the unmount");
            for (byte[] bytes : later) {
                assertNull(object(Digest.sha256(bytes)), "not uploaded while the endpoint was down");
            }
            // Killed below: a short lease, so that the next mount waits 4 s for it rather than 20.
            mountWithLease(mount, 4, "upload=async");
            Await.until(Duration.ofSeconds(60), "the queue left by the unmount drained", () -> countFiles(queue) == 0);
            server.stop();
            try {
                for (int i = 0; i < 3; i++) {
                    byte[] bytes = TestBytes.random(SMALL, 6201 + i);
                    later.add(bytes);
                    copyIn(mount, source("c" + i, bytes), "c" + i).ok();
                }
                Shell.run(dir, Map.of(), List.of("kill", "-9", Long.toString(mount.pid())), 10)
                        .ok();
                assertTrue(mount.process().waitFor(30, TimeUnit.SECONDS));
                mount.awaitMounted(false);
            } finally {
                server.start();
            }
            assertEquals(3, countFiles(queue), "three uploads left queued on disk by the killed mount");
            mount(mount);
            Await.until(
                    Duration.ofSeconds(60), "the queue left by the killed mount drained", () -> countFiles(queue) == 0);
            for (byte[] bytes : later) {
                assertArrayEquals(bytes, object(Digest.sha256(bytes)), "uploaded from the queue by a later mount");
            }
            mount.unmount();
            assertTrue(mount.verify().ok(), "the store is valid");
        }
    }

    /**
     * A byte-for-byte copy of a store folder at the same path on a host of the same name (a cloned VM or
     * container: here the copy is bound over the path in a private mount namespace) is refused while its twin holds
     * the lease, and a gc from it never runs.
     */
    @Test
    void aCloneOfTheStoreFolderAtTheSamePathIsRefusedWhileItsTwinHoldsTheLease() throws Exception {
        try (MountFixture mount = newStore("1M")) {
            mountWithLease(mount, 4);
            byte[] twin = TestBytes.random(SMALL, 7001);
            copyIn(mount, source("twin", twin), "twin").ok();
            Path clone = dir.resolve("clone");
            Shell.run(dir, Map.of(), List.of("cp", "-a", mount.store.toString(), clone.toString()), 60)
                    .ok();
            String inClone = "mount --bind " + clone + " " + mount.store + " && exec java -XX:TieredStopAtLevel=1 "
                    + LEASE + "4 -jar " + Shell.JAR + " -s " + mount.store + " gc --margin 0s";
            long start = System.nanoTime();
            Shell.Result gc = Shell.run(
                    dir,
                    S3TestServer.environment(),
                    List.of("unshare", "-m", "--propagation", "private", "bash", "-c", inClone),
                    120);
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            System.out.println("S3MountIT: the clone was refused after " + millis + " ms");
            assertNotEquals(0, gc.exit(), () -> "a gc from the clone must not run: " + gc);
            assertTrue(gc.err().contains("is held by"), gc.err());
            assertArrayEquals(twin, object(Digest.sha256(twin)), "the twin's chunk is still in the bucket");
            copyIn(mount, source("still", TestBytes.random(SMALL, 7002)), "still")
                    .ok();
            mount.unmount();
        }
    }

    /**
     * A mount paused (SIGSTOP) past its lease while another host's mount takes the prefix over and writes: once it
     * goes on (SIGCONT) it acknowledges nothing, not even a duplicate, and a gc from its folder deletes nothing.
     */
    @Test
    void aMountPausedPastItsLeaseAcknowledgesNothingOnceAnotherHostTookItOver() throws Exception {
        try (MountFixture mount = newStore("1M");
                MountFixture other = newStore(dir.resolve("other-host"), "1M")) {
            mountWithLease(mount, 4);
            byte[] before = TestBytes.random(SMALL, 8001);
            Path beforeSource = source("before", before);
            copyIn(mount, beforeSource, "before").ok();
            Shell.run(dir, Map.of(), List.of("kill", "-STOP", Long.toString(mount.pid())), 10)
                    .ok();
            byte[] theirs = TestBytes.random(SMALL, 8002);
            try {
                long start = System.nanoTime();
                mountWithLease(other, 4);
                System.out.println("S3MountIT: the other host took the lease over after "
                        + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) + " ms");
                copyIn(other, source("theirs", theirs), "theirs").ok();
            } finally {
                Shell.run(dir, Map.of(), List.of("kill", "-CONT", Long.toString(mount.pid())), 10)
                        .ok();
            }
            Shell.Result after = copyIn(mount, source("after", TestBytes.random(SMALL, 8003)), "after");
            assertNotEquals(0, after.exit(), "a write after the lease was taken over must fail");
            assertTrue(after.err().contains("Input/output error"), after.err());
            Shell.Result duplicate = copyIn(mount, beforeSource, "before-again");
            assertNotEquals(0, duplicate.exit(), "a duplicate is not acknowledged either");
            assertTrue(
                    Files.readAllLines(mount.log).stream().anyMatch(line -> line.contains("lost the lease")),
                    () -> "the mount's log says why; log: " + readLog(mount));
            Shell.Result gc = cli(mount, "gc", "--margin", "0s");
            assertNotEquals(0, gc.exit(), () -> "a gc from the paused mount's folder must not run: " + gc);
            assertArrayEquals(before, object(Digest.sha256(before)), "nothing deleted");
            assertArrayEquals(theirs, object(Digest.sha256(theirs)), "the new holder's chunk is there");
            copyIn(other, source("more", TestBytes.random(SMALL, 8004)), "more").ok();
            other.unmount();
            mount.unmount();
        }
    }

    /** A clean unmount deletes the lease object: another host's mount takes the prefix at once. */
    @Test
    void aCleanUnmountHandsTheLeaseOverAtOnce() throws Exception {
        try (MountFixture mount = newStore("1M");
                MountFixture other = newStore(dir.resolve("next-host"), "1M")) {
            mount(mount);
            copyIn(mount, source("first", TestBytes.random(SMALL, 9001)), "first")
                    .ok();
            assertTrue(object(PREFIX + "/.leases/host") != null, "held while mounted");
            // Another process on the same folder shares the mount's lease (no wait), and leaves it held when it ends.
            byte[] put = TestBytes.random(SMALL, 9003);
            long putStart = System.nanoTime();
            cli(mount, "put", source("put", put).toString()).ok();
            long putMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - putStart);
            assertTrue(putMillis < 15_000, "put joined the mount's lease at once: " + putMillis + " ms");
            assertArrayEquals(put, object(Digest.sha256(put)));
            assertTrue(object(PREFIX + "/.leases/host") != null, "still held: the mount uses it");
            mount.unmount();
            assertNull(object(PREFIX + "/.leases/host"), "released by the unmount");
            long start = System.nanoTime();
            mount(other);
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            System.out.println("S3MountIT: the next host mounted " + millis + " ms after the unmount");
            // Unreleased, the lease would have kept it waiting 20 s.
            assertTrue(millis < 15_000, "the next host mounted at once: " + millis + " ms");
            copyIn(other, source("second", TestBytes.random(SMALL, 9002)), "second")
                    .ok();
            other.unmount();
        }
    }

    // ---------------------------------------------------------------------------------------------------------

    /** A fixture whose store is a new S3 store on this test's bucket (not yet mounted). */
    private MountFixture newStore(String cacheSize) throws Exception {
        return newStore(dir, cacheSize);
    }

    /** A fixture in {@code base} whose store is a cache folder of this test's bucket prefix (another host's). */
    private MountFixture newStore(Path base, String cacheSize) throws Exception {
        MountFixture mount = new MountFixture(base);
        cli(
                        mount,
                        "init",
                        "--s3",
                        "s3://" + bucket + "/" + PREFIX,
                        "--endpoint",
                        server.endpoint().toString(),
                        "--region",
                        "us-east-1",
                        "--cache-size",
                        cacheSize)
                .ok();
        return mount;
    }

    private static void mount(MountFixture mount, String... options) throws Exception {
        mount.mountWith(List.of(), S3TestServer.environment(), List.of(), options);
    }

    /** Mounts with host leases of {@code seconds} (renewed every quarter of it) instead of 20 s. */
    private static void mountWithLease(MountFixture mount, int seconds, String... options) throws Exception {
        mount.mountWith(List.of(), S3TestServer.environment(), List.of(LEASE + seconds), options);
    }

    private static final String LEASE = "-Dchunkfs.s3.lease-seconds=";

    /**
     * Runs the chunkfs jar on this store with the test credentials in its environment. These runs are short and
     * load the whole AWS SDK: C1 alone starts them about a third faster.
     */
    private Shell.Result cli(MountFixture mount, String... args) {
        List<String> command = new ArrayList<>(List.of(
                "java",
                "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC",
                "-jar",
                Shell.JAR,
                "-s",
                mount.store.toString()));
        command.addAll(List.of(args));
        return Shell.run(dir, S3TestServer.environment(), command, 120);
    }

    private Path source(String name, byte[] bytes) throws Exception {
        Path source = dir.resolve("src-" + name);
        Files.write(source, bytes);
        return source;
    }

    private static Shell.Result copyIn(MountFixture mount, Path source, String name) {
        return Shell.run(
                mount.mnt,
                Map.of(),
                List.of(
                        "cp",
                        source.toString(),
                        mount.mnt.resolve("incoming").resolve(name).toString()),
                120);
    }

    private static String key(Digest digest) {
        return PREFIX + "/.chunks/" + digest.prefix() + "/" + digest;
    }

    /** The object's bytes, or null if the bucket has none at the key. */
    private byte[] object(String key) {
        try {
            return client.getObjectAsBytes(b -> b.bucket(bucket).key(key)).asByteArray();
        } catch (NoSuchKeyException e) {
            return null;
        }
    }

    private byte[] object(Digest digest) {
        return object(key(digest));
    }

    private Instant lastModified(Digest digest) {
        try {
            return client.headObject(b -> b.bucket(bucket).key(key(digest))).lastModified();
        } catch (S3Exception e) {
            throw new AssertionError("no object for " + digest, e);
        }
    }

    /** Flips a byte in the middle of a file, keeping its size. */
    private static void damage(Path file) throws Exception {
        assertTrue(Files.isRegularFile(file), "the object's file " + file);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long at = channel.size() / 2;
            ByteBuffer one = ByteBuffer.allocate(1);
            channel.read(one, at);
            one.flip();
            one.put(0, (byte) (one.get(0) ^ 0x5a));
            channel.write(one, at);
        }
    }

    /** Bytes of whole chunks (not markers) in the cache folder. */
    private static long residentBytes(Path store) throws Exception {
        long total = 0;
        try (Stream<Path> files = Files.walk(StorePaths.chunks(store))) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                if (Digest.isValid(file.getFileName().toString())) {
                    total += Files.size(file);
                }
            }
        }
        return total;
    }

    private static long countFiles(Path folder) throws Exception {
        try (Stream<Path> files = Files.list(folder)) {
            return files.count();
        }
    }

    private static long sizeOf(Map<String, byte[]> files, Digest digest) {
        return files.get(nameOf(files, digest)).length;
    }

    private static String nameOf(Map<String, byte[]> files, Digest digest) {
        return files.entrySet().stream()
                .filter(e -> Digest.sha256(e.getValue()).equals(digest))
                .findFirst()
                .orElseThrow()
                .getKey();
    }

    private static String statusJson(MountFixture mount) {
        return Shell.run(
                        mount.dir,
                        Map.of(),
                        List.of(
                                "java",
                                "-XX:TieredStopAtLevel=1",
                                "-jar",
                                Shell.JAR,
                                "status",
                                mount.mnt.toString(),
                                "--json"),
                        60)
                .ok()
                .out();
    }

    private static final Pattern COUNTER = Pattern.compile("\"([a-z.]+)\"\\s*:\\s*(-?\\d+)");

    /** The "counters" object of status or stats --json, as names and numbers. */
    private static Map<String, Long> counters(String json) {
        int at = json.indexOf("\"counters\"");
        assertTrue(at >= 0, "no counters in " + json);
        String object = json.substring(json.indexOf('{', at), json.indexOf('}', at) + 1);
        Map<String, Long> counters = new LinkedHashMap<>();
        Matcher matcher = COUNTER.matcher(object);
        while (matcher.find()) {
            counters.put(matcher.group(1), Long.parseLong(matcher.group(2)));
        }
        return counters;
    }

    private static long jsonNumber(String json, String name) {
        Matcher matcher = Pattern.compile("\"" + Pattern.quote(name) + "\"\\s*:\\s*(-?\\d+)")
                .matcher(json);
        assertTrue(matcher.find(), name + " in " + json);
        return Long.parseLong(matcher.group(1));
    }

    private static List<String> acknowledged(Path done) throws Exception {
        List<String> lines = new ArrayList<>();
        try (Stream<Path> files = Files.list(done)) {
            for (Path file : files.toList()) {
                lines.addAll(Files.readAllLines(file));
            }
        }
        return lines;
    }

    private static String readLog(MountFixture mount) {
        try {
            return Files.readString(mount.log);
        } catch (java.io.IOException e) {
            return "<unreadable: " + e + ">";
        }
    }
}

package io.chunkfs.store.local;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkfs.Stores;
import io.chunkfs.store.ChunkStore;
import io.chunkfs.store.Digest;
import io.chunkfs.store.Entry;
import io.chunkfs.store.EntryName;
import io.chunkfs.store.Namespace;
import io.chunkfs.store.Progress;
import io.chunkfs.store.StoreOptions;
import io.chunkfs.store.Verifier;
import io.chunkfs.store.VerifyResult;
import io.chunkfs.testing.Receipts;
import io.chunkfs.testing.S3TestServer;
import io.chunkfs.testing.StorePaths;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * An S3 store made by the release before the tree (format 2: the fixture {@code store-format-2-s3.tar.gz}, its
 * cache folder and its bucket's objects; the README beside it says how it was made), against S3Proxy: read as it
 * is by a read-only open, converted to format 3 by the first writable open, every receipt a file of the tree with
 * its chunk's size (asked of the bucket for a chunk the cache only holds a 0-byte marker of) and time.
 */
class S3StoreConversionTest {
    private static final Digest HELLO =
            Digest.parse("1fadbb8ed441494253a089fde36eb0e30f55be9b45ebc528e21969e99aaac6c6");
    private static final Digest NOTE = Digest.parse("a2a965af5e1ad95c9091fec856fa954c309b6050cba4e73eebe92434eb4607f1");
    private static final Digest PATTERN =
            Digest.parse("b56c58471e5e93f1329a5878b818e0cd23ab1a59925a7dc2b1576063a9109955");
    private static final Digest SECOND =
            Digest.parse("2d6ab9e071e03a26f523ca6caeef6dd5d428cdb55f5e0af6d5098ae792523cac");
    private static final List<Receipts.Receipt> RECEIPTS = List.of(
            new Receipts.Receipt("hello copy.txt", HELLO),
            new Receipts.Receipt("note.txt", NOTE),
            new Receipts.Receipt("pattern copy.bin", PATTERN),
            new Receipts.Receipt("second.bin", SECOND));
    private static final Map<Digest, Long> SIZES = Map.of(HELLO, 15L, NOTE, 21L, PATTERN, 70_000L, SECOND, 40_000L);

    private static S3TestServer server;

    @TempDir
    static Path serverDir;

    @TempDir
    Path dir;

    @BeforeAll
    static void startServer() throws Exception {
        server = S3TestServer.start(serverDir);
    }

    @AfterAll
    static void stopServer() throws Exception {
        server.close();
    }

    @Test
    void isReadAsItIsReadOnlyAndConvertedAtItsFirstWritableOpen() throws Exception {
        Path root = unpack();
        String marker = Files.readString(root.resolve(".chunkfs"));
        assertTrue(marker.startsWith("chunkfs-store 2\nbackend=s3\n"), marker);
        assertEquals(0, Files.size(StorePaths.chunk(root, HELLO)), "the fixture's cache holds markers of some chunks");
        assertEquals(0, Files.size(StorePaths.chunk(root, PATTERN)));

        try (ChunkStore store = Stores.open(root, StoreOptions.defaults().withReadOnly(true))) {
            assertEquals(RECEIPTS, Receipts.of(store).list());
            checkEntries(root, store);
        }
        assertEquals(marker, Files.readString(root.resolve(".chunkfs")), "a read-only open converts nothing");
        assertFalse(Files.exists(root.resolve("tree.db")));
        assertEquals(4, names(root.resolve("receipts")).size());

        try (ChunkStore store = Stores.open(root)) {
            assertEquals(
                    marker.replace("chunkfs-store 2\n", "chunkfs-store 3\n"),
                    Files.readString(root.resolve(".chunkfs")),
                    "version 3, every property kept");
            assertFalse(Files.exists(root.resolve("receipts")));
            assertFalse(store.tree().treeRoots());
            assertEquals(RECEIPTS, Receipts.of(store).list());
            checkEntries(root, store);
            for (Receipts.Receipt receipt : RECEIPTS) {
                assertEquals(
                        SIZES.get(receipt.digest()).longValue(),
                        store.loadChunk(receipt.digest()).length,
                        "fetched from the bucket if the cache holds a marker");
            }
            assertArrayEquals("hello, chunkfs\n".getBytes(UTF_8), store.loadChunk(HELLO));
            VerifyResult verified = new Verifier(store, 1, Progress.NONE).verifyAll();
            assertTrue(verified.ok(), verified.toString());
        }
        try (ChunkStore again = Stores.open(root)) {
            assertEquals(RECEIPTS, Receipts.of(again).list(), "converted once");
        }
    }

    /** Every receipt is a regular file of the tree with its chunk's size, and its time is the cache entry's. */
    private static void checkEntries(Path root, ChunkStore store) throws Exception {
        for (Receipts.Receipt receipt : RECEIPTS) {
            Entry entry = store.tree()
                    .lookup(Namespace.ROOT, EntryName.of(receipt.name()))
                    .orElseThrow();
            assertEquals(SIZES.get(receipt.digest()).longValue(), entry.size(), receipt.name());
            assertEquals(0644, entry.mode());
            assertEquals(
                    Files.getLastModifiedTime(StorePaths.chunk(root, receipt.digest()))
                            .to(TimeUnit.NANOSECONDS),
                    entry.mtime(),
                    receipt.name());
        }
    }

    /**
     * Unpacks the fixture: its cache folder, and its objects put into a new bucket of this test's server; the
     * marker's {@code s3.bucket} and {@code s3.endpoint} lines name them (nothing else of the fixture changes).
     */
    private Path unpack() throws Exception {
        StoreFixtures.unpack("store-format-2-s3.tar.gz", dir);
        String bucket = server.newBucket();
        Path objects = dir.resolve("bucket");
        try (S3Client client = server.client();
                Stream<Path> files = Files.walk(objects)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                String key = objects.relativize(file).toString();
                client.putObject(put -> put.bucket(bucket).key(key), RequestBody.fromFile(file));
            }
        }
        Path root = dir.resolve("store");
        String marker = Files.readString(root.resolve(".chunkfs"));
        String pointed = marker.replace("s3.bucket=fixture\n", "s3.bucket=" + bucket + "\n")
                .replaceAll("s3\\.endpoint=[^\n]*\n", "s3.endpoint=" + server.endpoint() + "\n");
        assertTrue(!pointed.equals(marker) && pointed.contains(bucket), pointed);
        Files.writeString(root.resolve(".chunkfs"), pointed);
        return root;
    }

    private static List<String> names(Path folder) throws Exception {
        try (Stream<Path> files = Files.list(folder)) {
            return files.map(file -> file.getFileName().toString()).sorted().toList();
        }
    }
}

package io.chunkfs.store.local;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkfs.Stores;
import io.chunkfs.store.ChunkStore;
import io.chunkfs.store.Digest;
import io.chunkfs.store.Entry;
import io.chunkfs.store.EntryName;
import io.chunkfs.store.EntryType;
import io.chunkfs.store.GarbageCollector;
import io.chunkfs.store.GcResult;
import io.chunkfs.store.Namespace;
import io.chunkfs.store.Progress;
import io.chunkfs.store.StoreOptions;
import io.chunkfs.store.Verifier;
import io.chunkfs.store.VerifyResult;
import io.chunkfs.testing.Receipts;
import io.chunkfs.testing.StorePaths;
import io.chunkfs.testing.TestStores;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Stores made by earlier builds (format version 1, unpacked from the archives next to this class; the README
 * there says how each was made) are converted to version 3 when first opened for writing (their receipts become
 * files of the tree), read as they are when opened read-only, and everything works on them.
 */
class EarlierReleaseStoreTest {
    private static final Digest HELLO =
            Digest.parse("1fadbb8ed441494253a089fde36eb0e30f55be9b45ebc528e21969e99aaac6c6");
    private static final Digest EMPTY =
            Digest.parse("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    private static final Digest PATTERN =
            Digest.parse("b56c58471e5e93f1329a5878b818e0cd23ab1a59925a7dc2b1576063a9109955");
    private static final Digest NOTE = Digest.parse("a2a965af5e1ad95c9091fec856fa954c309b6050cba4e73eebe92434eb4607f1");
    /** The bytes the release was given for each chunk. */
    private static final Map<Digest, byte[]> CHUNKS = Map.of(
            HELLO, "hello, chunkfs\n".getBytes(UTF_8),
            EMPTY, new byte[0],
            PATTERN, pattern(),
            NOTE, "a receipt of its own\n".getBytes(UTF_8));

    @TempDir
    Path dir;

    @Test
    void isConvertedWhenFirstOpenedForWritingAndReadsVerifiesAndCollects() throws Exception {
        Path root = unpack();
        byte[] marker = Files.readAllBytes(root.resolve(".chunkfs"));
        assertEquals("chunkfs-store 1\n", new String(marker, UTF_8));
        FileTime helloTime = Files.getLastModifiedTime(StorePaths.chunk(root, HELLO));
        FileTime noteTime = Files.getLastModifiedTime(StorePaths.chunk(root, NOTE));
        int uid = (Integer) Files.getAttribute(root, "unix:uid");
        int gid = (Integer) Files.getAttribute(root, "unix:gid");

        try (ChunkStore store = Stores.open(root)) {
            assertEquals("chunkfs-store 3\n", Files.readString(root.resolve(".chunkfs")), "converted to version 3");
            assertTrue(Files.isRegularFile(root.resolve("tree.db")));
            assertFalse(Files.exists(root.resolve("receipts")), "receipts/ is gone once converted");
            assertFalse(store.tree().treeRoots(), "a converted store's gc keeps only what it is told to");
            Entry hello = store.tree()
                    .lookup(Namespace.ROOT, EntryName.of("hello copy.txt"))
                    .orElseThrow();
            assertEquals(
                    List.of(EntryType.REGULAR, 0644, (long) uid, (long) gid, 15L, 1L, HELLO),
                    List.of(
                            hello.type(),
                            hello.mode(),
                            hello.uid(),
                            hello.gid(),
                            hello.size(),
                            hello.links(),
                            hello.digest()));
            long nanos = helloTime.to(TimeUnit.NANOSECONDS);
            assertEquals(
                    List.of(nanos, nanos, nanos),
                    List.of(hello.atime(), hello.mtime(), hello.ctime()),
                    "the chunk's mtime");
            Entry note = store.tree()
                    .lookup(Namespace.ROOT, EntryName.of("note.txt"))
                    .orElseThrow();
            assertEquals(List.of(21L, noteTime.to(TimeUnit.NANOSECONDS)), List.of(note.size(), note.mtime()));

            try (Stream<Digest> chunks = store.chunks()) {
                assertEquals(CHUNKS.keySet(), chunks.collect(Collectors.toSet()));
            }
            for (Map.Entry<Digest, byte[]> chunk : CHUNKS.entrySet()) {
                assertArrayEquals(chunk.getValue(), store.loadChunk(chunk.getKey()), chunk.getKey() + " read verified");
            }
            List<Receipts.Receipt> receipts =
                    List.of(new Receipts.Receipt("hello copy.txt", HELLO), new Receipts.Receipt("note.txt", NOTE));
            assertEquals(receipts, Receipts.of(store).list());
            assertEquals(HELLO, Receipts.of(store).get("hello copy.txt").orElseThrow());

            VerifyResult verified = new Verifier(store, 2, Progress.NONE).verifyAll();
            assertTrue(verified.ok(), verified.toString());
            assertEquals(4, verified.checked());
            assertEquals(15 + 0 + 70_000 + 21, verified.bytes());

            // With the default margin every chunk is too young to go: a collection that changes nothing.
            GcResult unchanged = collect(store, GarbageCollector.DEFAULT_MARGIN);
            assertEquals(List.of(4L, 0L, 4L, 2L, 0L), counts(unchanged), unchanged.toString());
            assertEquals(CHUNKS.size(), chunkFiles(root));

            // Without a margin, the chunks no receipt names go (however old all are) and the others stay readable.
            for (Digest digest : CHUNKS.keySet()) {
                TestStores.age(store, digest);
            }
            GcResult swept = collect(store, Duration.ZERO);
            assertEquals(List.of(4L, 2L, 2L, 2L, 0L), counts(swept), swept.toString());
            assertEquals(receipts, Receipts.of(store).list());
            assertArrayEquals(CHUNKS.get(NOTE), store.loadChunk(NOTE));
            assertEquals(PATTERN, store.insertChunk(pattern()).digest(), "a removed chunk can be stored again");
        }
        assertEquals("chunkfs-store 3\n", Files.readString(root.resolve(".chunkfs")));
        try (ChunkStore again = Stores.open(root)) {
            assertEquals(
                    List.of(new Receipts.Receipt("hello copy.txt", HELLO), new Receipts.Receipt("note.txt", NOTE)),
                    Receipts.of(again).list(),
                    "converted once: the tree is the store's from now on");
        }
    }

    /**
     * A read-only open ({@code chunkfs receipts}, {@code mount -o ro}) of an earlier release's store reads its
     * receipts from a tree built outside the store, removed when it closes, and changes no byte of the store.
     */
    @Test
    void aReadOnlyOpenReadsTheReceiptsAndWritesNothing() throws Exception {
        Path root = unpack();
        Map<String, String> before = TreeConversionTest.contents(root);
        Set<Path> temporary = temporaryTrees();
        StoreOptions readOnly = StoreOptions.defaults().withReadOnly(true);
        try (ChunkStore store = Stores.open(root, readOnly)) {
            assertEquals(
                    List.of(new Receipts.Receipt("hello copy.txt", HELLO), new Receipts.Receipt("note.txt", NOTE)),
                    Receipts.of(store).list());
            for (Map.Entry<Digest, byte[]> chunk : CHUNKS.entrySet()) {
                assertArrayEquals(chunk.getValue(), store.loadChunk(chunk.getKey()));
            }
            assertTrue(new Verifier(store, 1, Progress.NONE).verifyAll().ok());
            assertEquals(
                    1L,
                    temporaryTrees().stream()
                            .filter(path -> !temporary.contains(path))
                            .count(),
                    "one tree outside the store");
            try (ChunkStore second = Stores.open(root, readOnly)) {
                assertEquals(2, Receipts.of(second).list().size(), "read-only opens side by side");
            }
        }
        assertEquals(temporary, temporaryTrees(), "the temporary tree is removed at close");
        assertEquals(before, TreeConversionTest.contents(root), "not a byte of the store changed");
    }

    @Test
    void aStoreThisReleaseMakesIsVersion3WithItsTreeAndNoReceipts() throws Exception {
        Path root = dir.resolve("new");
        Stores.init(root);
        assertEquals("chunkfs-store 3\n", Files.readString(root.resolve(".chunkfs")));
        assertTrue(Files.isRegularFile(root.resolve("tree.db")));
        assertFalse(Files.exists(root.resolve("receipts")));
    }

    /**
     * A mount under {@code sync=filesystem} killed with {@code kill -9} leaves its writer record: the earlier
     * release's record must be read as "never fsynced its chunks", so that its chunk is checked. The chunk is
     * damaged here as a power cut might have left it: the check must set it aside, then drop the record.
     */
    @Test
    void aWriterRecordLeftByAKilledEarlierReleaseGetsItsChunksChecked() throws Exception {
        StoreFixtures.unpack("store-format-1-killed-writer.tar.gz", dir);
        Path root = dir.resolve("store");
        Path writers = root.resolve(".writers");
        assertEquals(List.of("55fe96e075ef1980"), names(writers));
        Digest killed = Digest.parse("88a39b17dc7d979e379bb6afb1ade76f44a528788336856ecba193ea79ef7aac");
        byte[] bytes = "written by a mount that was killed\n".getBytes(UTF_8);
        Path chunk = root.resolve(".chunks/88").resolve(killed.toString());
        assertArrayEquals(bytes, Files.readAllBytes(chunk));
        Files.write(chunk, new byte[bytes.length]);

        LocalBackend backend = LocalBackend.open(root, StoreOptions.defaults());
        try (ChunkStore store = ChunkStore.open(backend, backend.openTree(), StoreOptions.defaults())) {
            assertEquals("chunkfs-store 3\n", Files.readString(root.resolve(".chunkfs")), "converted");
            assertFalse(Files.exists(root.resolve("receipts")));
            assertTrue(backend.awaitRecovery(60_000), "the check of the dead writer's chunks ends");
            assertEquals(List.of(), names(writers), "the record goes once its chunks are checked");
            assertEquals(List.of(killed + ".0.bad"), names(chunk.getParent()), "set aside as verify does");
            assertEquals(
                    List.of(new Receipts.Receipt("killed.txt", killed)),
                    Receipts.of(store).list());
            store.insertChunk(bytes);
            assertArrayEquals(bytes, store.loadChunk(killed));
        }
    }

    /**
     * The first build (commit 27c3203) registered each write session as an empty file {@code START_MILLIS-ID};
     * its {@code put} killed while streaming left that record and a temporary file. Both are understood: the
     * temporary file goes, the record gets its process's chunks checked and then goes.
     */
    @Test
    void aStoreOfTheFirstBuildWithAKilledPutOpensAndIsCleanedUp() throws Exception {
        StoreFixtures.unpack("store-format-1-first-build.tar.gz", dir);
        Path root = dir.resolve("store");
        assertEquals(List.of("1795678384812-f01639766100ad51"), names(root.resolve(".writers")));
        assertEquals(List.of("f01639766100ad51-1"), names(root.resolve(".tmp")));
        Digest first = Digest.parse("08b065ff6bb0bb255d3e83e7e429bcd1636dabd300f50b50dc38941f36cc6208");

        LocalBackend backend = LocalBackend.open(root, StoreOptions.defaults());
        try (ChunkStore store = ChunkStore.open(backend, backend.openTree(), StoreOptions.defaults())) {
            assertTrue(backend.awaitRecovery(60_000), "the check of the dead writer's chunks ends");
            assertEquals(List.of(), names(root.resolve(".writers")));
            assertEquals(List.of(), names(root.resolve(".tmp")));
            try (Stream<Digest> chunks = store.chunks()) {
                assertEquals(Set.of(HELLO, first), chunks.collect(Collectors.toSet()));
            }
            assertArrayEquals(CHUNKS.get(HELLO), store.loadChunk(HELLO));
            assertArrayEquals("from the first build\n".getBytes(UTF_8), store.loadChunk(first));
            assertEquals(List.of(), Receipts.of(store).list());
            assertTrue(new Verifier(store, 1, Progress.NONE).verifyAll().ok());
            assertEquals("chunkfs-store 3\n", Files.readString(root.resolve(".chunkfs")), "converted, with no receipt");
            assertFalse(Files.exists(root.resolve("receipts")));
        }
    }

    /**
     * A writer of the first build (commit 27c3203) registered each session as an empty locked file named
     * {@code START_MILLIS-ID}: while such a process lives beside this release, gc must not take its empty record
     * for "no writer", and keeps every chunk instead.
     */
    @Test
    void aLiveWriterWhoseRecordCannotBeReadKeepsGcFromRemovingAnything() throws Exception {
        Path root = unpack();
        Path record = root.resolve(".writers/1764030000000-0123456789abcdef");
        Files.createFile(record);
        Process holder = LockHolder.start(record);
        try (ChunkStore store = Stores.open(root)) {
            for (Digest digest : CHUNKS.keySet()) {
                TestStores.age(store, digest);
            }
            assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
                GcResult whileLive = collect(store, Duration.ZERO);
                assertEquals(List.of(4L, 0L, 4L, 2L, 0L), counts(whileLive), whileLive.toString());
                assertEquals(2, whileLive.pendingChunks(), "kept only for the writer");

                holder.getOutputStream().close();
                assertEquals(0, holder.waitFor());
                GcResult afterwards = collect(store, Duration.ZERO);
                assertEquals(List.of(4L, 2L, 2L, 2L, 0L), counts(afterwards), afterwards.toString());
            });
        } finally {
            holder.destroyForcibly();
        }
        // Unreadable and dead: the next start checks every chunk, as for a writer that never synced, then drops it.
        LocalBackend backend = LocalBackend.open(root, StoreOptions.defaults());
        try (ChunkStore store = ChunkStore.open(backend, backend.openTree(), StoreOptions.defaults())) {
            assertTrue(backend.awaitRecovery(60_000), "the check of the dead writer's chunks ends");
            assertEquals(List.of(), names(root.resolve(".writers")), "the dead writer's record is gone");
        }
    }

    /** The folders of temporary trees in java.io.tmpdir ({@link TreeBuilder}). */
    private static Set<Path> temporaryTrees() throws Exception {
        try (Stream<Path> files = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return files.filter(file -> file.getFileName().toString().startsWith("chunkfs-tree-"))
                    .collect(Collectors.toSet());
        }
    }

    private static List<String> names(Path folder) throws Exception {
        try (Stream<Path> files = Files.list(folder)) {
            return files.map(file -> file.getFileName().toString()).sorted().toList();
        }
    }

    private Path unpack() throws Exception {
        StoreFixtures.unpack("store-format-1.tar.gz", dir);
        Path root = dir.resolve("store");
        assertEquals(256, TestStores.countFiles(StorePaths.chunks(root)), "every prefix folder, empty ones too");
        return root;
    }

    private static GcResult collect(ChunkStore store, Duration margin) throws Exception {
        Set<Digest> marks = Set.of(HELLO, NOTE);
        return new GarbageCollector(store, margin, Progress.NONE).collect(marks.iterator());
    }

    /** Chunks before, removed, kept, and how many of the marks were found and missing. */
    private static List<Long> counts(GcResult result) {
        return List.of(
                result.chunksBefore(),
                result.removedChunks(),
                result.keptChunks(),
                result.marked(),
                result.markedMissing());
    }

    private static long chunkFiles(Path root) throws Exception {
        try (Stream<Path> files = Files.walk(StorePaths.chunks(root))) {
            return files.filter(Files::isRegularFile)
                    .filter(file -> Digest.isValid(file.getFileName().toString()))
                    .count();
        }
    }

    /** The 70000 bytes of {@code pattern.bin}: byte i is (31 i + 7) mod 251. */
    private static byte[] pattern() {
        byte[] bytes = new byte[70_000];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) ((i * 31 + 7) % 251);
        }
        return bytes;
    }
}

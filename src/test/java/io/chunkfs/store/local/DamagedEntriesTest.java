package io.chunkfs.store.local;

import static io.chunkfs.testing.TestStores.chunkPath;
import static io.chunkfs.testing.TestStores.newStore;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkfs.Stores;
import io.chunkfs.store.ChunkStore;
import io.chunkfs.store.CorruptChunkException;
import io.chunkfs.store.DamagedEntry;
import io.chunkfs.store.Digest;
import io.chunkfs.store.GarbageCollector;
import io.chunkfs.store.GcResult;
import io.chunkfs.store.Progress;
import io.chunkfs.store.StoreOptions;
import io.chunkfs.store.Verifier;
import io.chunkfs.store.VerifyResult;
import io.chunkfs.testing.SpecialFiles;
import io.chunkfs.testing.StorePaths;
import io.chunkfs.testing.TestBytes;
import io.chunkfs.testing.TestStores;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A damaged entry (a folder, a FIFO, a socket, a symlink at a digest path) is reported by verify, gc and reads the
 * same way: verify and writable reads set it aside as {@code DIGEST.N.bad} and go on, gc leaves it in place.
 */
class DamagedEntriesTest {
    @TempDir
    Path dir;

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** Plants one damaged entry of each kind, at the digest of its kind's name; returns digest to kind. */
    private static Map<Digest, String> plantEach(ChunkStore store) throws Exception {
        Map<Digest, String> planted = new LinkedHashMap<>();
        for (String kind : SpecialFiles.KINDS) {
            Digest digest = Digest.sha256(bytes(kind));
            SpecialFiles.make(kind, chunkPath(store, digest));
            planted.put(digest, kind);
        }
        return planted;
    }

    private static Map<Digest, String> kinds(List<DamagedEntry> entries) {
        Map<Digest, String> kinds = new TreeMap<>();
        entries.forEach(entry -> kinds.put(entry.digest(), entry.kind()));
        return kinds;
    }

    @Test
    void verifyReportsEachKindSetsItAsideAndGoesOnWithTheOtherChunks() throws Exception {
        try (ChunkStore store = newStore(dir)) {
            Digest good = store.insertChunk(TestBytes.random(100_000, 1)).digest();
            Digest damaged = store.insertChunk(TestBytes.random(10_000, 2)).digest();
            chunkPath(store, damaged).toFile().setWritable(true);
            Files.write(chunkPath(store, damaged), TestBytes.random(10_000, 3));
            Map<Digest, String> planted = plantEach(store);

            VerifyResult result = assertTimeoutPreemptively(
                    Duration.ofSeconds(30), () -> new Verifier(store, 2, Progress.NONE).verifyAll());

            assertEquals(new TreeMap<>(planted), kinds(result.damagedEntries()), result.toString());
            assertEquals(List.of(damaged), result.bad(), "the chunks were checked all the same");
            assertEquals(2, result.checked());
            assertEquals(false, result.ok());
            for (DamagedEntry entry : result.damagedEntries()) {
                Path path = chunkPath(store, entry.digest());
                assertEquals(entry.digest() + ".0.bad", entry.setAsideAs(), entry.describe());
                assertNull(entry.notSetAside());
                assertEquals(path.toString(), entry.location());
                assertEquals(
                        "damaged entry: a " + entry.kind() + " at the digest path " + path + ", set aside as "
                                + entry.digest() + ".0.bad",
                        entry.describe());
                assertEquals("nothing", SpecialFiles.kind(path), "set aside: " + entry.describe());
                assertEquals(
                        entry.kind(),
                        SpecialFiles.kind(path.resolveSibling(entry.setAsideAs())),
                        "kept as it was, under its .bad name");
            }
            assertEquals("file", SpecialFiles.kind(chunkPath(store, good)));

            VerifyResult again = new Verifier(store, 2, Progress.NONE).verifyAll();
            assertTrue(again.ok(), again.toString());
            assertEquals(1, again.checked());

            // The next insert of the right bytes puts the chunk where the folder was.
            assertArrayEquals(
                    bytes("folder"),
                    store.loadChunk(store.insertChunk(bytes("folder")).digest()));
        }
    }

    @Test
    void verifyOfListedDigestsReportsADamagedEntryAndASecondOneGoesToTheNextBadName() throws Exception {
        try (ChunkStore store = newStore(dir)) {
            Digest digest = Digest.sha256(bytes("twice"));
            Path path = chunkPath(store, digest);
            for (int n = 0; n < 2; n++) {
                SpecialFiles.make("folder", path);
                VerifyResult result = new Verifier(store, 1, Progress.NONE)
                        .verify(List.of(digest).iterator());
                assertEquals(
                        List.of(new DamagedEntry(digest, "folder", path.toString(), digest + "." + n + ".bad", null)),
                        result.damagedEntries());
                assertEquals(List.of(), result.missing());
                assertEquals("folder", SpecialFiles.kind(path.resolveSibling(digest + "." + n + ".bad")));
            }
        }
    }

    @Test
    void gcReportsDamagedEntriesAndLeavesThemWhereTheyAre() throws Exception {
        try (ChunkStore store = newStore(dir)) {
            Digest old = store.insertChunk(bytes("old")).digest();
            TestStores.age(store, old);
            Map<Digest, String> planted = plantEach(store);

            GcResult result = new GarbageCollector(store, Duration.ZERO, Progress.NONE).collect(null);

            assertEquals(new TreeMap<>(planted), kinds(result.damagedEntries()), result.toString());
            for (DamagedEntry entry : result.damagedEntries()) {
                assertNull(entry.setAsideAs());
                assertTrue(entry.describe().contains("not set aside: gc leaves it"), entry.describe());
                assertEquals(entry.kind(), SpecialFiles.kind(chunkPath(store, entry.digest())), "left in place");
            }
            assertEquals(List.of(), result.oddities(), "reported as damaged entries, not as oddities");
            assertEquals(1, result.removedChunks(), "the sweep went on");
            assertEquals("nothing", SpecialFiles.kind(chunkPath(store, old)));
        }
    }

    @Test
    void aReadOfADamagedEntryIsRefusedCountedAndSetAsideUnlessTheStoreIsReadOnly() throws Exception {
        Path root;
        Map<Digest, String> planted;
        try (ChunkStore store = newStore(dir)) {
            root = TestStores.root(store);
            planted = plantEach(store);
        }
        try (ChunkStore readOnly = Stores.open(root, StoreOptions.defaults().withReadOnly(true))) {
            for (Map.Entry<Digest, String> entry : planted.entrySet()) {
                CorruptChunkException error = assertTimeoutPreemptively(
                        Duration.ofSeconds(10),
                        () -> assertThrows(CorruptChunkException.class, () -> readOnly.openVerified(entry.getKey())));
                assertEquals(entry.getKey(), error.digest());
                assertTrue(
                        error.getMessage()
                                .startsWith("damaged entry: a " + entry.getValue() + " at the digest path "
                                        + chunkPath(readOnly, entry.getKey()) + ", not set aside: read-only store"),
                        error.getMessage());
                assertEquals(entry.getValue(), SpecialFiles.kind(chunkPath(readOnly, entry.getKey())));
            }
            assertEquals(planted.size(), readOnly.damagedChunksRead());
        }
        try (ChunkStore store = Stores.open(root, StoreOptions.defaults())) {
            for (Map.Entry<Digest, String> entry : planted.entrySet()) {
                CorruptChunkException error = assertTimeoutPreemptively(
                        Duration.ofSeconds(10),
                        () -> assertThrows(CorruptChunkException.class, () -> store.loadChunk(entry.getKey())));
                assertTrue(
                        error.getMessage().contains(", set aside as " + entry.getKey() + ".0.bad; refused to serve"),
                        error.getMessage());
                assertEquals("nothing", SpecialFiles.kind(chunkPath(store, entry.getKey())));
                assertEquals(
                        entry.getValue(),
                        SpecialFiles.kind(chunkPath(store, entry.getKey()).resolveSibling(entry.getKey() + ".0.bad")));
            }
            assertEquals(planted.size(), store.damagedChunksRead());
        }
    }

    /**
     * Verify saw a damaged entry; before it is set aside, an insert puts the chunk (or someone another entry) under
     * the name. Only the entry that was seen is set aside: what is there now stays.
     */
    @Test
    void onlyTheDamagedEntrySeenIsSetAside() throws Exception {
        Path root = dir.resolve("store");
        Stores.init(root);
        Digest digest = Digest.sha256(bytes("raced"));
        Path path = StorePaths.chunk(root, digest);
        try (LocalBackend backend = LocalBackend.open(root, StoreOptions.defaults())) {
            SpecialFiles.make("FIFO", path);
            var seen = backend.stat(digest).identity();
            // Made before the first is gone, so that its inode number is another.
            Path other = dir.resolve("other");
            SpecialFiles.make("FIFO", other);
            Files.move(other, path, StandardCopyOption.REPLACE_EXISTING);
            assertNull(backend.quarantine(digest, seen), "another FIFO than the one seen");
            assertEquals("FIFO", SpecialFiles.kind(path), "put back under its name");
            assertEquals("nothing", SpecialFiles.kind(path.resolveSibling(digest + ".0.bad")));

            seen = backend.stat(digest).identity();
            Files.move(Files.write(other, bytes("raced")), path, StandardCopyOption.REPLACE_EXISTING);
            assertNull(backend.quarantine(digest, seen), "the chunk an insert put there");
            assertEquals("file", SpecialFiles.kind(path));

            Files.delete(path);
            SpecialFiles.make("folder", path);
            assertEquals(
                    digest + ".0.bad",
                    backend.quarantine(digest, backend.stat(digest).identity()));
            assertEquals("folder", SpecialFiles.kind(path.resolveSibling(digest + ".0.bad")));
        }
    }
}

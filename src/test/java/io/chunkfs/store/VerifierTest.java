package io.chunkfs.store;

import static io.chunkfs.testing.TestBytes.random;
import static io.chunkfs.testing.TestStores.chunkPath;
import static io.chunkfs.testing.TestStores.newStore;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VerifierTest {
    @TempDir
    Path dir;

    @Test
    void badChunksAreRenamedAsideNeverDeletedAndRestoredByTheNextInsert() throws Exception {
        try (ChunkStore store = newStore(dir)) {
            byte[] good = random(50_000, 1);
            Digest digest = store.insertChunk(good).digest();
            Digest fine =
                    store.insertChunk("fine".getBytes(StandardCharsets.UTF_8)).digest();
            Path chunk = chunkPath(store, digest);
            chunk.toFile().setWritable(true);
            Files.write(chunk, random(50_000, 2));

            VerifyResult result = new Verifier(store, 2, Progress.NONE).verifyAll();
            assertEquals(List.of(digest), result.bad());
            assertEquals(2, result.checked());
            assertFalse(result.ok());
            assertTrue(Files.exists(chunk.resolveSibling(digest + ".0.bad")));
            assertFalse(Files.exists(chunk));
            assertTrue(store.contains(fine));

            // A second bad copy goes to .1.bad, next to the first.
            Files.write(chunk, random(10, 3));
            new Verifier(store, 1, Progress.NONE).verify(List.of(digest).iterator());
            assertTrue(Files.exists(chunk.resolveSibling(digest + ".1.bad")));

            store.insertChunk(good);
            assertArrayEquals(good, store.loadChunk(digest));
            assertTrue(new Verifier(store, 2, Progress.NONE).verifyAll().ok());
        }
    }

    @Test
    void aListReportsMissingChunks() throws Exception {
        try (ChunkStore store = newStore(dir)) {
            Digest present = store.insertChunk("present".getBytes(StandardCharsets.UTF_8))
                    .digest();
            Digest missing = Digest.sha256("missing".getBytes(StandardCharsets.UTF_8));
            VerifyResult result = new Verifier(store, 2, Progress.NONE)
                    .verify(List.of(present, missing).iterator());
            assertEquals(List.of(missing), result.missing());
            assertEquals(1, result.checked());
            assertEquals("present".length(), result.bytes());
        }
    }

    /**
     * verify (or a damaged read) hashed a damaged file; before it sets the name aside, an insert puts good
     * bytes under that name. The good copy stays; only the damaged file would have been set aside.
     */
    @Test
    void settingAsideLeavesAGoodCopyAnInsertPutUnderTheNameMeanwhile() throws Exception {
        try (ChunkStore store = newStore(dir)) {
            byte[] good = random(10_000, 3);
            Digest digest = store.insertChunk(good).digest();
            Path chunk = chunkPath(store, digest);
            Files.delete(chunk);
            Files.write(chunk, random(10_000, 4));
            long damaged = (Long) Files.getAttribute(chunk, "unix:ino");
            // The insert of the good bytes replaces the damaged file (same size: only while it is suspect, so
            // here by a rename of a fresh copy, as an insert's publish does).
            Path fresh = Files.write(dir.resolve("fresh"), good);
            Files.move(
                    fresh,
                    chunk,
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);

            // Only the version asked about is set aside: the damaged file is gone from the name.
            assertEquals(null, store.quarantine(digest, new ChunkIdentity(damaged, null, 0)));
            assertArrayEquals(good, Files.readAllBytes(chunk), "the good copy stays under its name");
            assertFalse(Files.exists(chunk.resolveSibling(digest + ".0.bad")));

            assertEquals(
                    digest + ".0.bad",
                    store.quarantine(digest, store.entry(digest).identity()));
            assertFalse(Files.exists(chunk), "the file it was asked about is set aside");
        }
    }

    /**
     * A chunk removed behind the store's back, and one set aside as damaged by this very verify: every name of
     * either is reported with its path in the tree (bytes that are not UTF-8 kept) and its digest; the tree is left
     * as it is. A verify of given digests does not look at the tree.
     */
    @Test
    void namesWhoseChunkIsMissingAreReportedWithTheirPaths() throws Exception {
        try (ChunkStore store = newStore(dir)) {
            Namespace tree = store.tree();
            Digest removed = store.insertChunk("removed behind the store's back".getBytes(StandardCharsets.UTF_8))
                    .digest();
            byte[] good = random(1000, 5);
            Digest damaged = store.insertChunk(good).digest();
            Digest fine =
                    store.insertChunk("fine".getBytes(StandardCharsets.UTF_8)).digest();
            long folder = tree.create(Namespace.ROOT, EntryName.of("docs"), NewEntry.folder(0755, 0, 0, 1L))
                    .inode();
            EntryName latin1 = EntryName.of(new byte[] {'c', 'a', 'f', (byte) 0xe9});
            tree.create(folder, latin1, NewEntry.file(removed, 31, 0644, 0, 0, 1L));
            tree.create(Namespace.ROOT, EntryName.of("removed.txt"), NewEntry.file(removed, 31, 0644, 0, 0, 1L));
            tree.create(Namespace.ROOT, EntryName.of("damaged.bin"), NewEntry.file(damaged, 1000, 0644, 0, 0, 1L));
            tree.create(Namespace.ROOT, EntryName.of("fine.txt"), NewEntry.file(fine, 4, 0644, 0, 0, 1L));
            assertTrue(new Verifier(store, 2, Progress.NONE).verifyAll().ok());

            Files.delete(chunkPath(store, removed));
            Path chunk = chunkPath(store, damaged);
            chunk.toFile().setWritable(true);
            Files.write(chunk, random(1000, 6));
            VerifyResult result = new Verifier(store, 2, Progress.NONE).verifyAll();

            assertFalse(result.ok());
            assertTrue(result.treeChecked());
            assertEquals(3, result.namedChunks());
            assertEquals(List.of(damaged), result.bad());
            assertEquals(List.of(), result.missing(), "only digests asked for are 'missing'");
            assertEquals(
                    List.of(
                            new VerifyResult.NameWithoutChunk(
                                    TreePath.of(List.of(EntryName.of("damaged.bin"))), damaged),
                            new VerifyResult.NameWithoutChunk(
                                    TreePath.of(List.of(EntryName.of("docs"), latin1)), removed),
                            new VerifyResult.NameWithoutChunk(
                                    TreePath.of(List.of(EntryName.of("removed.txt"))), removed)),
                    result.namesWithoutChunk());
            assertEquals(
                    "docs/caf\\xe9", result.namesWithoutChunk().get(1).path().escaped());
            assertTrue(tree.lookup(folder, latin1).isPresent(), "verify changes nothing in the tree");

            VerifyResult listed =
                    new Verifier(store, 2, Progress.NONE).verify(List.of(fine).iterator());
            assertTrue(listed.ok(), "a verify of given digests does not check the tree");
            assertFalse(listed.treeChecked());

            store.insertChunk(good);
            assertEquals(
                    List.of(
                            new VerifyResult.NameWithoutChunk(
                                    TreePath.of(List.of(EntryName.of("docs"), latin1)), removed),
                            new VerifyResult.NameWithoutChunk(
                                    TreePath.of(List.of(EntryName.of("removed.txt"))), removed)),
                    new Verifier(store, 2, Progress.NONE).verifyAll().namesWithoutChunk(),
                    "the damaged chunk's bytes came back");
        }
    }
}

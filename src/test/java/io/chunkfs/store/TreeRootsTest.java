package io.chunkfs.store;

import static io.chunkfs.testing.TestStores.age;
import static io.chunkfs.testing.TestStores.newStore;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkfs.Stores;
import io.chunkfs.testing.Receipts;
import io.chunkfs.testing.TestStores;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** gc with the tree as a set of roots ({@link Namespace#treeRoots()}), and without. */
class TreeRootsTest {
    @TempDir
    Path dir;

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static GcResult collect(ChunkStore store) throws IOException {
        return new GarbageCollector(store, Duration.ZERO, Progress.NONE).collect(null);
    }

    private static Entry file(ChunkStore store, long folder, String name, Digest digest) throws IOException {
        long size = store.stat(digest).orElseThrow().size();
        return store.tree().create(folder, EntryName.of(name), NewEntry.file(digest, size, 0644, 0, 0, 1L));
    }

    @Test
    void everyChunkTheTreeNamesIsKeptAndTheChunkOfARemovedFileIsNot() throws Exception {
        try (ChunkStore store = newStore(dir)) {
            assertTrue(store.tree().treeRoots(), "on for a new store");
            Namespace tree = store.tree();
            Digest top = store.insertChunk(bytes("top")).digest();
            Digest deep = store.insertChunk(bytes("deep")).digest();
            Digest linked = store.insertChunk(bytes("linked")).digest();
            Digest removed = store.insertChunk(bytes("removed")).digest();
            Digest unnamed = store.insertChunk(bytes("never named")).digest();
            file(store, Namespace.ROOT, "top.txt", top);
            file(store, Namespace.ROOT, "top again.txt", top);
            long docs = tree.create(Namespace.ROOT, EntryName.of("docs"), NewEntry.folder(0755, 0, 0, 1L))
                    .inode();
            long deeper = tree.create(docs, EntryName.of("deeper"), NewEntry.folder(0755, 0, 0, 1L))
                    .inode();
            file(store, deeper, "deep.txt", deep);
            Entry original = file(store, docs, "original", linked);
            tree.link(original.inode(), Namespace.ROOT, EntryName.of("hard link"));
            tree.unlink(docs, EntryName.of("original"));
            file(store, docs, "removed.txt", removed);
            tree.unlink(docs, EntryName.of("removed.txt"));
            for (Digest digest : List.of(top, deep, linked, removed, unnamed)) {
                age(store, digest);
            }

            GcResult result = collect(store);

            assertTrue(store.contains(top));
            assertTrue(store.contains(deep), "named in a folder two levels down");
            assertTrue(store.contains(linked), "named by the other name of its inode");
            assertFalse(store.contains(removed), "its only file was removed before the collection");
            assertFalse(store.contains(unnamed));
            assertTrue(result.treeRoots());
            assertEquals(3, result.treeMarked(), "each named chunk once: " + result);
            assertEquals(0, result.treeMissing());
            assertEquals(0, result.marked());
            assertEquals(2, result.removedChunks());
            assertEquals(3, result.keptChunks());
            assertEquals(0, result.removedReceipts());
            assertNull(result.stopped());
            assertEquals(
                    Optional.of(deep),
                    tree.lookup(deeper, EntryName.of("deep.txt")).map(Entry::digest),
                    "names are left alone");
        }
    }

    /**
     * A name made while the sweep runs keeps its chunk: the insert that precedes it touches a chunk already there,
     * as the mark phase does, and the sweep's guarded removal sees the touch (the mount's way is in {@code
     * io.chunkfs.fuse.TreeRootsMountTest}).
     */
    @Test
    void aNameMadeDuringTheSweepKeepsItsChunk() throws Exception {
        try (ChunkStore store = newStore(dir)) {
            Digest late = store.insertChunk(bytes("named during the sweep")).digest();
            Digest unused = store.insertChunk(bytes("unused")).digest();
            age(store, late);
            age(store, unused);
            List<String> looked = new ArrayList<>();
            GarbageCollector collector = new GarbageCollector(store, Duration.ZERO, Progress.NONE);
            collector.beforeSetAside(chunk -> {
                looked.add(chunk);
                if (chunk.equals(late.toString())) {
                    try {
                        InsertResult again = store.insertChunk(bytes("named during the sweep"));
                        assertTrue(again.duplicate(), "the chunk was still there");
                        Receipts.of(store).put("late.txt", again.digest());
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
            });
            GcResult result = collector.collect(null);
            assertTrue(looked.contains(late.toString()), "the sweep found it unused at first: " + looked);
            assertTrue(store.contains(late), "kept: its insert touched it");
            assertFalse(store.contains(unused));
            assertEquals(Optional.of(late), Receipts.of(store).get("late.txt"));
            assertEquals(0, result.removedReceipts());
            assertEquals(1, result.removedChunks());
            assertTrue(new Verifier(store, 1, Progress.NONE).verifyAll().ok());
        }
    }

    @Test
    void theSettingIsKeptAcrossReopening() throws Exception {
        Path root;
        try (ChunkStore store = newStore(dir)) {
            root = TestStores.root(store);
            store.tree().setTreeRoots(false);
            assertFalse(store.tree().treeRoots());
        }
        try (ChunkStore store = Stores.open(root)) {
            assertFalse(store.tree().treeRoots(), "off after reopening");
            assertFalse(collect(store).treeRoots());
            store.tree().setTreeRoots(true);
        }
        try (ChunkStore store = Stores.open(root, StoreOptions.defaults().withReadOnly(true))) {
            assertTrue(store.tree().treeRoots(), "on again, also for a read-only open");
        }
    }

    /** Proxmox's way: only marks and touches keep chunks; a name whose chunk went is dropped afterwards. */
    @Test
    void withTreeRootsOffANamedUntouchedChunkIsRemovedAndItsNameDropped() throws Exception {
        try (ChunkStore store = newStore(dir)) {
            store.tree().setTreeRoots(false);
            Digest named = store.insertChunk(bytes("named, never touched")).digest();
            Digest touched = store.insertChunk(bytes("named and touched")).digest();
            Receipts receipts = Receipts.of(store);
            receipts.put("named.txt", named);
            receipts.put("touched.txt", touched);
            age(store, named);
            age(store, touched);

            GcResult result = new GarbageCollector(store, Duration.ZERO, Progress.NONE)
                    .collect(List.of(touched).iterator());

            assertFalse(store.contains(named));
            assertTrue(store.contains(touched));
            assertFalse(result.treeRoots());
            assertEquals(0, result.treeMarked());
            assertEquals(1, result.marked());
            assertEquals(1, result.removedChunks());
            assertEquals(1, result.removedReceipts());
            assertEquals(List.of(new Receipts.Receipt("touched.txt", touched)), receipts.list());
        }
    }

    /** A name whose chunk went behind the store's back is counted, not marked, and dropped at the end. */
    @Test
    void aNamedChunkThatIsGoneIsCountedAndItsNameDropped() throws Exception {
        try (ChunkStore store = newStore(dir)) {
            Digest gone = store.insertChunk(bytes("gone")).digest();
            Receipts.of(store).put("gone.txt", gone);
            java.nio.file.Files.delete(TestStores.chunkPath(store, gone));
            GcResult result = collect(store);
            assertEquals(0, result.treeMarked());
            assertEquals(1, result.treeMissing());
            assertEquals(1, result.removedReceipts());
            assertEquals(Optional.empty(), Receipts.of(store).get("gone.txt"));
        }
    }
}

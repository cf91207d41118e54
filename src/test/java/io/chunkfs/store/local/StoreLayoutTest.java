package io.chunkfs.store.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkfs.Stores;
import io.chunkfs.store.ChunkStore;
import io.chunkfs.store.Namespace;
import io.chunkfs.store.StoreException;
import io.chunkfs.testing.StorePaths;
import io.chunkfs.testing.TestStores;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StoreLayoutTest {
    @TempDir
    Path dir;

    @Test
    void initCreatesEveryPrefixFolderTheLockAndTheFormat() throws Exception {
        Path root = dir.resolve("s");
        assertTrue(Stores.init(root));
        assertEquals(256, TestStores.countFiles(StorePaths.chunks(root)));
        for (int i = 0; i < 256; i++) {
            assertTrue(Files.isDirectory(StorePaths.chunks(root).resolve(String.format(Locale.ROOT, "%02x", i))));
        }
        assertTrue(Files.isRegularFile(root.resolve(".lock")));
        assertEquals(
                StoreLayout.FORMAT_LINE,
                Files.readString(root.resolve(".chunkfs")).strip());
        assertEquals("chunkfs-store 3\n", Files.readString(root.resolve(".chunkfs")));
        assertTrue(Files.isRegularFile(root.resolve("tree.db")), "the file tree is made with the store");
        assertFalse(Files.exists(root.resolve("receipts")), "no receipts/ in a store of version 3");
        try (Stream<Path> files = Files.list(root)) {
            assertEquals(
                    List.of(".chunkfs", ".chunks", ".lock", ".tmp", ".writers", "tree.db"),
                    files.map(file -> file.getFileName().toString()).sorted().toList(),
                    "no log, journal or partial file left beside the tree");
        }
        try (ChunkStore store = Stores.open(root)) {
            assertTrue(store.tree().treeRoots(), "gc keeps what the tree of a new store names");
            assertEquals(List.of(), store.tree().list(Namespace.ROOT, null, 10));
        }
        assertFalse(Stores.init(root), "init of a valid store is a no-op");
        assertFalse(Files.exists(root.resolve("receipts")), "opening a store of version 3 makes no receipts/");
    }

    /**
     * A creation a crash interrupted before its marker may have left the tree and SQLite's files beside it, or a
     * partial tree: creating again resumes (the folder counts as empty), and the store opens.
     */
    @Test
    void initResumesBesideWhatAnInterruptedCreationLeft() throws Exception {
        Path root = dir.resolve("s");
        Stores.init(root);
        Files.delete(root.resolve(".chunkfs"));
        for (String name : List.of("tree.db-wal", "tree.db-shm", "tree.db-journal", "tree.db.partial")) {
            Files.write(root.resolve(name), new byte[0]);
        }
        assertTrue(Stores.init(root));
        assertFalse(Files.exists(root.resolve("tree.db.partial")));
        try (ChunkStore store = Stores.open(root)) {
            assertEquals(List.of(), store.tree().list(Namespace.ROOT, null, 10));
        }
        Path fresh = dir.resolve("fresh");
        Files.createDirectory(fresh);
        Files.write(fresh.resolve("tree.db-journal"), new byte[0]);
        assertTrue(Stores.init(fresh), "a folder holding only what a creation leaves counts as empty");
        Stores.open(fresh).close();
    }

    @Test
    void initRefusesAFolderThatIsNotAStore() throws Exception {
        Files.writeString(dir.resolve("something"), "x");
        StoreException error = assertThrows(StoreException.class, () -> Stores.init(dir));
        assertTrue(error.getMessage().contains("not empty and is not a chunkfs store"), error.getMessage());
    }

    @Test
    void openSaysExactlyWhatIsWrong() throws Exception {
        assertMessage(dir.resolve("missing"), "does not exist");
        Files.writeString(dir.resolve("file"), "x");
        assertMessage(dir, "is not a chunkfs store");

        Path root = dir.resolve("s");
        Stores.init(root);
        Files.delete(root.resolve(".chunks/7f"));
        assertMessage(root, "missing folder .chunks/7f");
        Files.createDirectory(root.resolve(".chunks/7f"));
        Files.delete(root.resolve(".lock"));
        assertMessage(root, "missing lock file");
        Files.createFile(root.resolve(".lock"));
        Files.move(root.resolve("tree.db"), root.resolve("tree.db.moved"));
        assertMessage(root, "is damaged: missing its file tree " + root.resolve("tree.db"));
        Files.move(root.resolve("tree.db.moved"), root.resolve("tree.db"));
        Files.writeString(root.resolve(".chunkfs"), "chunkfs-store one\n");
        assertMessage(root, "unknown store format 'chunkfs-store one'");
    }

    private static void assertMessage(Path root, String expected) {
        StoreException error =
                assertThrows(StoreException.class, () -> Stores.open(root).close());
        assertTrue(error.getMessage().contains(expected), error.getMessage());
    }
}

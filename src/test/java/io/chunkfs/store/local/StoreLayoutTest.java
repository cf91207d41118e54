package io.chunkfs.store.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkfs.Stores;
import io.chunkfs.store.StoreException;
import io.chunkfs.testing.StorePaths;
import io.chunkfs.testing.TestStores;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
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
        assertFalse(Stores.init(root), "init of a valid store is a no-op");
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
        Files.writeString(root.resolve(".chunkfs"), "chunkfs-store one\n");
        assertMessage(root, "unknown store format 'chunkfs-store one'");
    }

    private static void assertMessage(Path root, String expected) {
        StoreException error =
                assertThrows(StoreException.class, () -> Stores.open(root).close());
        assertTrue(error.getMessage().contains(expected), error.getMessage());
    }
}

package io.chunkfs.store;

import static io.chunkfs.testing.TestStores.newStore;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TreeWalkTest {
    @TempDir
    Path dir;

    private static long folder(Namespace tree, long parent, String name) throws Exception {
        return tree.create(parent, EntryName.of(name), NewEntry.folder(0755, 0, 0, 1L))
                .inode();
    }

    private static void file(Namespace tree, long parent, byte[] name, Digest digest) throws Exception {
        tree.create(parent, EntryName.of(name), NewEntry.file(digest, 1, 0644, 0, 0, 1L));
    }

    /** Depth first, each folder in byte order, a folder's entries right after it, across pages of any size. */
    @Test
    void visitsEveryEntryDepthFirstInByteOrderWhateverThePageSize() throws Exception {
        try (ChunkStore store = newStore(dir)) {
            Namespace tree = store.tree();
            Digest digest = store.insertChunk(new byte[] {1}).digest();
            long a = folder(tree, Namespace.ROOT, "a");
            long deep = folder(tree, a, "deep");
            folder(tree, Namespace.ROOT, "empty");
            for (String name : List.of("z", "b", "c", "y")) {
                file(tree, Namespace.ROOT, name.getBytes(StandardCharsets.UTF_8), digest);
            }
            for (String name : List.of("3", "1", "2")) {
                file(tree, a, name.getBytes(StandardCharsets.UTF_8), digest);
            }
            file(tree, deep, new byte[] {(byte) 0xff}, digest);
            file(tree, deep, new byte[] {'x'}, digest);
            List<String> expected = List.of(
                    "a", "a/1", "a/2", "a/3", "a/deep", "a/deep/x", "a/deep/\\xff", "b", "c", "empty", "y", "z");
            for (int page : new int[] {1, 2, 3, 1000}) {
                List<String> seen = new ArrayList<>();
                TreeWalk.walk(tree, page, (path, entry) -> seen.add(path.escaped()));
                assertEquals(expected, seen, "pages of " + page);
            }
            List<TreePath> paths = new ArrayList<>();
            TreeWalk.walk(tree, (path, entry) -> paths.add(path));
            TreePath latin1 = paths.get(6);
            assertFalse(latin1.isUtf8());
            assertArrayEquals(new byte[] {'a', '/', 'd', 'e', 'e', 'p', '/', (byte) 0xff}, latin1.bytes());
        }
    }

    /** A folder removed after it was visited and before its entries were read is left out, not an error. */
    @Test
    void aFolderRemovedDuringTheWalkIsSkipped() throws Exception {
        try (ChunkStore store = newStore(dir)) {
            Namespace tree = store.tree();
            folder(tree, Namespace.ROOT, "gone");
            folder(tree, Namespace.ROOT, "kept");
            List<String> seen = new ArrayList<>();
            TreeWalk.walk(tree, 1, (path, entry) -> {
                seen.add(path.toString());
                if (path.toString().equals("gone")) {
                    tree.removeFolder(Namespace.ROOT, EntryName.of("gone"));
                }
            });
            assertEquals(List.of("gone", "kept"), seen);
        }
    }
}

package io.chunkfs.store.local;

import static io.chunkfs.testing.TestStores.newStore;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkfs.Stores;
import io.chunkfs.store.ChunkStore;
import io.chunkfs.store.DamagedEntry;
import io.chunkfs.store.Digest;
import io.chunkfs.store.EntryName;
import io.chunkfs.store.Namespace;
import io.chunkfs.store.NewEntry;
import io.chunkfs.store.PosixException;
import io.chunkfs.store.Progress;
import io.chunkfs.store.StoreException;
import io.chunkfs.store.StoreOptions;
import io.chunkfs.store.SyncLevel;
import io.chunkfs.store.Verifier;
import io.chunkfs.store.VerifyResult;
import io.chunkfs.store.sql.SqlNamespace;
import io.chunkfs.testing.Receipts;
import io.chunkfs.testing.StorePaths;
import io.chunkfs.testing.TestStores;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import jnr.ffi.LibraryLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A store folder changed behind an open store's back (folders and the tree's database files swapped for
 * symlinks, a FIFO planted at a chunk's name) redirects nothing and blocks nothing; modes are exact whatever the
 * umask.
 */
class StoreFolderSafetyTest {
    /** The process umask, which the JDK offers no way to set. */
    public interface Umask {
        int umask(int mask);
    }

    private static final Umask LIBC = LibraryLoader.create(Umask.class).load("c");

    @TempDir
    Path dir;

    /** Bytes whose digest starts with {@code prefix}. */
    static byte[] bytesWithPrefix(String prefix, long seed) {
        Random random = new Random(seed);
        while (true) {
            byte[] bytes = new byte[64];
            random.nextBytes(bytes);
            if (Digest.sha256(bytes).prefix().equals(prefix)) {
                return bytes;
            }
        }
    }

    @Test
    void aPrefixFolderSwappedForASymlinkWhileOpenRedirectsNothing() throws Exception {
        Path outside = Files.createDirectory(dir.resolve("outside"));
        Path bait = Files.writeString(outside.resolve("bait"), "outside");
        FileTime baitTime = FileTime.from(Instant.parse("2001-01-01T00:00:00Z"));
        Files.setAttribute(bait, "lastAccessTime", baitTime);
        try (ChunkStore store = newStore(dir)) {
            Digest before = store.insertChunk(bytesWithPrefix("ab", 1)).digest();
            Path chunks = StorePaths.chunks(TestStores.root(store));
            Files.move(chunks.resolve("ab"), TestStores.root(store).resolve("x"));
            Files.createSymbolicLink(chunks.resolve("ab"), outside);
            Files.createSymbolicLink(outside.resolve(before.toString()), bait);

            byte[] after = bytesWithPrefix("ab", 2);
            Digest inserted = store.insertChunk(after).digest();
            assertTrue(store.condTouchChunk(before, true), "the chunk in the folder the store opened is touched");
            assertArrayEquals(after, store.loadChunk(inserted));
            List<Digest> listed = store.chunks(0xab).toList();

            try (var entries = Files.list(outside)) {
                assertEquals(
                        List.of(before.toString(), "bait"),
                        entries.map(p -> p.getFileName().toString()).sorted().toList(),
                        "nothing written outside");
            }
            assertEquals(baitTime, Files.getAttribute(bait, "lastAccessTime"), "nothing touched outside");
            assertTrue(listed.contains(before) && listed.contains(inserted) && listed.size() == 2, listed.toString());
            assertTrue(Files.exists(TestStores.root(store).resolve("x").resolve(inserted.toString())));
        }
        StoreException reopened = assertThrows(StoreException.class, () -> Stores.open(dir.resolve("store")));
        assertTrue(reopened.getMessage().contains(".chunks/ab is not a folder"), reopened.getMessage());
    }

    /**
     * The tree's database, its log and its shared memory, and {@code .tmp}, each swapped for a symlink to a copy
     * outside while the store is open: the store goes on with the files it opened, writes nothing outside, and the
     * next opening of the store refuses the symlinked database (SQLITE_OPEN_NOFOLLOW) rather than follow it.
     */
    @Test
    void theTreeDatabaseAndTmpSwappedForSymlinksWhileOpenRedirectNothing() throws Exception {
        Path outside = Files.createDirectory(dir.resolve("outside"));
        Path root;
        Map<String, String> baits;
        try (ChunkStore store = newStore(dir)) {
            root = TestStores.root(store);
            Digest first =
                    store.insertChunk("first".getBytes(StandardCharsets.UTF_8)).digest();
            Receipts.of(store).put("a.txt", first);
            for (String name : TREE_FILES) {
                if (Files.exists(root.resolve(name))) {
                    // A copy: were the symlink followed, SQLite would find a valid database there and write to it.
                    Files.copy(root.resolve(name), outside.resolve(name));
                    Files.move(root.resolve(name), root.resolve(name + ".moved"));
                    Files.createSymbolicLink(root.resolve(name), outside.resolve(name));
                }
            }
            Files.move(root.resolve(".tmp"), root.resolve(".tmp.moved"));
            Files.createSymbolicLink(root.resolve(".tmp"), outside);
            baits = contents(outside);
            assertTrue(
                    baits.containsKey(SqlNamespace.fileName()), baits.keySet().toString());

            Digest second =
                    store.insertChunk("second".getBytes(StandardCharsets.UTF_8)).digest();
            Receipts.of(store).put("a.txt", second);
            Receipts.of(store).rename("a.txt", "b.txt");
            store.tree().sync();
            store.sync();
            assertEquals(Optional.of(second), Receipts.of(store).get("b.txt"), "the open store goes on with its files");
            assertEquals(baits, contents(outside), "nothing written outside");
        }
        assertEquals(baits, contents(outside), "nothing written outside at close");
        // .tmp put back (a start refuses a symlink there first), so that the next opening reaches the tree.
        Files.delete(root.resolve(".tmp"));
        Files.move(root.resolve(".tmp.moved"), root.resolve(".tmp"));
        // The layout check refuses a tree.db that is no regular file before SQLite is asked to open it.
        IOException refused = assertThrows(IOException.class, () -> Stores.open(root));
        assertTrue(
                refused.getMessage()
                        .contains("its file tree " + root.resolve(SqlNamespace.fileName())
                                + " is not a regular file (a symlink"),
                refused.getMessage());
        assertEquals(baits, contents(outside), "nothing written outside by an opening");
        assertTrue(Files.exists(root.resolve(SqlNamespace.fileName() + ".moved")));
    }

    /**
     * Before the store opens: a symlink at the tree's database, at its log or shared memory (WAL, a local store),
     * or at its rollback journal (DELETE, a store on FUSE or a network file system) makes the opening, or the
     * first change, fail; nothing outside is read as part of the tree or written.
     */
    @Test
    void aSymlinkAtATreeFileIsRefusedNotFollowed() throws Exception {
        for (String name : TREE_FILES) {
            boolean wal = !name.endsWith("-journal");
            Path root = Files.createDirectories(dir.resolve("store-" + name));
            Path outside = Files.createDirectories(dir.resolve("outside-" + name));
            try (SqlNamespace tree = openTree(root, wal)) {
                tree.create(Namespace.ROOT, EntryName.of("before"), NewEntry.folder(0755, 0, 0, 0));
            }
            // A valid database outside, with a name of its own: were it followed, the store would show "planted".
            Path bait = outside.resolve("bait.db");
            try (SqlNamespace planted =
                    SqlNamespace.openFile(bait, wal, false, SyncLevel.FILE, java.time.Clock.systemUTC(), 0, 0, true)) {
                planted.create(Namespace.ROOT, EntryName.of("planted"), NewEntry.folder(0755, 0, 0, 0));
            }
            Path target = bait;
            if (!name.equals(SqlNamespace.fileName())) {
                target = Files.writeString(outside.resolve(name), "");
            }
            Files.deleteIfExists(root.resolve(name));
            Files.createSymbolicLink(root.resolve(name), target);
            Map<String, String> before = contents(outside);
            IOException refused = assertThrows(IOException.class, () -> {
                try (SqlNamespace tree = openTree(root, wal)) {
                    tree.create(Namespace.ROOT, EntryName.of("after"), NewEntry.folder(0755, 0, 0, 0));
                }
            });
            assertTrue(refused.getMessage().contains("SQLITE_CANTOPEN"), name + ": " + refused.getMessage());
            assertEquals(before, contents(outside), name + ": nothing written outside");
        }
    }

    /** The files SQLite keeps for the tree: the database, its log and shared memory (WAL), its rollback journal. */
    private static final List<String> TREE_FILES = List.of(
            SqlNamespace.fileName(),
            SqlNamespace.fileName() + "-wal",
            SqlNamespace.fileName() + "-shm",
            SqlNamespace.fileName() + "-journal");

    private static SqlNamespace openTree(Path root, boolean wal) throws IOException {
        return SqlNamespace.open(root, wal, false, SyncLevel.FILE, java.time.Clock.systemUTC(), 0, 0, true);
    }

    /** Every file in {@code folder}: its name, size, modification time and SHA-256. */
    private static Map<String, String> contents(Path folder) throws IOException {
        Map<String, String> contents = new TreeMap<>();
        try (var files = Files.list(folder)) {
            for (Path file : files.toList()) {
                if (Files.isRegularFile(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    byte[] bytes = Files.readAllBytes(file);
                    contents.put(
                            file.getFileName().toString(),
                            bytes.length + " " + Files.getLastModifiedTime(file) + " " + Digest.sha256(bytes));
                }
            }
        }
        return contents;
    }

    @Test
    void aFifoAtAChunksNameIsRefusedAtOnceAndVerifySetsItAside() throws Exception {
        try (ChunkStore store = newStore(dir)) {
            Digest digest = Digest.sha256("fifo".getBytes(StandardCharsets.UTF_8));
            Path chunk = TestStores.chunkPath(store, digest);
            Process mkfifo =
                    new ProcessBuilder("mkfifo", chunk.toString()).inheritIO().start();
            assertEquals(0, mkfifo.waitFor());
            assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
                PosixException error = assertThrows(PosixException.class, () -> store.openChunk(digest));
                assertEquals(22, error.errno(), "EINVAL: not a regular file");
                assertFalse(store.contains(digest));
                VerifyResult result = new Verifier(store, 1, Progress.NONE).verifyAll();
                assertEquals(
                        List.of(digest),
                        result.damagedEntries().stream()
                                .map(DamagedEntry::digest)
                                .toList());
                assertEquals(List.of(), result.bad(), "no bytes were read from it");
            });
            assertTrue(Files.exists(chunk.resolveSibling(digest + ".0.bad"), java.nio.file.LinkOption.NOFOLLOW_LINKS));
            assertArrayEquals(
                    "fifo".getBytes(StandardCharsets.UTF_8),
                    store.loadChunk(store.insertChunk("fifo".getBytes(StandardCharsets.UTF_8))
                            .digest()));
        }
    }

    @Test
    void modesAreExactWhateverTheUmask() throws Exception {
        for (int umask : new int[] {0002, 0022, 0077}) {
            int previous = LIBC.umask(umask);
            try {
                Path root = dir.resolve("umask" + Integer.toOctalString(umask));
                Stores.init(root);
                try (ChunkStore store = Stores.open(root, StoreOptions.defaults())) {
                    Digest digest = store.insertChunk(("umask " + umask).getBytes(StandardCharsets.UTF_8))
                            .digest();
                    String label = " under umask " + Integer.toOctalString(umask);
                    assertEquals("rwxr-xr-x", mode(root), "store folder" + label);
                    assertEquals("rwxr-xr-x", mode(StorePaths.chunks(root)), ".chunks" + label);
                    assertEquals("rwxr-xr-x", mode(root.resolve(".chunks/7f")), "prefix folder" + label);
                    assertEquals("rw-r--r--", mode(root.resolve("tree.db")), "tree.db" + label);
                    assertEquals("r--r--r--", mode(TestStores.chunkPath(store, digest)), "chunk" + label);
                }
            } finally {
                LIBC.umask(previous);
            }
        }
    }

    @Test
    void aPrivateStoreIsTheOwnersOnly() throws Exception {
        Path root = dir.resolve("private");
        Stores.init(root, true);
        try (ChunkStore store = Stores.open(root, StoreOptions.defaults())) {
            Digest digest = store.insertChunk("private".getBytes(StandardCharsets.UTF_8))
                    .digest();
            assertEquals("rwx------", mode(root));
            assertEquals("rwx------", mode(root.resolve(".chunks/00")));
            assertEquals("r--------", mode(TestStores.chunkPath(store, digest)));
        }
    }

    private static String mode(Path path) throws Exception {
        return PosixFilePermissions.toString(
                Files.getPosixFilePermissions(path, java.nio.file.LinkOption.NOFOLLOW_LINKS));
    }
}

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
import io.chunkfs.store.PosixException;
import io.chunkfs.store.Progress;
import io.chunkfs.store.StoreException;
import io.chunkfs.store.StoreOptions;
import io.chunkfs.store.Verifier;
import io.chunkfs.store.VerifyResult;
import io.chunkfs.testing.Receipts;
import io.chunkfs.testing.StorePaths;
import io.chunkfs.testing.TestStores;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import jnr.ffi.LibraryLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A store folder changed behind an open store's back (folders swapped for symlinks, a FIFO planted at a
 * chunk's name) redirects nothing and blocks nothing; modes are exact whatever the umask.
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

    @Test
    void tmpSwappedForASymlinkWhileOpenRedirectsNothing() throws Exception {
        Path outside = Files.createDirectory(dir.resolve("outside"));
        try (ChunkStore store = newStore(dir)) {
            Digest first =
                    store.insertChunk("first".getBytes(StandardCharsets.UTF_8)).digest();
            for (String name : new String[] {".tmp"}) {
                Files.move(
                        TestStores.root(store).resolve(name),
                        TestStores.root(store).resolve(name + ".moved"));
                Files.createSymbolicLink(TestStores.root(store).resolve(name), outside);
            }
            Receipts.of(store).put("a.txt", first);
            Receipts.of(store)
                    .put(
                            "a.txt",
                            store.insertChunk("second".getBytes(StandardCharsets.UTF_8))
                                    .digest());
            Receipts.of(store).rename("a.txt", "b.txt");
            try (var entries = Files.list(outside)) {
                assertEquals(0, entries.count(), "nothing written outside");
            }
            assertEquals(
                    Digest.sha256("second".getBytes(StandardCharsets.UTF_8)),
                    Receipts.of(store).get("b.txt").orElseThrow(),
                    "the names are the tree's (a store of format 3 has no receipts/)");
        }
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

package io.chunkfs.store.sql;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkfs.store.Digest;
import io.chunkfs.store.Entry;
import io.chunkfs.store.EntryName;
import io.chunkfs.store.Namespace;
import io.chunkfs.store.NamespaceContract;
import io.chunkfs.store.NamespaceWalk;
import io.chunkfs.store.NewEntry;
import io.chunkfs.store.PosixException;
import io.chunkfs.store.StoreException;
import io.chunkfs.store.SyncLevel;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import jnr.constants.platform.Errno;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.sqlite.SQLiteConfig;

/** {@link SqlNamespace} on SQLite against the seam's contract, and what is SQLite's own. */
class SqlNamespaceTest extends NamespaceContract {
    private static final long ROOT = Namespace.ROOT;

    @Override
    protected Namespace open(Path dir) throws IOException {
        return open(dir, true, false);
    }

    private SqlNamespace open(Path folder, boolean sharedMemoryWorks, boolean readOnly) throws IOException {
        return SqlNamespace.open(
                folder, sharedMemoryWorks, readOnly, SyncLevel.FILE, clock, OWNER_UID, OWNER_GID, true);
    }

    /** After every test, the contract's too: the tables hold the tree and nothing else. */
    @AfterEach
    void tablesHoldExactlyTheTree() throws Exception {
        TreeTables.assertHoldExactly(dir, NamespaceWalk.check(ns));
    }

    private static NewEntry file(int k) {
        byte[] content = ("content " + k).getBytes(StandardCharsets.UTF_8);
        return NewEntry.file(Digest.sha256(content), content.length, 0644, 0, 0, MADE);
    }

    @ParameterizedTest(name = "sharedMemoryWorks={0}")
    @ValueSource(booleans = {true, false})
    void aReadOnlyNamespaceOnTheSameFileSeesEachCommitWhileTheWriterStaysOpen(boolean sharedMemoryWorks)
            throws Exception {
        Path folder = Files.createDirectories(dir.resolve("shared-" + sharedMemoryWorks));
        try (SqlNamespace writer = open(folder, sharedMemoryWorks, false);
                SqlNamespace reader = open(folder, sharedMemoryWorks, true)) {
            // turn by turn: each commit is seen at once
            for (int k = 0; k < 20; k++) {
                Entry made = writer.create(ROOT, EntryName.of("f" + k), file(k));
                assertEquals(made, reader.lookup(ROOT, EntryName.of("f" + k)).orElseThrow());
                assertEquals(k + 1, reader.list(ROOT, null, 100).size());
                if (k % 5 == 4) {
                    writer.rename(
                            ROOT, EntryName.of("f" + k), ROOT, EntryName.of("g" + k), Namespace.RenameMode.REPLACE);
                    assertFalse(reader.lookup(ROOT, EntryName.of("f" + k)).isPresent());
                    assertEquals(
                            made.inode(),
                            reader.lookup(ROOT, EntryName.of("g" + k))
                                    .orElseThrow()
                                    .inode());
                }
            }
            Entry f0 = writer.lookup(ROOT, EntryName.of("f0")).orElseThrow();
            writer.setXattr(f0.inode(), "user.a", new byte[] {1}, Namespace.XattrMode.CREATE);
            assertEquals(List.of("user.a"), reader.xattrNames(f0.inode()));
            writer.setTreeRoots(false);
            assertFalse(reader.treeRoots());

            // the reader changes nothing
            var refused = assertThrows(PosixException.class, () -> reader.create(ROOT, EntryName.of("mine"), file(99)));
            assertEquals(Errno.EROFS.intValue(), refused.errno(), refused.getMessage());
            assertFalse(writer.lookup(ROOT, EntryName.of("mine")).isPresent());

            // while the writer writes, from another thread: whatever it has committed is there
            AtomicInteger committed = new AtomicInteger();
            ExecutorService pool = Executors.newSingleThreadExecutor();
            try {
                Future<?> writes = pool.submit(() -> {
                    for (int k = 100; k < 140; k++) {
                        writer.create(ROOT, EntryName.of("h" + k), file(k));
                        committed.set(k + 1);
                    }
                    return null;
                });
                while (!writes.isDone()) {
                    int done = committed.get();
                    if (done > 0) {
                        assertTrue(
                                reader.lookup(ROOT, EntryName.of("h" + (done - 1)))
                                        .isPresent(),
                                "h" + (done - 1) + " was committed");
                    }
                }
                writes.get(30, TimeUnit.SECONDS);
            } finally {
                pool.shutdownNow();
            }
            assertEquals(
                    NamespaceWalk.check(writer).byPath(),
                    NamespaceWalk.check(reader).byPath());

            // a second writer meanwhile: nobody holds the file exclusively
            try (SqlNamespace second = open(folder, sharedMemoryWorks, false)) {
                Entry made = second.create(ROOT, EntryName.of("second"), file(7));
                assertEquals(made, writer.lookup(ROOT, EntryName.of("second")).orElseThrow());
                assertEquals(made, reader.lookup(ROOT, EntryName.of("second")).orElseThrow());
                writer.unlink(ROOT, EntryName.of("second"));
                assertFalse(second.lookup(ROOT, EntryName.of("second")).isPresent());
            }
            TreeTables.assertHoldExactly(folder, NamespaceWalk.check(reader));
        }
    }

    @ParameterizedTest(name = "sharedMemoryWorks={0}")
    @ValueSource(booleans = {true, false})
    void theJournalIsAWriteAheadLogOnlyWhereSharedMemoryWorks(boolean sharedMemoryWorks) throws Exception {
        Path folder = Files.createDirectories(dir.resolve("journal-" + sharedMemoryWorks));
        try (SqlNamespace tree = open(folder, sharedMemoryWorks, false)) {
            tree.create(ROOT, EntryName.of("f"), file(1));
            assertEquals(sharedMemoryWorks ? "wal" : "delete", TreeTables.journalMode(folder));
            assertEquals(sharedMemoryWorks, Files.exists(folder.resolve("tree.db-wal")));
            assertEquals(sharedMemoryWorks, Files.exists(folder.resolve("tree.db-shm")));
        }
    }

    @Test
    void aTreeMovedWhereSharedMemoryDoesNotWorkTurnsToARollbackJournal() throws Exception {
        Path folder = Files.createDirectories(dir.resolve("moved"));
        try (SqlNamespace tree = open(folder, true, false)) {
            tree.create(ROOT, EntryName.of("f"), file(1));
        }
        assertEquals("wal", TreeTables.journalMode(folder));
        try (SqlNamespace tree = open(folder, false, false)) {
            assertTrue(tree.lookup(ROOT, EntryName.of("f")).isPresent());
            tree.create(ROOT, EntryName.of("g"), file(2));
            assertEquals("delete", TreeTables.journalMode(folder));
            assertFalse(Files.exists(folder.resolve("tree.db-wal")));
        }
        try (SqlNamespace tree = open(folder, true, false)) {
            assertEquals(2, tree.list(ROOT, null, 10).size());
            assertEquals("wal", TreeTables.journalMode(folder));
        }
    }

    @Test
    void aReadOnlyNamespaceNeedsATreeAndMakesNone() throws Exception {
        Path folder = Files.createDirectories(dir.resolve("empty"));
        var missing = assertThrows(PosixException.class, () -> open(folder, true, true));
        assertEquals(Errno.ENOENT.intValue(), missing.errno());
        assertFalse(Files.exists(folder.resolve(SqlNamespace.fileName())));
    }

    @Test
    void aTreeWithAnotherSchemaIsRefused() throws Exception {
        Path folder = Files.createDirectories(dir.resolve("future"));
        open(folder, true, false).close();
        SQLiteConfig config = new SQLiteConfig();
        try (Connection c = config.createConnection("jdbc:sqlite:" + folder.resolve(SqlNamespace.fileName()));
                Statement s = c.createStatement()) {
            s.executeUpdate("UPDATE settings SET value = '2' WHERE name = 'schema'");
        }
        assertThrows(StoreException.class, () -> open(folder, true, false));
        assertThrows(StoreException.class, () -> open(folder, true, true));
    }

    @Test
    void extendedAttributesLeaveNoRowsBehindTheirInode() throws Exception {
        Entry f = ns.create(ROOT, EntryName.of("f"), file(1));
        Entry d = ns.create(ROOT, EntryName.of("d"), NewEntry.folder(0755, 0, 0, MADE));
        ns.setXattr(f.inode(), "user.a", new byte[] {1}, Namespace.XattrMode.CREATE);
        ns.setXattr(f.inode(), "user.b", new byte[] {2}, Namespace.XattrMode.CREATE);
        ns.setXattr(d.inode(), "user.c", new byte[] {3}, Namespace.XattrMode.CREATE);
        try (Connection c = TreeTables.connect(dir)) {
            assertEquals(3, TreeTables.count(c, "SELECT COUNT(*) FROM xattrs"));
        }
        ns.unlink(ROOT, EntryName.of("f"));
        ns.removeFolder(ROOT, EntryName.of("d"));
        try (Connection c = TreeTables.connect(dir)) {
            assertEquals(0, TreeTables.count(c, "SELECT COUNT(*) FROM xattrs"));
            assertEquals(1, TreeTables.count(c, "SELECT COUNT(*) FROM inodes"));
        }
    }

    @Test
    void removeNamesOfMissingChunksPagesThroughMoreChunksThanItReadsAtOnce() throws Exception {
        Path folder = Files.createDirectories(dir.resolve("many"));
        // no syncing, to be quick; the removal reads the named chunks 1000 at a time
        try (SqlNamespace tree = SqlNamespace.open(folder, true, false, SyncLevel.NONE, clock, 0, 0, true)) {
            int files = 1200;
            Set<Digest> kept = new HashSet<>();
            for (int k = 0; k < files; k++) {
                Entry f = tree.create(ROOT, EntryName.of("f" + k), file(k));
                if (k % 3 == 0) {
                    kept.add(f.digest());
                }
            }
            assertEquals(files - kept.size(), tree.removeNamesOfMissingChunks(kept::contains));
            assertEquals(kept, new HashSet<>(tree.namedDigests(null, files)));
            assertEquals(kept.size(), tree.list(ROOT, null, files).size());
            TreeTables.assertHoldExactly(folder, NamespaceWalk.check(tree));
        }
    }

    @ParameterizedTest(name = "sharedMemoryWorks={0}")
    @ValueSource(booleans = {true, false})
    void aReadOnlyNamespaceReadsATreeNobodyHasOpenAndItsSyncChangesNothing(boolean sharedMemoryWorks) throws Exception {
        Path folder = Files.createDirectories(dir.resolve("closed-" + sharedMemoryWorks));
        Entry made;
        try (SqlNamespace writer = open(folder, sharedMemoryWorks, false)) {
            made = writer.create(ROOT, EntryName.of("f"), file(1));
        }
        try (SqlNamespace reader = open(folder, sharedMemoryWorks, true)) {
            assertEquals(made, reader.lookup(ROOT, EntryName.of("f")).orElseThrow());
            reader.sync();
            assertEquals(List.of(made.digest()), reader.namedDigests(null, 10));
        }
    }

    @Test
    void underSyncLevelFileAWrittenFilesNameIsDurableAtOnceAndOtherChangesWait() throws Exception {
        long before = syncs();
        Entry f = ns.create(ROOT, EntryName.of("f"), file(1));
        assertEquals(before, syncs(), "a file just created: durable with its first chunk, when it is closed");
        ns.setContent(f.inode(), Digest.sha256(new byte[] {1}), 1, MADE);
        assertEquals(before + 1, syncs(), "a written file's new chunk, and the create before it");
        before--;
        ns.createOrReplace(ROOT, EntryName.of("f"), file(2));
        assertEquals(before + 3, syncs());
        ns.create(ROOT, EntryName.of("d"), NewEntry.folder(0755, 0, 0, MADE));
        ns.rename(ROOT, EntryName.of("d"), ROOT, EntryName.of("e"), Namespace.RenameMode.REPLACE);
        ns.setXattr(f.inode() + 1, "user.a", new byte[] {1}, Namespace.XattrMode.ANY);
        ns.create(ROOT, EntryName.of("s"), NewEntry.symlink(new byte[] {'t'}, 0, 0, MADE));
        assertEquals(before + 3, syncs(), "other changes wait for the next sync");
        ns.sync();
        assertEquals(before + 4, syncs());
    }

    /** How many times the tree's log was synced ({@code counters.syncs}, WAL only). */
    private long syncs() throws Exception {
        try (Connection c = TreeTables.connect(dir)) {
            return TreeTables.count(c, "SELECT value FROM counters WHERE name = 'syncs'");
        }
    }
}

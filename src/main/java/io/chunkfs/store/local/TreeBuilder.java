package io.chunkfs.store.local;

import io.chunkfs.store.Namespace;
import io.chunkfs.store.SyncLevel;
import io.chunkfs.store.sql.SqlNamespace;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A file tree database built outside the store, in a private folder of {@code java.io.tmpdir}: the empty tree of a
 * new store, the tree an earlier release's receipts make (a conversion), or the tree a read-only open of such a
 * store reads in their place. Nothing in that folder needs to survive a crash, so nothing there is fsynced (its
 * copy in a store is made durable when it is put in place: {@link StoreLayout#installTree}), and SQLite's log and
 * journal files never appear in the store. {@link #close} removes the folder and everything in it.
 */
final class TreeBuilder implements Closeable {
    private final Path folder;
    private final Path file;
    private final Clock clock;
    private SqlNamespace tree;

    private TreeBuilder(Path folder, Path file, Clock clock, SqlNamespace tree) {
        this.folder = folder;
        this.file = file;
        this.clock = clock;
        this.tree = tree;
    }

    /**
     * An empty tree whose root folder belongs to {@code uid:gid}, with the tree roots setting {@code treeRoots}.
     */
    static TreeBuilder start(long uid, long gid, boolean treeRoots, Clock clock) throws IOException {
        Path folder = Files.createTempDirectory(
                "chunkfs-tree-", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        try {
            Path file = folder.resolve(SqlNamespace.fileName());
            SqlNamespace tree = SqlNamespace.openFile(file, true, false, SyncLevel.NONE, clock, uid, gid, treeRoots);
            return new TreeBuilder(folder, file, clock, tree);
        } catch (IOException | RuntimeException e) {
            delete(folder);
            throw e;
        }
    }

    /** The tree being built. */
    Namespace tree() {
        if (tree == null) {
            throw new IllegalStateException("the tree in " + folder + " is finished");
        }
        return tree;
    }

    /**
     * Closes the database and returns its file, alone: no log or journal beside it (SQLite writes its log back when
     * the last connection closes). With {@code sharedMemoryWorks} false its journal mode is set to a rollback
     * journal, as the tree keeps where the store folder is on FUSE or a network file system, so that its first
     * reader there never looks for a write-ahead log.
     */
    Path finish(boolean sharedMemoryWorks) throws IOException {
        tree().close();
        tree = null;
        if (!sharedMemoryWorks) {
            // A writer's connection sets the journal mode the tree keeps there (see SqliteDatabase).
            SqlNamespace.openFile(file, false, false, SyncLevel.NONE, clock, 0, 0, false)
                    .close();
        }
        List<Path> beside;
        try (Stream<Path> files = Files.list(folder)) {
            beside = files.filter(other -> !other.equals(file)).toList();
        }
        if (!beside.isEmpty()) {
            throw new IOException("the tree database " + file + " left " + beside + " beside it when it was closed");
        }
        return file;
    }

    /** Closes the tree if it is open and removes its folder. */
    @Override
    public void close() throws IOException {
        try {
            if (tree != null) {
                tree.close();
                tree = null;
            }
        } finally {
            delete(folder);
        }
    }

    private static void delete(Path folder) throws IOException {
        if (!Files.exists(folder)) {
            return;
        }
        List<Path> paths;
        try (Stream<Path> walk = Files.walk(folder)) {
            paths = walk.sorted(Comparator.reverseOrder()).toList();
        }
        for (Path path : paths) {
            Files.deleteIfExists(path);
        }
    }
}

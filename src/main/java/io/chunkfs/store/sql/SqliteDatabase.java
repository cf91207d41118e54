package io.chunkfs.store.sql;

import io.chunkfs.store.PosixException;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Properties;
import java.util.Set;
import jnr.constants.platform.Errno;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteException;

/**
 * The tree's embedded database: one SQLite file in the store folder, opened by every chunkfs process that uses
 * the store (a mount writes it while {@code gc}, {@code verify} or {@code receipts} read it: SQLite's normal
 * locking, never its exclusive mode).
 *
 * <p>Settings, and why:
 *
 * <ul>
 *   <li>{@code journal_mode=WAL} where the store folder is on a local file system: readers and the writer do not
 *       block each other, and a commit appends to the log without an fsync ({@code synchronous=NORMAL}: a crash
 *       may lose the last commits, never the database's consistency). Commits become durable at {@link
 *       #makeDurable}: one small transaction committed with {@code synchronous=FULL}, whose fsync of the log
 *       covers every commit before it; concurrent callers share it.
 *   <li>{@code journal_mode=DELETE} (a rollback journal) and {@code synchronous=FULL} where WAL's shared memory
 *       cannot be trusted: a store folder on FUSE, SMB/CIFS, 9p or NFS (the {@code -shm} file is mapped into
 *       memory, which such file systems do not keep coherent between processes, let alone hosts). Every commit is
 *       then durable when it returns; readers briefly block writers.
 *   <li>{@code busy_timeout=60000}: a process that finds the database locked by another waits up to a minute.
 *   <li>{@code foreign_keys} off, no triggers: the SQL stays what PostgreSQL runs too.
 * </ul>
 */
final class SqliteDatabase {
    static final String FILE = "tree.db";
    private static final int BUSY_TIMEOUT_MILLIS = 60_000;
    private static final int NOFOLLOW = 0x01000000;

    private final Path file;
    private final boolean wal;
    private final boolean readOnly;

    private SqliteDatabase(Path file, boolean wal, boolean readOnly) {
        this.file = file;
        this.wal = wal;
        this.readOnly = readOnly;
    }

    /**
     * The database at {@code file}.
     *
     * @param sharedMemoryWorks false where the folder is on a file system that does not keep a shared mapping
     *     coherent (FUSE, network file systems): a rollback journal then
     */
    static SqliteDatabase at(Path file, boolean sharedMemoryWorks, boolean readOnly) {
        return new SqliteDatabase(file, sharedMemoryWorks, readOnly);
    }

    Path file() {
        return file;
    }

    /**
     * Whether commits wait for {@link #makeDurable} (WAL) or are durable when they return (rollback journal). A
     * read-only database commits nothing, so has nothing to make durable (and could not write the sync's commit).
     */
    boolean commitsAreDeferred() {
        return wal && !readOnly;
    }

    /** A new connection with this database's settings; a writer's transactions take the write lock at BEGIN. */
    Connection connect() throws IOException {
        if (!readOnly) {
            createWithStoreMode();
        }
        SQLiteConfig config = new SQLiteConfig();
        config.setBusyTimeout(BUSY_TIMEOUT_MILLIS);
        config.setTransactionMode(SQLiteConfig.TransactionMode.IMMEDIATE);
        config.setJournalMode(wal ? SQLiteConfig.JournalMode.WAL : SQLiteConfig.JournalMode.DELETE);
        config.setSynchronous(wal ? SQLiteConfig.SynchronousMode.NORMAL : SQLiteConfig.SynchronousMode.FULL);
        config.setLockingMode(SQLiteConfig.LockingMode.NORMAL);
        config.setReadOnly(readOnly);
        // SQLITE_OPEN_NOFOLLOW (sqlite-jdbc has no constant for it): a tree.db, or a folder on its path, swapped for
        // a symlink is refused rather than followed out of the store; the store's real path is resolved at open.
        Properties properties = config.toProperties();
        properties.setProperty(
                SQLiteConfig.Pragma.OPEN_MODE.pragmaName, String.valueOf(config.getOpenModeFlags() | NOFOLLOW));
        try {
            Connection connection = new SQLiteConfig(properties).createConnection("jdbc:sqlite:" + file);
            if (!readOnly) {
                try (Statement statement = connection.createStatement()) {
                    // A journal mode is a property of the database file: the first writer sets it.
                    statement.execute("PRAGMA journal_mode=" + (wal ? "WAL" : "DELETE"));
                    // 16 MiB of page cache per connection (the default is 2 MiB): a folder's pages stay in memory.
                    statement.execute("PRAGMA cache_size=-16384");
                }
            }
            return connection;
        } catch (SQLException e) {
            throw failure("open", e);
        }
    }

    /**
     * Creates the database file, empty, before SQLite does, with the mode of the store's other files whatever the
     * umask: 0600 in a private store (a folder only its owner may enter), 0644 elsewhere. SQLite gives its journal,
     * log and shared-memory files the database file's mode.
     */
    private void createWithStoreMode() throws IOException {
        if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        boolean privateFolder = Collections.disjoint(
                Files.getPosixFilePermissions(file.getParent()),
                EnumSet.of(
                        PosixFilePermission.GROUP_READ,
                        PosixFilePermission.GROUP_EXECUTE,
                        PosixFilePermission.OTHERS_READ,
                        PosixFilePermission.OTHERS_EXECUTE));
        Set<PosixFilePermission> mode = PosixFilePermissions.fromString(privateFolder ? "rw-------" : "rw-r--r--");
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(mode));
        } catch (FileAlreadyExistsException e) {
            return; // another process made it first, with the same mode
        }
        Files.setPosixFilePermissions(file, mode);
    }

    /** Starts a write transaction on {@code connection}, taking the write lock at once (no upgrade deadlock). */
    void begin(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute("BEGIN IMMEDIATE");
        }
    }

    void commit(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute("COMMIT");
        }
    }

    /** Ends a failed transaction; quiet if SQLite already ended it (it rolls back on some errors by itself). */
    void rollback(Connection connection) {
        try (Statement statement = connection.createStatement()) {
            statement.execute("ROLLBACK");
        } catch (SQLException e) {
            // no transaction was active any more
        }
    }

    /**
     * Makes every commit so far durable, through {@code connection} (the writer's, held by the caller): a commit
     * with {@code synchronous=FULL} fsyncs the log, and with it every frame before it.
     */
    void makeDurable(Connection connection) throws IOException {
        if (!wal) {
            return;
        }
        try (Statement statement = connection.createStatement()) {
            statement.execute("PRAGMA synchronous=FULL");
            try {
                begin(connection);
                try {
                    statement.executeUpdate("UPDATE counters SET value = value + 1 WHERE name = 'syncs'");
                    commit(connection);
                } catch (SQLException | RuntimeException e) {
                    rollback(connection);
                    throw e;
                }
            } finally {
                statement.execute("PRAGMA synchronous=NORMAL");
            }
        } catch (SQLException e) {
            throw failure("sync", e);
        }
    }

    /**
     * A failed database call as the errno a file system call would give: a full disk is ENOSPC, a read-only one
     * EROFS, anything else EIO (with SQLite's message in the log line).
     */
    IOException failure(String what, SQLException e) {
        int errno = switch (e instanceof SQLiteException sqlite ? sqlite.getResultCode().code & 0xff : -1) {
            case 13 -> Errno.ENOSPC.intValue(); // SQLITE_FULL
            case 8 -> Errno.EROFS.intValue(); // SQLITE_READONLY
            default -> Errno.EIO.intValue();
        };
        PosixException failure =
                new PosixException("tree database " + what + " (" + e.getMessage() + ")", file.toString(), errno);
        failure.initCause(e);
        return failure;
    }
}

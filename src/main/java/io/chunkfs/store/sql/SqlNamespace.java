package io.chunkfs.store.sql;

import io.chunkfs.store.AttributeChange;
import io.chunkfs.store.Digest;
import io.chunkfs.store.Entry;
import io.chunkfs.store.EntryName;
import io.chunkfs.store.EntryType;
import io.chunkfs.store.GroupSync;
import io.chunkfs.store.Namespace;
import io.chunkfs.store.NewEntry;
import io.chunkfs.store.PosixException;
import io.chunkfs.store.SyncLevel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import jnr.constants.platform.Errno;

/**
 * The {@link Namespace} in SQL tables (the SQL is portable: PostgreSQL runs it as SQLite does):
 *
 * <pre>
 * inodes   (inode PK, type, mode, uid, gid, atime, mtime, ctime, size, links, digest, target, device)
 * entries  (parent, name, inode; PK (parent, name))   one row per name; a folder has exactly one
 * xattrs   (inode, name, value; PK (inode, name))
 * settings (name PK, value)                            schema version, tree_roots
 * counters (name PK, value)                            the last inode given out; syncs
 * </pre>
 *
 * An inode row lives as long as a name refers to it ({@code links} counts them, a folder's also its
 * subfolders' {@code ..} plus its own {@code .}); inode numbers are never given out twice. Names and digests
 * are bytes ({@code BLOB}), compared as unsigned bytes by both databases, which is {@link EntryName}'s order.
 *
 * <p>Every change runs as one transaction on the writer connection, whose lock ({@link #writeLock}) serializes
 * this process's changes; other processes wait for the database's own lock. Reads use a second connection, so
 * that a durable commit's fsync never holds up a lookup.
 */
public final class SqlNamespace implements Namespace {
    /** The schema this release writes and reads; a database with another refuses to open. */
    static final int SCHEMA = 1;

    private static final String COLUMNS =
            "i.inode, i.type, i.mode, i.uid, i.gid, i.atime, i.mtime, i.ctime, i.size, i.links, i.digest, i.target,"
                    + " i.device";
    private static final int XATTR_VALUE_MAX = 65536;
    private static final int XATTR_NAME_MAX = 255;

    private final SqliteDatabase database;
    private final SyncLevel level;
    private final Clock clock;
    /** Guards {@link #writer}: one transaction at a time. */
    private final ReentrantLock writeLock = new ReentrantLock();

    private final Sql writer;
    /** Guarded by its own monitor. */
    private final Sql reader;

    private final GroupSync durable;
    private volatile boolean closed;

    private SqlNamespace(SqliteDatabase database, SyncLevel level, Clock clock) throws IOException {
        this.database = database;
        this.level = level;
        this.clock = clock;
        this.writer = new Sql(database.connect());
        Sql read;
        try {
            read = new Sql(database.connect());
        } catch (IOException e) {
            closeQuietly(writer);
            throw e;
        }
        this.reader = read;
        this.durable = new GroupSync(this::makeDurable);
    }

    /**
     * Opens the tree kept in {@code folder/tree.db}, creating it (root folder owned by {@code uid:gid}, mode
     * 0755, gc roots {@code treeRoots}) if there is none and {@code readOnly} is false.
     *
     * @param sharedMemoryWorks false where the folder is on FUSE or a network file system (see {@link
     *     SqliteDatabase})
     */
    public static SqlNamespace open(
            Path folder,
            boolean sharedMemoryWorks,
            boolean readOnly,
            SyncLevel level,
            Clock clock,
            long uid,
            long gid,
            boolean treeRoots)
            throws IOException {
        return openFile(
                folder.resolve(SqliteDatabase.FILE), sharedMemoryWorks, readOnly, level, clock, uid, gid, treeRoots);
    }

    /** As {@link #open}, the database being {@code file} itself (a conversion builds one under another name). */
    public static SqlNamespace openFile(
            Path file,
            boolean sharedMemoryWorks,
            boolean readOnly,
            SyncLevel level,
            Clock clock,
            long uid,
            long gid,
            boolean treeRoots)
            throws IOException {
        if (readOnly && !Files.exists(file)) {
            throw new PosixException("open", file.toString(), Errno.ENOENT.intValue());
        }
        // The folder's real path: the database refuses a symlink anywhere on its path (see SqliteDatabase).
        Path real = file.toAbsolutePath().getParent().toRealPath().resolve(file.getFileName());
        SqlNamespace namespace = new SqlNamespace(SqliteDatabase.at(real, sharedMemoryWorks, readOnly), level, clock);
        try {
            if (readOnly) {
                namespace.checkSchema();
            } else {
                namespace.createOrCheckSchema(uid, gid, treeRoots);
            }
            return namespace;
        } catch (IOException | RuntimeException e) {
            namespace.close();
            throw e;
        }
    }

    /** The name of the tree's database file in the store folder. */
    public static String fileName() {
        return SqliteDatabase.FILE;
    }

    private void createOrCheckSchema(long uid, long gid, boolean treeRoots) throws IOException {
        write("create the schema", c -> {
            if (!hasTable(c, "settings")) {
                try (Statement s = c.connection().createStatement()) {
                    s.execute("CREATE TABLE settings (name VARCHAR(64) PRIMARY KEY, value VARCHAR(256) NOT NULL)");
                    s.execute("CREATE TABLE counters (name VARCHAR(64) PRIMARY KEY, value BIGINT NOT NULL)");
                    s.execute("CREATE TABLE inodes (inode BIGINT PRIMARY KEY, type SMALLINT NOT NULL,"
                            + " mode INTEGER NOT NULL, uid BIGINT NOT NULL, gid BIGINT NOT NULL, atime BIGINT NOT NULL,"
                            + " mtime BIGINT NOT NULL, ctime BIGINT NOT NULL, size BIGINT NOT NULL,"
                            + " links BIGINT NOT NULL, digest BLOB, target BLOB, device BIGINT NOT NULL)");
                    s.execute("CREATE INDEX inodes_digest ON inodes (digest)");
                    s.execute("CREATE TABLE entries (parent BIGINT NOT NULL, name BLOB NOT NULL,"
                            + " inode BIGINT NOT NULL, PRIMARY KEY (parent, name))");
                    s.execute("CREATE INDEX entries_inode ON entries (inode)");
                    s.execute("CREATE TABLE xattrs (inode BIGINT NOT NULL, name VARCHAR(255) NOT NULL,"
                            + " value BLOB NOT NULL, PRIMARY KEY (inode, name))");
                }
                update(c, "INSERT INTO settings (name, value) VALUES ('schema', ?)", String.valueOf(SCHEMA));
                update(c, "INSERT INTO settings (name, value) VALUES ('tree_roots', ?)", treeRoots ? "on" : "off");
                update(c, "INSERT INTO counters (name, value) VALUES ('inode', ?)", ROOT);
                update(c, "INSERT INTO counters (name, value) VALUES ('syncs', 0)");
                long now = now();
                insertInode(c, ROOT, NewEntry.folder(0755, uid, gid, now), 2);
            }
            checkSchema(c);
            return null;
        });
        if (level != SyncLevel.NONE) {
            sync();
        }
    }

    private void checkSchema() throws IOException {
        read("read the schema", c -> {
            checkSchema(c);
            return null;
        });
    }

    private void checkSchema(Sql c) throws SQLException, IOException {
        String schema = setting(c, "schema");
        if (!String.valueOf(SCHEMA).equals(schema)) {
            throw new io.chunkfs.store.StoreException("the tree database " + database.file() + " has schema " + schema
                    + ", which this chunkfs does not read (it reads schema " + SCHEMA + ")");
        }
    }

    private boolean hasTable(Sql c, String table) throws SQLException {
        try (ResultSet tables = c.connection().getMetaData().getTables(null, null, table, null)) {
            return tables.next();
        }
    }

    // ---- reads

    @Override
    public Optional<Entry> lookup(long folder, EntryName name) throws IOException {
        return read("lookup", c -> lookup(c, folder, name));
    }

    private Optional<Entry> lookup(Sql c, long folder, EntryName name) throws SQLException, IOException {
        try (Sql.Query s = c.query("SELECT " + COLUMNS
                + " FROM entries e JOIN inodes i ON i.inode = e.inode WHERE e.parent = ? AND e.name = ?")) {
            s.setLong(1, folder);
            s.setBytes(2, name.bytes());
            try (ResultSet row = s.executeQuery()) {
                if (row.next()) {
                    return Optional.of(entry(row, 1));
                }
            }
        }
        requireFolder(c, folder);
        return Optional.empty();
    }

    @Override
    public Optional<Entry> entry(long inode) throws IOException {
        return read("stat", c -> inode(c, inode));
    }

    private Optional<Entry> inode(Sql c, long inode) throws SQLException {
        try (Sql.Query s = c.query("SELECT " + COLUMNS + " FROM inodes i WHERE i.inode = ?")) {
            s.setLong(1, inode);
            try (ResultSet row = s.executeQuery()) {
                return row.next() ? Optional.of(entry(row, 1)) : Optional.empty();
            }
        }
    }

    @Override
    public List<Child> list(long folder, EntryName after, int limit) throws IOException {
        if (limit <= 0) {
            throw new IllegalArgumentException("limit must be positive: " + limit);
        }
        return read("list", c -> {
            List<Child> children = new ArrayList<>();
            try (Sql.Query s = c.query("SELECT e.name, " + COLUMNS
                    + " FROM entries e JOIN inodes i ON i.inode = e.inode WHERE e.parent = ? AND e.name > ?"
                    + " ORDER BY e.name LIMIT ?")) {
                s.setLong(1, folder);
                s.setBytes(2, after == null ? new byte[0] : after.bytes());
                s.setInt(3, limit);
                try (ResultSet row = s.executeQuery()) {
                    while (row.next()) {
                        children.add(new Child(EntryName.of(row.getBytes(1)), entry(row, 2)));
                    }
                }
            }
            if (children.isEmpty()) {
                requireFolder(c, folder);
            }
            return children;
        });
    }

    @Override
    public Optional<byte[]> xattr(long inode, String name) throws IOException {
        return read("getxattr", c -> {
            requireInode(c, inode);
            try (Sql.Query s = c.query("SELECT value FROM xattrs WHERE inode = ? AND name = ?")) {
                s.setLong(1, inode);
                s.setString(2, name);
                try (ResultSet row = s.executeQuery()) {
                    return row.next() ? Optional.of(row.getBytes(1)) : Optional.empty();
                }
            }
        });
    }

    @Override
    public List<String> xattrNames(long inode) throws IOException {
        return read("listxattr", c -> {
            requireInode(c, inode);
            List<String> names = new ArrayList<>();
            try (Sql.Query s = c.query("SELECT name FROM xattrs WHERE inode = ? ORDER BY name")) {
                s.setLong(1, inode);
                try (ResultSet row = s.executeQuery()) {
                    while (row.next()) {
                        names.add(row.getString(1));
                    }
                }
            }
            return names;
        });
    }

    @Override
    public List<Digest> namedDigests(Digest after, int limit) throws IOException {
        return read("list named chunks", c -> {
            List<Digest> digests = new ArrayList<>();
            try (Sql.Query s = c.query("SELECT DISTINCT digest FROM inodes"
                    + " WHERE digest IS NOT NULL AND digest > ? ORDER BY digest LIMIT ?")) {
                s.setBytes(1, after == null ? new byte[0] : after.toBytes());
                s.setInt(2, limit);
                try (ResultSet row = s.executeQuery()) {
                    while (row.next()) {
                        digests.add(Digest.of(row.getBytes(1)));
                    }
                }
            }
            return digests;
        });
    }

    @Override
    public boolean treeRoots() throws IOException {
        return read("read a setting", c -> "on".equals(setting(c, "tree_roots")));
    }

    // ---- changes

    @Override
    public Entry create(long folder, EntryName name, NewEntry entry) throws IOException {
        Entry created = write("create", c -> {
            requireFolder(c, folder);
            if (child(c, folder, name) != null) {
                throw error("create", name, Errno.EEXIST);
            }
            return insert(c, folder, name, entry);
        });
        changed(false);
        return created;
    }

    @Override
    public Entry createOrReplace(long folder, EntryName name, NewEntry entry) throws IOException {
        if (entry.type() != EntryType.REGULAR) {
            throw new IllegalArgumentException("only a regular file replaces a name: " + entry.type());
        }
        Entry created = write("create", c -> {
            requireFolder(c, folder);
            Long existing = child(c, folder, name);
            if (existing != null) {
                Entry old = inode(c, existing).orElseThrow();
                if (old.isFolder()) {
                    throw error("create", name, Errno.EISDIR);
                }
                removeName(c, folder, name, old);
            }
            return insert(c, folder, name, entry);
        });
        changed(true);
        return created;
    }

    @Override
    public Entry link(long inode, long folder, EntryName name) throws IOException {
        Entry linked = write("link", c -> {
            Entry target = inode(c, inode).orElseThrow(() -> error("link", name, Errno.ENOENT));
            if (target.isFolder()) {
                throw error("link", name, Errno.EPERM);
            }
            requireFolder(c, folder);
            if (child(c, folder, name) != null) {
                throw error("link", name, Errno.EEXIST);
            }
            insertEntry(c, folder, name, inode);
            long now = now();
            update(c, "UPDATE inodes SET links = links + 1, ctime = ? WHERE inode = ?", now, inode);
            touchFolder(c, folder, now);
            return inode(c, inode).orElseThrow();
        });
        changed(false);
        return linked;
    }

    @Override
    public void rename(long fromFolder, EntryName from, long toFolder, EntryName to, RenameMode mode)
            throws IOException {
        write("rename", c -> {
            requireFolder(c, fromFolder);
            requireFolder(c, toFolder);
            Long moving = child(c, fromFolder, from);
            if (moving == null) {
                throw error("rename", from, Errno.ENOENT);
            }
            Entry source = inode(c, moving).orElseThrow();
            Long replaced = child(c, toFolder, to);
            Entry target = replaced == null ? null : inode(c, replaced).orElseThrow();
            if (source.isFolder()) {
                requireNotUnder(c, toFolder, moving, to);
            }
            if (mode == RenameMode.EXCHANGE) {
                if (target == null) {
                    throw error("rename", to, Errno.ENOENT);
                }
                if (target.isFolder()) {
                    requireNotUnder(c, fromFolder, replaced, from);
                }
                exchange(c, fromFolder, from, source, toFolder, to, target);
                return null;
            }
            if (target != null && mode == RenameMode.NOREPLACE) {
                throw error("rename", to, Errno.EEXIST);
            }
            if ((fromFolder == toFolder && from.equals(to)) || (target != null && target.inode() == source.inode())) {
                return null; // POSIX: the same file under both names, nothing to do
            }
            long now = now();
            if (target != null) {
                if (source.isFolder() && !target.isFolder()) {
                    throw error("rename", to, Errno.ENOTDIR);
                }
                if (!source.isFolder() && target.isFolder()) {
                    throw error("rename", to, Errno.EISDIR);
                }
                if (target.isFolder() && hasChildren(c, target.inode())) {
                    throw error("rename", to, Errno.ENOTEMPTY);
                }
                removeName(c, toFolder, to, target);
            }
            update(
                    c,
                    "UPDATE entries SET parent = ?, name = ? WHERE parent = ? AND name = ?",
                    toFolder,
                    to.bytes(),
                    fromFolder,
                    from.bytes());
            if (source.isFolder() && fromFolder != toFolder) {
                update(c, "UPDATE inodes SET links = links - 1 WHERE inode = ?", fromFolder);
                update(c, "UPDATE inodes SET links = links + 1 WHERE inode = ?", toFolder);
            }
            update(c, "UPDATE inodes SET ctime = ? WHERE inode = ?", now, moving);
            touchFolder(c, fromFolder, now);
            touchFolder(c, toFolder, now);
            return null;
        });
        changed(false);
    }

    private void exchange(
            Sql c, long fromFolder, EntryName from, Entry source, long toFolder, EntryName to, Entry target)
            throws SQLException {
        update(
                c,
                "UPDATE entries SET inode = ? WHERE parent = ? AND name = ?",
                target.inode(),
                fromFolder,
                from.bytes());
        update(c, "UPDATE entries SET inode = ? WHERE parent = ? AND name = ?", source.inode(), toFolder, to.bytes());
        if (fromFolder != toFolder && source.isFolder() != target.isFolder()) {
            long folderMovesTo = source.isFolder() ? toFolder : fromFolder;
            long folderLeaves = source.isFolder() ? fromFolder : toFolder;
            update(c, "UPDATE inodes SET links = links + 1 WHERE inode = ?", folderMovesTo);
            update(c, "UPDATE inodes SET links = links - 1 WHERE inode = ?", folderLeaves);
        }
        long now = now();
        update(c, "UPDATE inodes SET ctime = ? WHERE inode = ? OR inode = ?", now, source.inode(), target.inode());
        touchFolder(c, fromFolder, now);
        touchFolder(c, toFolder, now);
    }

    @Override
    public Entry unlink(long folder, EntryName name) throws IOException {
        Entry removed = write("unlink", c -> {
            requireFolder(c, folder);
            Long inode = child(c, folder, name);
            if (inode == null) {
                throw error("unlink", name, Errno.ENOENT);
            }
            Entry entry = inode(c, inode).orElseThrow();
            if (entry.isFolder()) {
                throw error("unlink", name, Errno.EISDIR);
            }
            removeName(c, folder, name, entry);
            // With its last name the inode is gone: what it was, with no link left.
            return inode(c, inode).orElseGet(() -> withNoLinks(entry));
        });
        changed(false);
        return removed;
    }

    private static Entry withNoLinks(Entry e) {
        return new Entry(
                e.inode(),
                e.type(),
                e.mode(),
                e.uid(),
                e.gid(),
                e.atime(),
                e.mtime(),
                e.ctime(),
                e.size(),
                0,
                e.digest(),
                e.target(),
                e.device());
    }

    @Override
    public void removeFolder(long folder, EntryName name) throws IOException {
        write("rmdir", c -> {
            requireFolder(c, folder);
            Long inode = child(c, folder, name);
            if (inode == null) {
                throw error("rmdir", name, Errno.ENOENT);
            }
            Entry entry = inode(c, inode).orElseThrow();
            if (!entry.isFolder()) {
                throw error("rmdir", name, Errno.ENOTDIR);
            }
            if (hasChildren(c, inode)) {
                throw error("rmdir", name, Errno.ENOTEMPTY);
            }
            removeName(c, folder, name, entry);
            return null;
        });
        changed(false);
    }

    @Override
    public Entry setAttributes(long inode, AttributeChange change) throws IOException {
        Entry changedEntry = write("setattr", c -> {
            Entry entry = requireInode(c, inode);
            long now = now();
            update(
                    c,
                    "UPDATE inodes SET mode = ?, uid = ?, gid = ?, atime = ?, mtime = ?, ctime = ? WHERE inode = ?",
                    change.mode() != null ? change.mode() : entry.mode(),
                    change.uid() != null ? change.uid() : entry.uid(),
                    change.gid() != null ? change.gid() : entry.gid(),
                    change.atime() != null ? change.atime() : entry.atime(),
                    change.mtime() != null ? change.mtime() : entry.mtime(),
                    now,
                    inode);
            return inode(c, inode).orElseThrow();
        });
        changed(false);
        return changedEntry;
    }

    @Override
    public Entry setContent(long inode, Digest digest, long size, long mtime) throws IOException {
        Entry changedEntry = write("write", c -> {
            Entry entry = requireInode(c, inode);
            if (entry.type() != EntryType.REGULAR) {
                throw new PosixException(
                        "write", "inode " + inode, (entry.isFolder() ? Errno.EISDIR : Errno.EINVAL).intValue());
            }
            update(
                    c,
                    "UPDATE inodes SET digest = ?, size = ?, mtime = ?, ctime = ? WHERE inode = ?",
                    digest.toBytes(),
                    size,
                    mtime,
                    Math.max(mtime, now()),
                    inode);
            return inode(c, inode).orElseThrow();
        });
        changed(true);
        return changedEntry;
    }

    @Override
    public void setXattr(long inode, String name, byte[] value, XattrMode mode) throws IOException {
        if (name.isEmpty() || name.length() > XATTR_NAME_MAX) {
            throw new PosixException("setxattr", name, Errno.ERANGE.intValue());
        }
        if (value.length > XATTR_VALUE_MAX) {
            throw new PosixException("setxattr", name, Errno.E2BIG.intValue());
        }
        write("setxattr", c -> {
            requireInode(c, inode);
            boolean exists;
            try (Sql.Query s = c.query("SELECT 1 FROM xattrs WHERE inode = ? AND name = ?")) {
                s.setLong(1, inode);
                s.setString(2, name);
                try (ResultSet row = s.executeQuery()) {
                    exists = row.next();
                }
            }
            if (exists && mode == XattrMode.CREATE) {
                throw new PosixException("setxattr", name, Errno.EEXIST.intValue());
            }
            if (!exists && mode == XattrMode.REPLACE) {
                throw new PosixException("setxattr", name, Errno.ENODATA.intValue());
            }
            if (exists) {
                update(c, "UPDATE xattrs SET value = ? WHERE inode = ? AND name = ?", value, inode, name);
            } else {
                update(c, "INSERT INTO xattrs (inode, name, value) VALUES (?, ?, ?)", inode, name, value);
            }
            update(c, "UPDATE inodes SET ctime = ? WHERE inode = ?", now(), inode);
            return null;
        });
        changed(false);
    }

    @Override
    public void removeXattr(long inode, String name) throws IOException {
        write("removexattr", c -> {
            requireInode(c, inode);
            if (update(c, "DELETE FROM xattrs WHERE inode = ? AND name = ?", inode, name) == 0) {
                throw new PosixException("removexattr", name, Errno.ENODATA.intValue());
            }
            update(c, "UPDATE inodes SET ctime = ? WHERE inode = ?", now(), inode);
            return null;
        });
        changed(false);
    }

    @Override
    public long removeNamesOfMissingChunks(Presence store) throws IOException {
        long removed = 0;
        Digest after = null;
        while (true) {
            List<Digest> page = namedDigests(after, 1000);
            if (page.isEmpty()) {
                break;
            }
            for (Digest digest : page) {
                if (!store.holds(digest)) {
                    // Checked again under the write lock: a name made for the chunk since (after its chunk came
                    // back) waits for this transaction, and the check sees the chunk.
                    removed += write("remove names of a missing chunk", c -> {
                        if (store.holds(digest)) {
                            return 0L;
                        }
                        List<long[]> parents = new ArrayList<>();
                        List<byte[]> names = new ArrayList<>();
                        try (Sql.Query s = c.query("SELECT e.parent, e.name FROM entries e"
                                + " JOIN inodes i ON i.inode = e.inode WHERE i.digest = ?")) {
                            s.setBytes(1, digest.toBytes());
                            try (ResultSet row = s.executeQuery()) {
                                while (row.next()) {
                                    parents.add(new long[] {row.getLong(1)});
                                    names.add(row.getBytes(2));
                                }
                            }
                        }
                        for (int k = 0; k < names.size(); k++) {
                            EntryName name = EntryName.of(names.get(k));
                            long folder = parents.get(k)[0];
                            removeName(
                                    c,
                                    folder,
                                    name,
                                    inode(c, child(c, folder, name)).orElseThrow());
                        }
                        return (long) names.size();
                    });
                }
            }
            after = page.get(page.size() - 1);
        }
        if (removed > 0) {
            changed(false);
        }
        return removed;
    }

    @Override
    public void setTreeRoots(boolean on) throws IOException {
        write("change a setting", c -> {
            update(c, "UPDATE settings SET value = ? WHERE name = 'tree_roots'", on ? "on" : "off");
            return null;
        });
        sync();
    }

    @Override
    public void sync() throws IOException {
        ensureOpen();
        if (database.commitsAreDeferred()) {
            durable.sync();
        }
    }

    private void makeDurable() throws IOException {
        writeLock.lock();
        try {
            database.makeDurable(writer.connection());
        } finally {
            writeLock.unlock();
        }
    }

    /** After a change: a written file's name is durable at once under sync=file; other changes wait. */
    private void changed(boolean writtenFile) throws IOException {
        if (writtenFile && level == SyncLevel.FILE) {
            sync();
        }
    }

    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        writeLock.lock();
        try {
            closeQuietly(writer);
        } finally {
            writeLock.unlock();
        }
        synchronized (reader) {
            closeQuietly(reader);
        }
    }

    // ---- helpers; each runs inside a transaction of its caller

    private Entry insert(Sql c, long folder, EntryName name, NewEntry entry) throws SQLException {
        long inode = nextInode(c);
        boolean folderEntry = entry.type() == EntryType.FOLDER;
        insertInode(c, inode, entry, folderEntry ? 2 : 1);
        insertEntry(c, folder, name, inode);
        long now = now();
        if (folderEntry) {
            update(c, "UPDATE inodes SET links = links + 1 WHERE inode = ?", folder);
        }
        touchFolder(c, folder, now);
        return inode(c, inode).orElseThrow();
    }

    private long nextInode(Sql c) throws SQLException {
        update(c, "UPDATE counters SET value = value + 1 WHERE name = 'inode'");
        try (Sql.Query s = c.query("SELECT value FROM counters WHERE name = 'inode'");
                ResultSet row = s.executeQuery()) {
            row.next();
            return row.getLong(1);
        }
    }

    private void insertInode(Sql c, long inode, NewEntry entry, long links) throws SQLException {
        update(
                c,
                "INSERT INTO inodes (inode, type, mode, uid, gid, atime, mtime, ctime, size, links, digest, target,"
                        + " device) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                inode,
                entry.type().code(),
                entry.mode(),
                entry.uid(),
                entry.gid(),
                entry.time(),
                entry.time(),
                entry.time(),
                entry.size(),
                links,
                entry.digest() == null ? null : entry.digest().toBytes(),
                entry.target(),
                entry.device());
    }

    private void insertEntry(Sql c, long folder, EntryName name, long inode) throws SQLException {
        update(c, "INSERT INTO entries (parent, name, inode) VALUES (?, ?, ?)", folder, name.bytes(), inode);
    }

    /** Drops one name of {@code entry}, and the inode with its last name. */
    private void removeName(Sql c, long folder, EntryName name, Entry entry) throws SQLException {
        update(c, "DELETE FROM entries WHERE parent = ? AND name = ?", folder, name.bytes());
        long now = now();
        if (entry.isFolder()) {
            deleteInode(c, entry.inode());
            update(c, "UPDATE inodes SET links = links - 1 WHERE inode = ?", folder);
        } else if (entry.links() <= 1) {
            deleteInode(c, entry.inode());
        } else {
            update(c, "UPDATE inodes SET links = links - 1, ctime = ? WHERE inode = ?", now, entry.inode());
        }
        touchFolder(c, folder, now);
    }

    private void deleteInode(Sql c, long inode) throws SQLException {
        update(c, "DELETE FROM inodes WHERE inode = ?", inode);
        update(c, "DELETE FROM xattrs WHERE inode = ?", inode);
    }

    private void touchFolder(Sql c, long folder, long now) throws SQLException {
        update(c, "UPDATE inodes SET mtime = ?, ctime = ? WHERE inode = ?", now, now, folder);
    }

    /** The inode {@code name} in {@code folder} names, or null. */
    private Long child(Sql c, long folder, EntryName name) throws SQLException {
        try (Sql.Query s = c.query("SELECT inode FROM entries WHERE parent = ? AND name = ?")) {
            s.setLong(1, folder);
            s.setBytes(2, name.bytes());
            try (ResultSet row = s.executeQuery()) {
                return row.next() ? row.getLong(1) : null;
            }
        }
    }

    private boolean hasChildren(Sql c, long folder) throws SQLException {
        try (Sql.Query s = c.query("SELECT 1 FROM entries WHERE parent = ? LIMIT 1")) {
            s.setLong(1, folder);
            try (ResultSet row = s.executeQuery()) {
                return row.next();
            }
        }
    }

    /** EINVAL if {@code folder} is {@code moving} or lies under it (a folder moved into itself). */
    private void requireNotUnder(Sql c, long folder, long moving, EntryName name) throws SQLException, PosixException {
        long at = folder;
        while (at != ROOT) {
            if (at == moving) {
                throw error("rename", name, Errno.EINVAL);
            }
            try (Sql.Query s = c.query("SELECT parent FROM entries WHERE inode = ?")) {
                s.setLong(1, at);
                try (ResultSet row = s.executeQuery()) {
                    if (!row.next()) {
                        return;
                    }
                    at = row.getLong(1);
                }
            }
        }
    }

    private void requireFolder(Sql c, long folder) throws SQLException, PosixException {
        try (Sql.Query s = c.query("SELECT type FROM inodes WHERE inode = ?")) {
            s.setLong(1, folder);
            try (ResultSet row = s.executeQuery()) {
                if (!row.next()) {
                    throw new PosixException("lookup", "folder inode " + folder, Errno.ENOENT.intValue());
                }
                if (row.getInt(1) != EntryType.FOLDER.code()) {
                    throw new PosixException("lookup", "inode " + folder, Errno.ENOTDIR.intValue());
                }
            }
        }
    }

    private Entry requireInode(Sql c, long inode) throws SQLException, PosixException {
        try (Sql.Query s = c.query("SELECT " + COLUMNS + " FROM inodes i WHERE i.inode = ?")) {
            s.setLong(1, inode);
            try (ResultSet row = s.executeQuery()) {
                if (!row.next()) {
                    throw new PosixException("stat", "inode " + inode, Errno.ENOENT.intValue());
                }
                return entry(row, 1);
            }
        }
    }

    private String setting(Sql c, String name) throws SQLException {
        try (Sql.Query s = c.query("SELECT value FROM settings WHERE name = ?")) {
            s.setString(1, name);
            try (ResultSet row = s.executeQuery()) {
                return row.next() ? row.getString(1) : null;
            }
        }
    }

    private static Entry entry(ResultSet row, int first) throws SQLException {
        EntryType type = EntryType.ofCode(row.getInt(first + 1));
        byte[] digest = row.getBytes(first + 10);
        return new Entry(
                row.getLong(first),
                type,
                row.getInt(first + 2),
                row.getLong(first + 3),
                row.getLong(first + 4),
                row.getLong(first + 5),
                row.getLong(first + 6),
                row.getLong(first + 7),
                row.getLong(first + 8),
                row.getLong(first + 9),
                digest == null ? null : Digest.of(digest),
                row.getBytes(first + 11),
                row.getLong(first + 12));
    }

    private int update(Sql c, String sql, Object... values) throws SQLException {
        try (Sql.Query s = c.query(sql)) {
            for (int k = 0; k < values.length; k++) {
                Object value = values[k];
                if (value == null) {
                    s.setNull(k + 1, Types.BLOB);
                } else if (value instanceof byte[] bytes) {
                    s.setBytes(k + 1, bytes);
                } else if (value instanceof String text) {
                    s.setString(k + 1, text);
                } else if (value instanceof Integer number) {
                    s.setInt(k + 1, number);
                } else {
                    s.setLong(k + 1, (Long) value);
                }
            }
            return s.executeUpdate();
        }
    }

    private static PosixException error(String call, EntryName name, Errno errno) {
        return new PosixException(call, name.escaped(), errno.intValue());
    }

    private long now() {
        Instant now = clock.instant();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    private interface Work<T> {
        T run(Sql connection) throws SQLException, IOException;
    }

    private <T> T read(String what, Work<T> work) throws IOException {
        ensureOpen();
        synchronized (reader) {
            try {
                return work.run(reader);
            } catch (SQLException e) {
                throw database.failure(what, e);
            }
        }
    }

    private <T> T write(String what, Work<T> work) throws IOException {
        ensureOpen();
        writeLock.lock();
        try {
            try {
                database.begin(writer.connection());
            } catch (SQLException e) {
                throw database.failure(what, e);
            }
            try {
                T result = work.run(writer);
                database.commit(writer.connection());
                return result;
            } catch (SQLException e) {
                database.rollback(writer.connection());
                throw database.failure(what, e);
            } catch (IOException | RuntimeException e) {
                database.rollback(writer.connection());
                throw e;
            }
        } finally {
            writeLock.unlock();
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("the tree " + database.file() + " is closed");
        }
    }

    private void closeQuietly(Sql connection) {
        try {
            connection.close();
        } catch (SQLException e) {
            // closing: nothing left to do with it
        }
    }
}

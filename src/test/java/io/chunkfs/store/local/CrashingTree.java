package io.chunkfs.store.local;

import io.chunkfs.store.Digest;
import io.chunkfs.store.EntryType;
import io.chunkfs.store.Namespace;
import io.chunkfs.store.NewEntry;
import io.chunkfs.store.SyncLevel;
import io.chunkfs.store.sql.SqlNamespace;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.sqlite.SQLiteConfig;

/**
 * The tree's database under a simulated power cut, beside {@link CrashingSyscalls}: SQLite's own I/O does not go
 * through that port, and its durability is its settings' (WAL, {@code synchronous=NORMAL}, a durability point
 * fsyncing the log), so this models the database's durable state at the store's durability points instead of
 * its files.
 *
 * <p>It wraps the store's {@link Namespace}. After every change it copies the database ({@code VACUUM INTO},
 * through a connection of its own) between two calls of the port ({@link CrashingSyscalls#atCall}), so that each
 * copy has a cut point. A copy is <em>durable</em> when a durability point completed with it: the state before a
 * {@link Namespace#sync} that returned; the state after a written file's name ({@code createOrReplace}, {@code
 * setContent}) under {@code sync=file}, or a {@code setTreeRoots}; and after every change where the database keeps
 * a rollback journal (a store on FUSE: every commit is durable when it returns). The database a power cut after
 * cut point N leaves is, strictly, the last durable copy at or before N; adversarially, any later copy at or
 * before N (the commits after a durability point are kept or lost as a prefix: SQLite's log is replayed in
 * order up to its first missing frame).
 *
 * <p>It also checks the order the store promises between chunks and names: under {@code sync=file}, when a name
 * for a chunk is committed, the chunk must already be durable in the port's model (a strict cut there keeps it
 * with its bytes); and a change that promises a durability point must have made one (the database's count of
 * durability points moved). What goes wrong is collected in {@link #violations}, not thrown at the store.
 */
final class CrashingTree {
    /** The changes of the tree, after which a copy is taken. */
    private static final Set<String> CHANGES = Set.of(
            "create",
            "createOrReplace",
            "link",
            "rename",
            "unlink",
            "removeFolder",
            "setAttributes",
            "setContent",
            "setXattr",
            "removeXattr",
            "removeNamesOfMissingChunks",
            "setTreeRoots",
            "sync");

    /** The changes that promise a durability point before they return, under {@code sync=file}. */
    private static final Set<String> DURABLE_UNDER_FILE = Set.of("createOrReplace", "setContent");

    /**
     * A copy of the database ({@code db}, null for none: the store had no tree yet), the {@code seq}th copy taken
     * (copies in this order hold ever more commits), and the cut point {@code index} from which a power cut keeps
     * at least it, if it is {@code durable}, or may keep it.
     */
    record Snapshot(long seq, long index, boolean durable, byte[] db) {
        /** Equal for equal databases. */
        String fingerprint() {
            return db == null
                    ? "none"
                    : HexFormat.of().formatHex(Digest.newSha256().digest(db));
        }

        /** Writes the database into the store folder {@code root} of a crash state (nothing if there was none). */
        void writeTo(Path root) throws IOException {
            if (db != null) {
                Files.write(root.resolve(SqlNamespace.fileName()), db);
            }
        }
    }

    private final CrashingSyscalls sys;
    private final SyncLevel level;
    private final Path file;
    private final Path scratch;
    private final Connection copier;
    private final boolean everyCommitDurable;
    private final List<Snapshot> snapshots = Collections.synchronizedList(new ArrayList<>());
    private final List<String> violations = Collections.synchronizedList(new ArrayList<>());
    private final AtomicLong seq = new AtomicLong();
    private final Namespace tree;

    private CrashingTree(Namespace real, Path root, CrashingSyscalls sys, SyncLevel level, byte[] before, Path scratch)
            throws IOException {
        this.sys = sys;
        this.level = level;
        this.file = root.resolve(SqlNamespace.fileName());
        this.scratch = scratch;
        this.copier = connect(file);
        try (Statement statement = copier.createStatement();
                ResultSet mode = statement.executeQuery("PRAGMA journal_mode")) {
            mode.next();
            everyCommitDurable = !"wal".equalsIgnoreCase(mode.getString(1));
        } catch (SQLException e) {
            throw new IOException(e);
        }
        // Before the store opened (index 0), and as it opened: a tree is made durable when it is created.
        snapshots.add(new Snapshot(seq.getAndIncrement(), 0, true, before));
        record(true);
        this.tree = (Namespace) Proxy.newProxyInstance(
                Namespace.class.getClassLoader(), new Class<?>[] {Namespace.class}, (proxy, method, args) -> {
                    if (method.getName().equals("close")) {
                        try {
                            return invoke(real, method, args);
                        } finally {
                            closeCopier();
                        }
                    }
                    if (!CHANGES.contains(method.getName())) {
                        return invoke(real, method, args);
                    }
                    return change(real, method, args);
                });
    }

    /**
     * Wraps {@code real}, the tree of the store at {@code root}, whose port is {@code sys}; {@code before} is the
     * database as it was before the store opened ({@link #copy}), {@code scratch} a folder for copies.
     */
    static CrashingTree wrap(
            Namespace real, Path root, CrashingSyscalls sys, SyncLevel level, byte[] before, Path scratch)
            throws IOException {
        return new CrashingTree(real, root, sys, level, before, scratch);
    }

    /** A copy of the database of the store at {@code root} (no store may be writing it), or null if it has none. */
    static byte[] copy(Path root, Path scratch) throws IOException {
        Path file = root.resolve(SqlNamespace.fileName());
        if (!Files.exists(file)) {
            return null;
        }
        try (Connection connection = connect(file)) {
            return copy(connection, scratch);
        } catch (SQLException e) {
            throw new IOException(e);
        }
    }

    /** The tree to give the store. */
    Namespace tree() {
        return tree;
    }

    /** What broke the order of chunks and names, or a promised durability point; empty if nothing did. */
    List<String> violations() {
        synchronized (violations) {
            return List.copyOf(violations);
        }
    }

    /** How many copies were taken. */
    int snapshots() {
        return snapshots.size();
    }

    /** The cut points at which a copy was taken: where the database a power cut leaves may change. */
    java.util.TreeSet<Long> points() {
        synchronized (snapshots) {
            java.util.TreeSet<Long> points = new java.util.TreeSet<>();
            snapshots.forEach(snapshot -> points.add(snapshot.index()));
            return points;
        }
    }

    /** The database a power cut after call {@code cut} leaves: strict if {@code random} is null, adversarial otherwise. */
    Snapshot crashState(long cut, Random random) {
        List<Snapshot> all;
        synchronized (snapshots) {
            all = List.copyOf(snapshots);
        }
        Snapshot durable = null;
        for (Snapshot snapshot : all) {
            if (snapshot.durable() && snapshot.index() <= cut && (durable == null || snapshot.seq() > durable.seq())) {
                durable = snapshot;
            }
        }
        if (durable == null) {
            throw new IllegalStateException("no durable copy of the tree at cut " + cut);
        }
        if (random == null) {
            return durable;
        }
        long from = durable.seq();
        List<Snapshot> later = all.stream()
                .filter(snapshot -> snapshot.seq() >= from && snapshot.index() <= cut)
                .toList();
        return later.get(random.nextInt(later.size()));
    }

    // ---- the wrapper

    private Object change(Namespace real, Method method, Object[] args) throws Throwable {
        String name = method.getName();
        boolean promisesDurability = name.equals("sync")
                || name.equals("setTreeRoots")
                || (level == SyncLevel.FILE && DURABLE_UNDER_FILE.contains(name));
        Digest named = named(name, args);
        if (named != null && level == SyncLevel.FILE) {
            checkDurable(named, name + " " + args[1]);
        }
        // The state a sync makes durable is the one before it: what it commits itself adds nothing to the tree.
        Copy beforeSync = name.equals("sync") ? copy() : null;
        long syncsBefore = promisesDurability && !everyCommitDurable ? syncs() : -1;
        boolean returned = false;
        try {
            Object result = invoke(real, method, args);
            returned = true;
            return result;
        } finally {
            if (returned && syncsBefore >= 0 && syncs() <= syncsBefore) {
                violations.add(name + " returned without a durability point of the database");
            }
            if (beforeSync != null) {
                long index = sys.atCall(() -> {});
                snapshots.add(new Snapshot(beforeSync.seq(), index, returned, beforeSync.db()));
            } else {
                record(everyCommitDurable || (returned && promisesDurability));
            }
        }
    }

    /** The chunk a change names, if it is one that names a chunk: a written file's commit. */
    private static Digest named(String method, Object[] args) {
        if ((method.equals("createOrReplace") || method.equals("create"))
                && args[2] instanceof NewEntry entry
                && entry.type() == EntryType.REGULAR) {
            return entry.digest();
        }
        if (method.equals("setContent")) {
            return (Digest) args[1];
        }
        return null;
    }

    private void checkDurable(Digest digest, String what) {
        byte[] bytes = sys.durableFile(".chunks/" + digest.prefix(), digest.toString());
        if (bytes == null || !Digest.sha256(bytes).equals(digest)) {
            violations.add(what + " names chunk " + digest + " at call " + sys.calls() + ", before the chunk is durable"
                    + (bytes == null ? " (a power cut leaves no file)" : " (a power cut leaves wrong bytes)"));
        }
    }

    /** Copies the database now, between two calls of the port. */
    private void record(boolean durable) throws IOException {
        Copy[] copy = new Copy[1];
        long index = sys.atCall(() -> copy[0] = copy());
        snapshots.add(new Snapshot(copy[0].seq(), index, durable, copy[0].db()));
    }

    /** A copy of the database, the {@code seq}th taken: copies are taken one at a time, in this order. */
    private record Copy(long seq, byte[] db) {}

    private Copy copy() throws IOException {
        synchronized (copier) {
            return new Copy(seq.getAndIncrement(), copy(copier, scratch));
        }
    }

    /** How many durability points the database made (SqliteDatabase counts them in its {@code counters} table). */
    private long syncs() throws IOException {
        synchronized (copier) {
            try (Statement statement = copier.createStatement();
                    ResultSet row = statement.executeQuery("SELECT value FROM counters WHERE name = 'syncs'")) {
                return row.next() ? row.getLong(1) : 0;
            } catch (SQLException e) {
                throw new IOException(e);
            }
        }
    }

    private static byte[] copy(Connection connection, Path scratch) throws IOException {
        synchronized (connection) {
            // An empty file is a valid target of VACUUM INTO.
            Path target = Files.createTempFile(scratch, "tree", ".db");
            try (Statement statement = connection.createStatement()) {
                statement.execute("VACUUM INTO '" + target.toString().replace("'", "''") + "'");
                return Files.readAllBytes(target);
            } catch (SQLException e) {
                throw new IOException("copying the tree: " + e.getMessage(), e);
            } finally {
                Files.deleteIfExists(target);
            }
        }
    }

    private static Connection connect(Path file) throws IOException {
        SQLiteConfig config = new SQLiteConfig();
        config.setBusyTimeout(60_000);
        config.setReadOnly(true);
        try {
            return config.createConnection("jdbc:sqlite:" + file);
        } catch (SQLException e) {
            throw new IOException(e);
        }
    }

    private void closeCopier() {
        synchronized (copier) {
            try {
                copier.close();
            } catch (SQLException e) {
                throw new UncheckedIOException(new IOException(e));
            }
        }
    }

    private static Object invoke(Namespace real, Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(real, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }
}

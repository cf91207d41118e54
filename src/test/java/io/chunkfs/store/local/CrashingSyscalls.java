package io.chunkfs.store.local;

import io.chunkfs.store.Digest;
import io.chunkfs.store.sql.SqlNamespace;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.WeakHashMap;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * A {@link Syscalls} that works on a real folder through {@link LinuxSyscalls} and records, call by call, what
 * a power cut would keep, in the spirit of Lucene's {@code MockDirectoryWrapper}. {@link #crashState} gives
 * the file tree that a power cut right after any call ("cut point" N: the first N calls through this port,
 * counted across threads) would leave.
 *
 * <p>The model: a file's data is durable as of its last {@code fsync(FileChannel)} (its bytes are snapshotted
 * then, read through the channel) or the last {@code syncfs}; before either, it is empty. A folder's entries
 * are durable as of its last {@code fsync(Folder)} or {@code syncfs}; a create, mkdir, symlink, link, unlink or
 * rename after that is not. A rename within one folder is one atomic change of that folder; across folders it
 * is an add in one and a remove in the other, each on its own. A <em>strict</em> crash state drops every change
 * that is not durable; an <em>adversarial</em> one keeps, for each folder, a random prefix of its pending
 * changes (the kernel may have written some back on its own), with file data still only as durable as fsync
 * made it: an entry can survive whose data did not.
 *
 * <p>Not modelled: torn or reordered writes within a file's data (a snapshot is all or nothing), file times
 * and modes changed after creation (a materialized file has fresh times), and the stronger ordering of
 * ext4's journal (changes of different folders committed together), which this model does not rely on.
 *
 * <p>The tree's database ({@code tree.db} and its {@code -wal}, {@code -shm} or {@code -journal}) is not modelled
 * here: SQLite's own I/O does not go through this port. Its files are left out of every crash state, and {@link
 * CrashingTree} models the database's durable state at the store's durability points instead; {@link #atCall}
 * places its snapshots between two calls of this port, and {@link #durableFile} tells it whether a chunk is
 * durable when a name for it is committed.
 *
 * <p>A file system whose {@code syncfs} persists nothing (FUSE: the kernel sends the daemon nothing for it) is
 * modelled too ({@link #syncfsPersistsNothing}): its {@code syncfs} changes nothing durable, and it reports the
 * FUSE type to {@code statfs}, as a store on such a file system sees it.
 *
 * <p>Calls are serialized under one lock so that the recorded order is the order the file system saw; real
 * fsync and syncfs are skipped, since durability is decided by the model and real flushes only cost time.
 */
final class CrashingSyscalls implements Syscalls {
    /** What a folder entry names. */
    sealed interface Node permits FileNode, LinkNode, DirNode {}

    /** A regular file; hard links share the inode. */
    record FileNode(int inode, int mode) implements Node {}

    record LinkNode(String target) implements Node {}

    /** A folder, by its path relative to the root ("" for the root, "a/b" below). */
    record DirNode(String path, int mode) implements Node {}

    /** A call through the port, for hooks: {@code folder} is relative to the root, or null outside it. */
    record Call(long index, String op, String folder, String name) {}

    private sealed interface Event permits Changes, FileData, FolderSync, SyncAll {
        long index();
    }

    /** Atomic changes of one folder's entries; a null node removes the name. */
    private record Changes(long index, String folder, List<Map.Entry<String, Node>> changes) implements Event {}

    private record FileData(long index, int inode, byte[] bytes) implements Event {}

    private record FolderSync(long index, String folder) implements Event {}

    private record SyncAll(long index, Map<Integer, byte[]> data) implements Event {}

    /** The files of the store folder this model leaves out: the tree's database, whose I/O is SQLite's own. */
    static final Set<String> UNMODELLED = Set.of(
            SqlNamespace.fileName(),
            SqlNamespace.fileName() + "-wal",
            SqlNamespace.fileName() + "-shm",
            SqlNamespace.fileName() + "-journal");

    private final Syscalls real = LinuxSyscalls.INSTANCE;
    private final Path root;
    private final boolean syncfsPersistsNothing;
    private final Object lock = new Object();
    private final Map<String, Map<String, Node>> baseTree;
    private final Map<Integer, byte[]> baseData;
    /** The tree as the running code sees it now. */
    private final Map<String, Map<String, Node>> live;

    private final List<Event> trace = new ArrayList<>();
    private final Map<Folder, String> folders = new IdentityHashMap<>();
    private final Map<FileChannel, Integer> channels = new WeakHashMap<>();
    private int nextInode;
    private long calls;
    private volatile Consumer<Call> afterCall = call -> {};

    /** Starts recording on {@code root}, whose present contents count as durable. */
    CrashingSyscalls(Path root) throws IOException {
        this(root, false);
    }

    /**
     * Starts recording on {@code root}; with {@code syncfsPersistsNothing} the simulated file system is one whose
     * {@code syncfs} makes nothing durable (a FUSE file system), and says so to {@code statfs}.
     */
    CrashingSyscalls(Path root, boolean syncfsPersistsNothing) throws IOException {
        this.root = root.toAbsolutePath().normalize();
        this.syncfsPersistsNothing = syncfsPersistsNothing;
        Map<String, Map<String, Node>> tree = new HashMap<>();
        Map<Integer, byte[]> data = new HashMap<>();
        scan("", tree, data);
        this.baseTree = tree;
        this.baseData = data;
        this.live = copy(tree);
    }

    private void scan(String folder, Map<String, Map<String, Node>> tree, Map<Integer, byte[]> data)
            throws IOException {
        Map<String, Node> entries = new TreeMap<>();
        tree.put(folder, entries);
        List<Path> children;
        try (Stream<Path> list = Files.list(resolve(folder))) {
            children = list.toList();
        }
        for (Path child : children) {
            String name = child.getFileName().toString();
            if (folder.isEmpty() && UNMODELLED.contains(name)) {
                continue;
            }
            int mode = Files.isSymbolicLink(child) ? 0 : modeOf(child);
            if (Files.isSymbolicLink(child)) {
                entries.put(name, new LinkNode(Files.readSymbolicLink(child).toString()));
            } else if (Files.isDirectory(child)) {
                String path = join(folder, name);
                entries.put(name, new DirNode(path, mode));
                scan(path, tree, data);
            } else {
                int inode = nextInode++;
                data.put(inode, readKeepingAtime(child));
                entries.put(name, new FileNode(inode, mode));
            }
        }
    }

    /** Whether this file system's {@code syncfs} persists nothing. */
    boolean syncfsPersistsNothing() {
        return syncfsPersistsNothing;
    }

    /** Runs after every call, outside the lock: tests use it to interleave threads at a chosen call. */
    void afterCall(Consumer<Call> hook) {
        this.afterCall = hook;
    }

    /** How many calls went through the port so far: a cut point at this value is "now". */
    long calls() {
        synchronized (lock) {
            return calls;
        }
    }

    /**
     * Counts a call that changes nothing (an unrelated system call of the process): a test marks with it a moment
     * between two changes that make no call of their own (the tree's), so that a cut can fall between them.
     */
    long tick() {
        synchronized (lock) {
            return ++calls;
        }
    }

    /**
     * Runs {@code body} between two calls of this port (none runs meanwhile) and returns the cut point it ran at:
     * what it saw is what a power cut right after that call, before the next, finds.
     */
    long atCall(IoRunnable body) throws IOException {
        synchronized (lock) {
            body.run();
            return calls;
        }
    }

    /** Work that may fail with an {@link IOException}. */
    interface IoRunnable {
        void run() throws IOException;
    }

    /**
     * The bytes a strict power cut right now would leave at {@code folder/name} (a regular file), or null if it
     * would leave no regular file there.
     */
    byte[] durableFile(String folder, String name) {
        synchronized (lock) {
            CrashState state = crashState(calls, null);
            Node node = state.tree().getOrDefault(folder, Map.of()).get(name);
            return node instanceof FileNode file ? state.data().getOrDefault(file.inode(), new byte[0]) : null;
        }
    }

    /** The call indexes after which the durable state or the tree changed: the cut points that differ. */
    TreeSet<Long> changePoints() {
        synchronized (lock) {
            TreeSet<Long> points = new TreeSet<>();
            points.add(0L);
            trace.forEach(event -> points.add(event.index()));
            return points;
        }
    }

    /** The tree a power cut after call {@code cut} leaves: strict when {@code random} is null, adversarial otherwise. */
    CrashState crashState(long cut, Random random) {
        Map<String, Map<String, Node>> tree;
        Map<Integer, byte[]> data;
        Map<String, List<Changes>> pending = new LinkedHashMap<>();
        synchronized (lock) {
            tree = copy(baseTree);
            data = new HashMap<>(baseData);
            for (Event event : trace) {
                if (event.index() > cut) {
                    break;
                }
                if (event instanceof Changes changes) {
                    pending.computeIfAbsent(changes.folder(), key -> new ArrayList<>())
                            .add(changes);
                } else if (event instanceof FileData fileData) {
                    data.put(fileData.inode(), fileData.bytes());
                } else if (event instanceof FolderSync sync) {
                    List<Changes> done = pending.remove(sync.folder());
                    if (done != null) {
                        done.forEach(changes -> apply(tree, changes));
                    }
                } else if (event instanceof SyncAll all) {
                    pending.values().forEach(list -> list.forEach(changes -> apply(tree, changes)));
                    pending.clear();
                    data.putAll(all.data());
                }
            }
        }
        if (random != null) {
            for (List<Changes> list : pending.values()) {
                int kept = random.nextInt(list.size() + 1);
                list.subList(0, kept).forEach(changes -> apply(tree, changes));
            }
        }
        return new CrashState(tree, data);
    }

    private static void apply(Map<String, Map<String, Node>> tree, Changes changes) {
        Map<String, Node> entries = tree.computeIfAbsent(changes.folder(), key -> new TreeMap<>());
        for (Map.Entry<String, Node> change : changes.changes()) {
            if (change.getValue() == null) {
                entries.remove(change.getKey());
            } else {
                entries.put(change.getKey(), change.getValue());
            }
        }
    }

    /** A file tree left by a power cut: folders by path, and the durable bytes of each inode. */
    record CrashState(Map<String, Map<String, Node>> tree, Map<Integer, byte[]> data) {
        /** Equal for equal trees (same names, kinds, modes, link targets and bytes), whatever the inode numbers. */
        String fingerprint() {
            java.security.MessageDigest sha256 = Digest.newSha256();
            fingerprint("", sha256);
            return java.util.HexFormat.of().formatHex(sha256.digest());
        }

        private void fingerprint(String folder, java.security.MessageDigest sha256) {
            for (Map.Entry<String, Node> entry :
                    tree.getOrDefault(folder, Map.of()).entrySet()) {
                Node node = entry.getValue();
                String line = "\n" + folder + "/" + entry.getKey() + " ";
                if (node instanceof FileNode file) {
                    byte[] bytes = data.getOrDefault(file.inode(), new byte[0]);
                    sha256.update((line + "f" + file.mode() + " " + bytes.length + " ")
                            .getBytes(java.nio.charset.StandardCharsets.UTF_8));
                    sha256.update(bytes);
                } else if (node instanceof LinkNode link) {
                    sha256.update((line + "l " + link.target()).getBytes(java.nio.charset.StandardCharsets.UTF_8));
                } else if (node instanceof DirNode dir) {
                    sha256.update((line + "d" + dir.mode()).getBytes(java.nio.charset.StandardCharsets.UTF_8));
                    fingerprint(dir.path(), sha256);
                }
            }
        }

        /** Writes the tree into {@code target}, which must not exist. */
        void writeTo(Path target) throws IOException {
            Files.createDirectories(target);
            write("", target);
        }

        private void write(String folder, Path target) throws IOException {
            List<Runnable> modes = new ArrayList<>();
            for (Map.Entry<String, Node> entry :
                    tree.getOrDefault(folder, Map.of()).entrySet()) {
                Path path = target.resolve(entry.getKey());
                Node node = entry.getValue();
                if (node instanceof FileNode file) {
                    Files.write(path, data.getOrDefault(file.inode(), new byte[0]));
                    modes.add(() -> setMode(path, file.mode()));
                } else if (node instanceof LinkNode link) {
                    Files.createSymbolicLink(path, Path.of(link.target()));
                } else if (node instanceof DirNode dir) {
                    Files.createDirectory(path);
                    write(dir.path(), path);
                    if (dir.mode() != 0755) {
                        modes.add(() -> setMode(path, dir.mode()));
                    }
                }
            }
            // Modes last: a read-only folder is filled first.
            modes.forEach(Runnable::run);
        }
    }

    // ---- the port ----

    @Override
    public Folder openRoot(Path path) throws IOException {
        Path absolute = path.toAbsolutePath().normalize();
        String rel = absolute.startsWith(root) ? root.relativize(absolute).toString() : null;
        return call("openRoot", null, null, () -> {
            Folder folder = real.openRoot(path);
            folders.put(folder, rel);
            return folder;
        });
    }

    @Override
    public Folder openFolder(Folder parent, String name) throws IOException {
        return call("openFolder", parent, name, () -> {
            Folder folder = real.openFolder(parent, name);
            String at = folders.get(parent);
            folders.put(folder, at == null ? null : join(at, name));
            return folder;
        });
    }

    @Override
    public void mkdir(Folder parent, String name, int mode) throws IOException {
        call("mkdir", parent, name, () -> {
            real.mkdir(parent, name, mode);
            String at = folders.get(parent);
            if (at != null) {
                String path = join(at, name);
                live.putIfAbsent(path, new TreeMap<>());
                change(at, name, new DirNode(path, mode));
            }
            return null;
        });
    }

    @Override
    public FileChannel create(Folder folder, String name, int mode) throws IOException {
        return call("create", folder, name, () -> {
            FileChannel channel = real.create(folder, name, mode);
            int inode = nextInode++;
            channels.put(channel, inode);
            if (folders.get(folder) != null) {
                change(folders.get(folder), name, new FileNode(inode, mode));
            }
            return channel;
        });
    }

    @Override
    public OpenFile openRead(Folder folder, String name) throws IOException {
        return call("openRead", folder, name, () -> {
            OpenFile file = real.openRead(folder, name);
            remember(file.channel(), folder, name);
            return file;
        });
    }

    @Override
    public FileChannel openReadWrite(Folder folder, String name) throws IOException {
        return call("openReadWrite", folder, name, () -> {
            FileChannel channel = real.openReadWrite(folder, name);
            remember(channel, folder, name);
            return channel;
        });
    }

    private void remember(FileChannel channel, Folder folder, String name) {
        String at = folders.get(folder);
        Node node = at == null ? null : live.getOrDefault(at, Map.of()).get(name);
        if (node instanceof FileNode file) {
            channels.put(channel, file.inode());
        }
    }

    @Override
    public FileStat stat(Folder folder, String name) throws IOException {
        return call("stat", folder, name, () -> real.stat(folder, name));
    }

    @Override
    public void rename(Folder from, String fromName, Folder to, String toName) throws IOException {
        call("rename", to, toName, () -> {
            real.rename(from, fromName, to, toName);
            renamed(from, fromName, to, toName);
            return null;
        });
    }

    @Override
    public boolean renameNoReplace(Folder from, String fromName, Folder to, String toName) throws IOException {
        return call("rename", to, toName, () -> {
            if (!real.renameNoReplace(from, fromName, to, toName)) {
                return false;
            }
            renamed(from, fromName, to, toName);
            return true;
        });
    }

    /** Records in the model a rename that happened. */
    private void renamed(Folder from, String fromName, Folder to, String toName) {
        String source = folders.get(from);
        String target = folders.get(to);
        if (source == null || target == null) {
            return;
        }
        Node node = live.get(source).get(fromName);
        if (node == null) {
            throw new IllegalStateException("the model lost " + source + "/" + fromName);
        }
        if (source.equals(target)) {
            if (!fromName.equals(toName)) {
                record(source, List.of(entry(fromName, null), entry(toName, node)));
            }
        } else {
            change(target, toName, node);
            change(source, fromName, null);
        }
    }

    @Override
    public void link(Folder from, String fromName, Folder to, String toName) throws IOException {
        call("link", to, toName, () -> {
            real.link(from, fromName, to, toName);
            String source = folders.get(from);
            String target = folders.get(to);
            if (source != null && target != null) {
                change(target, toName, live.get(source).get(fromName));
            }
            return null;
        });
    }

    @Override
    public boolean unlink(Folder folder, String name) throws IOException {
        return call("unlink", folder, name, () -> {
            boolean removed = real.unlink(folder, name);
            if (removed && folders.get(folder) != null) {
                change(folders.get(folder), name, null);
            }
            return removed;
        });
    }

    @Override
    public void symlink(String target, Folder folder, String name) throws IOException {
        call("symlink", folder, name, () -> {
            real.symlink(target, folder, name);
            if (folders.get(folder) != null) {
                change(folders.get(folder), name, new LinkNode(target));
            }
            return null;
        });
    }

    @Override
    public String readlink(Folder folder, String name) throws IOException {
        return call("readlink", folder, name, () -> real.readlink(folder, name));
    }

    @Override
    public boolean setTimes(Folder folder, String name, long atimeSec, long atimeNsec, long mtimeSec, long mtimeNsec)
            throws IOException {
        return call(
                "setTimes", folder, name, () -> real.setTimes(folder, name, atimeSec, atimeNsec, mtimeSec, mtimeNsec));
    }

    @Override
    public void fsync(FileChannel file) throws IOException {
        call("fsync", null, null, () -> {
            Integer inode = channels.get(file);
            if (inode != null) {
                trace.add(new FileData(calls + 1, inode, read(file)));
            }
            return null;
        });
    }

    @Override
    public void fsync(Folder folder) throws IOException {
        call("fsyncFolder", folder, null, () -> {
            String at = folders.get(folder);
            if (at != null) {
                trace.add(new FolderSync(calls + 1, at));
            }
            return null;
        });
    }

    @Override
    public void syncfs(Folder folder) throws IOException {
        call("syncfs", folder, null, () -> {
            if (syncfsPersistsNothing) {
                return null;
            }
            Map<Integer, byte[]> data = new HashMap<>();
            snapshot("", data);
            trace.add(new SyncAll(calls + 1, data));
            return null;
        });
    }

    private void snapshot(String folder, Map<Integer, byte[]> data) throws IOException {
        for (Map.Entry<String, Node> entry : live.getOrDefault(folder, Map.of()).entrySet()) {
            if (entry.getValue() instanceof FileNode file && !data.containsKey(file.inode())) {
                data.put(file.inode(), readKeepingAtime(resolve(folder).resolve(entry.getKey())));
            } else if (entry.getValue() instanceof DirNode dir) {
                snapshot(dir.path(), data);
            }
        }
    }

    @Override
    public long fileSystemType(Folder folder) throws IOException {
        return call("statfs", folder, null, () -> syncfsPersistsNothing ? StoreSync.FUSE : real.fileSystemType(folder));
    }

    @Override
    public Stream<String> list(Folder folder) throws IOException {
        return call("list", folder, null, () -> real.list(folder));
    }

    @Override
    public void close(Folder folder) throws IOException {
        call("close", folder, null, () -> {
            real.close(folder);
            folders.remove(folder);
            return null;
        });
    }

    // ---- recording ----

    private interface Body<T> {
        T run() throws IOException;
    }

    /** Runs one call under the lock, counts it (failed calls too), then runs the hook outside the lock. */
    private <T> T call(String op, Folder folder, String name, Body<T> body) throws IOException {
        long index = -1;
        String at = null;
        try {
            synchronized (lock) {
                at = folder == null ? null : folders.get(folder);
                try {
                    return body.run();
                } finally {
                    index = ++calls;
                }
            }
        } finally {
            afterCall.accept(new Call(index, op, at, name));
        }
    }

    /** Records a change of {@code folder}'s entries at the call being made (the lock is held). */
    private void change(String folder, String name, Node node) {
        record(folder, List.of(entry(name, node)));
    }

    private void record(String folder, List<Map.Entry<String, Node>> changes) {
        Map<String, Node> entries = live.computeIfAbsent(folder, key -> new TreeMap<>());
        for (Map.Entry<String, Node> change : changes) {
            if (change.getValue() == null) {
                entries.remove(change.getKey());
            } else {
                entries.put(change.getKey(), change.getValue());
            }
        }
        trace.add(new Changes(calls + 1, folder, changes));
    }

    private static Map.Entry<String, Node> entry(String name, Node node) {
        return new java.util.AbstractMap.SimpleImmutableEntry<>(name, node);
    }

    private static byte[] read(FileChannel file) throws IOException {
        long size = file.size();
        ByteBuffer buffer = ByteBuffer.allocate((int) size);
        while (buffer.hasRemaining() && file.read(buffer, buffer.position()) >= 0) {
            // read it all, at explicit positions: the channel's own position is the caller's
        }
        return java.util.Arrays.copyOf(buffer.array(), buffer.position());
    }

    /**
     * The bytes of {@code file}, read without leaving a trace: its atime is put back (a read moves it under
     * relatime when it is older than the mtime or a day), since the model must not touch what a collection decides
     * by. Only the ctime moves.
     */
    private static byte[] readKeepingAtime(Path file) throws IOException {
        java.nio.file.attribute.FileTime atime = Files.readAttributes(
                        file, java.nio.file.attribute.BasicFileAttributes.class)
                .lastAccessTime();
        byte[] bytes = Files.readAllBytes(file);
        Files.setAttribute(file, "lastAccessTime", atime);
        return bytes;
    }

    private Path resolve(String folder) {
        return folder.isEmpty() ? root : root.resolve(folder);
    }

    private static String join(String folder, String name) {
        return folder.isEmpty() ? name : folder + "/" + name;
    }

    private static Map<String, Map<String, Node>> copy(Map<String, Map<String, Node>> tree) {
        Map<String, Map<String, Node>> copy = new HashMap<>();
        tree.forEach((folder, entries) -> copy.put(folder, new TreeMap<>(entries)));
        return copy;
    }

    private static int modeOf(Path path) throws IOException {
        int mode = 0;
        for (PosixFilePermission permission : Files.getPosixFilePermissions(path)) {
            mode |= 0400 >> permission.ordinal();
        }
        return mode;
    }

    private static void setMode(Path path, int mode) {
        Set<PosixFilePermission> permissions = EnumSet.noneOf(PosixFilePermission.class);
        for (PosixFilePermission permission : PosixFilePermission.values()) {
            if ((mode & (0400 >> permission.ordinal())) != 0) {
                permissions.add(permission);
            }
        }
        try {
            Files.setPosixFilePermissions(path, permissions);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

package io.chunkfs.store.local;

import io.chunkfs.store.Namespace;
import io.chunkfs.store.PosixException;
import io.chunkfs.store.SyncLevel;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * {@link LinuxSyscalls} that fails one chosen call: the {@code nth} call of one kind ({@code create},
 * {@code rename}, {@code link}, {@code unlink}, {@code symlink}, {@code mkdir}, {@code fsync} of a file,
 * {@code fsyncFolder}, {@code syncfs}) throws a {@link PosixException} with the given errno instead of being
 * made, as a full disk or a failing one would. It also counts the calls of each kind, so that a fault-free run
 * tells how many places there are to fail.
 *
 * <p>The tree's database does its own I/O (SQLite's), outside this port; {@link #tree} puts the same faults at
 * the tree's seam: {@code treeChange}, a change of the tree that fails before it reaches the database (as a
 * commit that SQLite rolls back on a full or failing disk: nothing changed), and {@code treeSync}, a durability
 * point that fails once it ran ({@code sync}, and under {@code sync=file} the commit of a written file's name:
 * the change is made, and then the fsync of the log fails).
 */
final class FaultySyscalls implements Syscalls {
    private final Syscalls real = LinuxSyscalls.INSTANCE;
    private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
    private final String kind;
    private final int nth;
    private final int errno;
    private final AtomicInteger failed = new AtomicInteger();

    /** Fails the {@code nth} (from 1) call of {@code kind} with {@code errno}; a null kind fails nothing. */
    FaultySyscalls(String kind, int nth, int errno) {
        this.kind = kind;
        this.nth = nth;
        this.errno = errno;
    }

    /** Fails nothing; counts. */
    FaultySyscalls() {
        this(null, 0, 0);
    }

    /** How many calls of {@code kind} were made (the failed one included). */
    int count(String callKind) {
        AtomicInteger count = counts.get(callKind);
        return count == null ? 0 : count.get();
    }

    /** Whether the fault was injected. */
    boolean fired() {
        return failed.get() > 0;
    }

    private void enter(String callKind, Object file) throws PosixException {
        int n = counts.computeIfAbsent(callKind, key -> new AtomicInteger()).incrementAndGet();
        if (callKind.equals(kind) && n == nth) {
            failed.incrementAndGet();
            throw new PosixException(callKind, String.valueOf(file), errno);
        }
    }

    /** The changes of a tree that {@code treeChange} counts. */
    private static final java.util.Set<String> TREE_CHANGES = java.util.Set.of(
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
            "setTreeRoots");

    /** {@code tree} with this object's faults of kinds {@code treeChange} and {@code treeSync} (see above). */
    Namespace tree(Namespace tree, SyncLevel level) {
        return (Namespace) java.lang.reflect.Proxy.newProxyInstance(
                Namespace.class.getClassLoader(), new Class<?>[] {Namespace.class}, (proxy, method, args) -> {
                    String name = method.getName();
                    String what = "tree " + name + (args != null && args.length > 1 ? " " + args[1] : "");
                    if (TREE_CHANGES.contains(name)) {
                        enter("treeChange", what);
                    }
                    Object result;
                    try {
                        result = method.invoke(tree, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                    if (name.equals("sync")
                            || (level == SyncLevel.FILE
                                    && (name.equals("createOrReplace") || name.equals("setContent")))) {
                        enter("treeSync", what);
                    }
                    return result;
                });
    }

    @Override
    public Folder openRoot(Path root) throws IOException {
        return real.openRoot(root);
    }

    @Override
    public Folder openFolder(Folder parent, String name) throws IOException {
        return real.openFolder(parent, name);
    }

    @Override
    public void mkdir(Folder parent, String name, int mode) throws IOException {
        enter("mkdir", parent.resolve(name));
        real.mkdir(parent, name, mode);
    }

    @Override
    public FileChannel create(Folder folder, String name, int mode) throws IOException {
        enter("create", folder.resolve(name));
        return real.create(folder, name, mode);
    }

    @Override
    public OpenFile openRead(Folder folder, String name) throws IOException {
        return real.openRead(folder, name);
    }

    @Override
    public FileChannel openReadWrite(Folder folder, String name) throws IOException {
        return real.openReadWrite(folder, name);
    }

    @Override
    public FileStat stat(Folder folder, String name) throws IOException {
        return real.stat(folder, name);
    }

    @Override
    public void rename(Folder from, String fromName, Folder to, String toName) throws IOException {
        enter("rename", to.resolve(toName));
        real.rename(from, fromName, to, toName);
    }

    @Override
    public boolean renameNoReplace(Folder from, String fromName, Folder to, String toName) throws IOException {
        enter("rename", to.resolve(toName));
        return real.renameNoReplace(from, fromName, to, toName);
    }

    @Override
    public void link(Folder from, String fromName, Folder to, String toName) throws IOException {
        enter("link", to.resolve(toName));
        real.link(from, fromName, to, toName);
    }

    @Override
    public boolean unlink(Folder folder, String name) throws IOException {
        enter("unlink", folder.resolve(name));
        return real.unlink(folder, name);
    }

    @Override
    public void symlink(String target, Folder folder, String name) throws IOException {
        enter("symlink", folder.resolve(name));
        real.symlink(target, folder, name);
    }

    @Override
    public String readlink(Folder folder, String name) throws IOException {
        return real.readlink(folder, name);
    }

    @Override
    public boolean setTimes(Folder folder, String name, long atimeSec, long atimeNsec, long mtimeSec, long mtimeNsec)
            throws IOException {
        return real.setTimes(folder, name, atimeSec, atimeNsec, mtimeSec, mtimeNsec);
    }

    @Override
    public void fsync(FileChannel file) throws IOException {
        enter("fsync", "a file");
        real.fsync(file);
    }

    @Override
    public void fsync(Folder folder) throws IOException {
        enter("fsyncFolder", folder);
        real.fsync(folder);
    }

    @Override
    public void syncfs(Folder folder) throws IOException {
        enter("syncfs", folder);
        real.syncfs(folder);
    }

    @Override
    public long fileSystemType(Folder folder) throws IOException {
        return real.fileSystemType(folder);
    }

    @Override
    public Stream<String> list(Folder folder) throws IOException {
        return real.list(folder);
    }

    @Override
    public void close(Folder folder) throws IOException {
        real.close(folder);
    }
}

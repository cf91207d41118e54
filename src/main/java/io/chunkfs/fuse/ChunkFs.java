package io.chunkfs.fuse;

import io.chunkfs.store.ChunkStore;
import io.chunkfs.store.SyncLevel;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import jnr.ffi.Pointer;
import jnr.ffi.Struct;
import jnr.ffi.types.mode_t;
import jnr.ffi.types.off_t;
import jnr.ffi.types.size_t;
import ru.serce.jnrfuse.FuseFillDir;
import ru.serce.jnrfuse.FuseStubFS;
import ru.serce.jnrfuse.struct.FuseFileInfo;
import ru.serce.jnrfuse.struct.Statvfs;
import ru.serce.jnrfuse.struct.Timespec;

/**
 * The chunk store as a FUSE file system. Each callback hands its path to the {@link NodeHandler} of
 * the node kind (see {@link Nodes}) or its file handle to the {@link Handle} (see {@link
 * OpenHandles}), and translates between jnr's structs and plain values. Callbacks run on many threads
 * at once. Every callback goes through {@link Answers}, which turns exceptions into the errno the caller
 * sees, in one place.
 */
public final class ChunkFs extends FuseStubFS {
    private static final Logger LOG = Logger.getLogger(ChunkFs.class.getName());
    public static final String DIGEST_XATTR = "user.chunkfs.digest";
    /** Read by name on the root: where {@code chunkfs status} reaches this mount process. */
    public static final String CONTROL_XATTR = "user.chunkfs.control";

    private final MountedStore mountedStore;
    private final Refusals refusals;
    private final MountStats stats;
    private final IncomingFiles incoming;
    private final Nodes nodes;
    private final OpenHandles handles = new OpenHandles();
    private final Answers answers;
    private final Xattrs xattrs;
    private final CountDownLatch initialized = new CountDownLatch(1);
    private final CountDownLatch destroyed = new CountDownLatch(1);

    public ChunkFs(ChunkStore store) throws IOException {
        this.mountedStore = new MountedStore(store);
        this.refusals = new Refusals(store.options().readOnly());
        this.stats = new MountStats(
                store.options().syncLevel() == SyncLevel.FILE, store.options().clock());
        this.incoming = new IncomingFiles(store, refusals, stats, mountedStore.uid(), mountedStore.gid());
        this.nodes = new Nodes(
                store, refusals, stats, incoming, store.options().clock().instant());
        this.answers = new Answers(stats);
        this.xattrs = new Xattrs(nodes);
        FuseAbi.enableOperationFlags(Struct.getMemory(fuseOperations));
        bindPointerCallbacks();
    }

    /**
     * Binds the callbacks that every file written costs (getattr for each lookup, create, write, flush, release)
     * straight to the methods below that take libfuse's pointers. jnr-fuse's own binding builds a FileStat or
     * FuseFileInfo view of the struct (tens of field objects) on every call, which cost about as much as the
     * work of the call itself.
     */
    private void bindPointerCallbacks() {
        fuseOperations.getattr.set(this::getattr);
        fuseOperations.fgetattr.set(this::fgetattr);
        fuseOperations.create.set(this::create);
        fuseOperations.write.set(this::write);
        fuseOperations.flush.set(this::flush);
        fuseOperations.release.set(this::release);
    }

    /** Waits until the kernel has initialised the mount; false if {@code millis} passed first. */
    public boolean awaitInitialized(long millis) throws InterruptedException {
        return initialized.await(millis, TimeUnit.MILLISECONDS);
    }

    /** Waits until the file system was torn down after an unmount. */
    public boolean awaitDestroyed(long millis) throws InterruptedException {
        return destroyed.await(millis, TimeUnit.MILLISECONDS);
    }

    /** The counters {@code chunkfs status} reports; verified reads record their failures there. */
    public MountStats stats() {
        return stats;
    }

    /** Open handles: {chunks and receipts read by digest, files of incoming/ being written or read}. */
    int[] openHandleCounts() {
        return handles.counts();
    }

    /** Files of incoming/ open for writing, by name. */
    List<PendingFile> pendingFiles() {
        return incoming.pendingFiles();
    }

    /** Where the store is, as {@code chunkfs status} shows it. */
    String storeLocation() {
        return mountedStore.location();
    }

    /** Where the control socket of this mount is, for {@code getfattr -n user.chunkfs.control MOUNTPOINT}. */
    void controlSocket(Path socket) {
        xattrs.controlSocket(socket == null ? null : socket.toString());
    }

    /** A callback on the node a path names. */
    @FunctionalInterface
    private interface NodeOperation {
        void run(NodeHandler node) throws IOException;
    }

    /** A callback on an open file. */
    @FunctionalInterface
    private interface HandleOperation {
        void run(Handle handle) throws IOException;
    }

    private int call(String what, String path, Answers.Operation operation) {
        return answers.answer(what, path, operation);
    }

    private int onNode(String what, String path, NodeOperation operation) {
        return answers.answer(what, path, () -> {
            operation.run(nodes.of(path));
            return 0;
        });
    }

    /** Runs {@code operation} on the handle the kernel passes; EBADF if there is none. */
    private int onHandle(String what, String path, FuseFileInfo fi, HandleOperation operation) {
        return onHandle(what, path, Struct.getMemory(fi), operation);
    }

    /** Runs {@code operation} on the handle in the {@code fuse_file_info} at {@code fi}; EBADF if there is none. */
    private int onHandle(String what, String path, Pointer fi, HandleOperation operation) {
        return answers.answer(what, path, () -> {
            operation.run(handles.get(FuseAbi.fileHandle(fi)));
            return 0;
        });
    }

    // ---- attributes ----

    /** getattr, bound by {@link #bindPointerCallbacks}: {@code stat} is the {@code struct stat} to fill. */
    int getattr(String path, Pointer stat) {
        return call("getattr", path, () -> fill(stat, nodes.of(path).attributes()));
    }

    int fgetattr(String path, Pointer stat, Pointer fi) {
        Handle handle = handles.find(FuseAbi.fileHandle(fi));
        if (handle == null) {
            return getattr(path, stat);
        }
        // Linux asks with the handle only on some paths, lseek(SEEK_END) for one; fstat asks by inode.
        return call("fgetattr", path, () -> fill(stat, nodes.attributes(handle, path)));
    }

    private int fill(Pointer stat, Attributes attributes) {
        FuseAbi.fill(stat, attributes, mountedStore.uid(), mountedStore.gid());
        return 0;
    }

    // ---- folders ----

    @Override
    public int readdir(String path, Pointer buf, FuseFillDir filler, @off_t long offset, FuseFileInfo fi) {
        return call("readdir", path, () -> {
            NodeHandler node = nodes.of(path);
            filler.apply(buf, ".", null, 0);
            filler.apply(buf, "..", null, 0);
            node.list(name -> filler.apply(buf, name, null, 0));
            return 0;
        });
    }

    @Override
    public int mkdir(String path, @mode_t long mode) {
        return call("mkdir", path, () -> {
            throw refusals.fixed("the tree of a chunkfs mount is fixed");
        });
    }

    @Override
    public int rmdir(String path) {
        return onNode("rmdir", path, NodeHandler::removeFolder);
    }

    // ---- opening, reading, writing ----

    int create(String path, @mode_t long mode, Pointer fi) {
        return call("create", path, () -> register(fi, Opened.of(nodes.of(path).create())));
    }

    @Override
    public int open(String path, FuseFileInfo fi) {
        Pointer info = Struct.getMemory(fi);
        return call("open", path, () -> {
            int flags = FuseAbi.openFlags(info);
            return register(info, nodes.of(path).open(FuseAbi.opensForWriting(flags), FuseAbi.truncates(flags)));
        });
    }

    private int register(Pointer fi, Opened opened) {
        FuseAbi.setFileHandle(fi, handles.add(opened.handle()));
        FuseAbi.setCaching(fi, opened.caching());
        return 0;
    }

    @Override
    public int read(String path, Pointer buf, @size_t long size, @off_t long offset, FuseFileInfo fi) {
        long handle = FuseAbi.fileHandle(Struct.getMemory(fi));
        return call("read", path, () -> handles.get(handle).read(FuseAbi.view(buf, size), offset));
    }

    int write(String path, Pointer buf, @size_t long size, @off_t long offset, Pointer fi) {
        return call("write", path, () -> {
            handles.get(FuseAbi.fileHandle(fi)).write(FuseAbi.view(buf, size), offset);
            return (int) size;
        });
    }

    int flush(String path, Pointer fi) {
        return onHandle("flush", path, fi, Handle::flush);
    }

    @Override
    public int fsync(String path, int isdatasync, FuseFileInfo fi) {
        return onHandle("fsync", path, fi, handle -> {
            handle.fsync();
            // Whatever the handle (a read-only open of a receipt reaches us as a chunk handle), an fsync
            // makes every acknowledged chunk and receipt durable.
            mountedStore.syncIfDeferred();
        });
    }

    @Override
    public int fsyncdir(String path, FuseFileInfo fi) {
        return call("fsyncdir", path, () -> {
            mountedStore.syncIfDeferred();
            return 0;
        });
    }

    int release(String path, Pointer fi) {
        return call("release", path, () -> {
            Handle handle = handles.remove(FuseAbi.fileHandle(fi));
            if (handle != null) {
                handle.release();
            }
            return 0;
        });
    }

    @Override
    public int truncate(String path, @off_t long size) {
        return onNode("truncate", path, node -> node.truncate(size));
    }

    @Override
    public int ftruncate(String path, @off_t long size, FuseFileInfo fi) {
        return onHandle("ftruncate", path, fi, handle -> handle.truncate(size));
    }

    // ---- names ----

    @Override
    public int unlink(String path) {
        return onNode("unlink", path, NodeHandler::unlink);
    }

    @Override
    public int rename(String oldpath, String newpath) {
        return onNode("rename", oldpath, node -> node.renameTo(Node.parse(newpath)));
    }

    @Override
    public int link(String oldpath, String newpath) {
        return call("link", oldpath, () -> {
            throw refusals.fixed("hard links are not supported");
        });
    }

    @Override
    public int symlink(String oldpath, String newpath) {
        return call("symlink", newpath, () -> {
            throw refusals.fixed("symlinks are not supported");
        });
    }

    @Override
    public int mknod(String path, @mode_t long mode, long rdev) {
        return call("mknod", path, () -> {
            throw refusals.fixed("only regular files can be created, in incoming/");
        });
    }

    @Override
    public int chmod(String path, @mode_t long mode) {
        return onNode("chmod", path, NodeHandler::changeOwnerOrMode);
    }

    @Override
    public int chown(String path, long uid, long gid) {
        return onNode("chown", path, NodeHandler::changeOwnerOrMode);
    }

    @Override
    public int utimens(String path, Timespec[] timespec) {
        return onNode("utimens", path, NodeHandler::touch);
    }

    // ---- extended attributes ----

    @Override
    public int getxattr(String path, String name, Pointer value, @size_t long size) {
        return call("getxattr", path, () -> FuseAbi.replyXattr(value, size, xattrs.get(path, name)));
    }

    @Override
    public int listxattr(String path, Pointer list, @size_t long size) {
        return call("listxattr", path, () -> FuseAbi.replyXattr(list, size, xattrs.list(path)));
    }

    @Override
    public int setxattr(String path, String name, Pointer value, @size_t long size, int flags) {
        return onNode("setxattr", path, node -> node.changeXattr(name));
    }

    @Override
    public int removexattr(String path, String name) {
        return onNode("removexattr", path, node -> node.changeXattr(name));
    }

    // ---- the file system ----

    @Override
    public int statfs(String path, Statvfs stbuf) {
        return call("statfs", path, () -> {
            FuseAbi.fill(stbuf, mountedStore.space());
            return 0;
        });
    }

    @Override
    public Pointer init(Pointer conn) {
        initialized.countDown();
        return null;
    }

    @Override
    public void destroy(Pointer initResult) {
        try {
            handles.closeAllAtUnmount();
            incoming.forgetAll();
            // On SIGTERM the JVM may halt once the unmount hook returns, before the store is closed:
            // make everything acknowledged durable here, so that a mount process that exited synced.
            try {
                mountedStore.syncIfDeferred();
            } catch (IOException e) {
                LOG.log(Level.WARNING, "the store sync at unmount failed", e);
            }
        } finally {
            destroyed.countDown();
        }
    }

    /**
     * Unmounts, waiting for files still open to be closed for a few seconds before falling back to a
     * lazy unmount, then waits for {@link #destroy} so that in-flight commits finish.
     */
    @Override
    public void umount() {
        if (!mounted.get() || mountPoint == null) {
            return;
        }
        Unmount.run(mountPoint, Duration.ofSeconds(5));
        mounted.set(false);
        try {
            if (!destroyed.await(30, TimeUnit.SECONDS)) {
                LOG.warning("the file system was not torn down within 30 s of the unmount");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

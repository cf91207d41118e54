package io.chunkfs.fuse;

import io.chunkfs.store.ChunkStore;
import io.chunkfs.store.Entry;
import io.chunkfs.store.EntryType;
import io.chunkfs.store.SyncLevel;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.Struct;
import ru.serce.jnrfuse.FuseStubFS;
import ru.serce.jnrfuse.struct.FuseContext;
import ru.serce.jnrfuse.struct.Statvfs;

/**
 * The chunk store as a FUSE file system. Each callback hands its path, parsed from its bytes ({@link Node}), to
 * the {@link NodeHandler} of the node kind (see {@link Nodes}) or its file handle to the {@link Handle} (see
 * {@link OpenHandles}), and translates between libfuse's structs and plain values ({@link FuseAbi}). Callbacks run on many threads
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
    private final Clock clock;
    private final List<Object> boundCallbacks = new ArrayList<>();
    private final CountDownLatch initialized = new CountDownLatch(1);
    private final CountDownLatch destroyed = new CountDownLatch(1);

    public ChunkFs(ChunkStore store) throws IOException {
        this.mountedStore = new MountedStore(store);
        this.refusals = new Refusals(store.options().readOnly());
        this.clock = store.options().clock();
        this.stats = new MountStats(store.options().syncLevel() == SyncLevel.FILE, clock);
        this.incoming = new IncomingFiles(store, refusals, stats);
        this.nodes =
                new Nodes(store, refusals, stats, incoming, clock.instant(), mountedStore.uid(), mountedStore.gid());
        this.answers = new Answers(stats);
        this.xattrs = new Xattrs(nodes);
        FuseAbi.enableOperationFlags(Struct.getMemory(fuseOperations));
        bindPathCallbacks();
    }

    /**
     * Binds every callback that takes a path or a name to the methods below, which take libfuse's raw pointers: a
     * name is its bytes, whatever they are (jnr-fuse's own binding decodes them as UTF-8), and no call builds
     * jnr-fuse's FileStat or FuseFileInfo views (tens of field objects each, which cost about as much as the work
     * of the call itself).
     */
    private void bindPathCallbacks() {
        bind(FuseAbi.Slot.GETATTR, PathCallbacks.PathPointer.class, this::getattr);
        bind(FuseAbi.Slot.READLINK, PathCallbacks.PathBuffer.class, this::readlink);
        bind(FuseAbi.Slot.MKNOD, PathCallbacks.PathModeDevice.class, this::mknod);
        bind(FuseAbi.Slot.MKDIR, PathCallbacks.PathMode.class, this::mkdir);
        bind(FuseAbi.Slot.UNLINK, PathCallbacks.OnePath.class, this::unlink);
        bind(FuseAbi.Slot.RMDIR, PathCallbacks.OnePath.class, this::rmdir);
        bind(FuseAbi.Slot.SYMLINK, PathCallbacks.TwoPaths.class, this::symlink);
        bind(FuseAbi.Slot.RENAME, PathCallbacks.TwoPaths.class, this::rename);
        bind(FuseAbi.Slot.LINK, PathCallbacks.TwoPaths.class, this::link);
        bind(FuseAbi.Slot.CHMOD, PathCallbacks.PathMode.class, this::chmod);
        bind(FuseAbi.Slot.CHOWN, PathCallbacks.PathOwner.class, this::chown);
        bind(FuseAbi.Slot.TRUNCATE, PathCallbacks.PathSize.class, this::truncate);
        bind(FuseAbi.Slot.OPEN, PathCallbacks.PathInfo.class, this::open);
        bind(FuseAbi.Slot.READ, PathCallbacks.PathData.class, this::read);
        bind(FuseAbi.Slot.WRITE, PathCallbacks.PathData.class, this::write);
        bind(FuseAbi.Slot.FLUSH, PathCallbacks.PathInfo.class, this::flush);
        bind(FuseAbi.Slot.RELEASE, PathCallbacks.PathInfo.class, this::release);
        bind(FuseAbi.Slot.FSYNC, PathCallbacks.PathSync.class, this::fsync);
        bind(FuseAbi.Slot.SETXATTR, PathCallbacks.SetXattr.class, this::setxattr);
        bind(FuseAbi.Slot.GETXATTR, PathCallbacks.GetXattr.class, this::getxattr);
        bind(FuseAbi.Slot.LISTXATTR, PathCallbacks.PathBuffer.class, this::listxattr);
        bind(FuseAbi.Slot.REMOVEXATTR, PathCallbacks.TwoPaths.class, this::removexattr);
        bind(FuseAbi.Slot.READDIR, PathCallbacks.ReadDir.class, this::readdir);
        bind(FuseAbi.Slot.FSYNCDIR, PathCallbacks.PathSync.class, this::fsyncdir);
        bind(FuseAbi.Slot.CREATE, PathCallbacks.PathModeInfo.class, this::create);
        bind(FuseAbi.Slot.FTRUNCATE, PathCallbacks.PathSizeInfo.class, this::ftruncate);
        bind(FuseAbi.Slot.FGETATTR, PathCallbacks.PathPointerInfo.class, this::fgetattr);
        bind(FuseAbi.Slot.UTIMENS, PathCallbacks.PathInfo.class, this::utimens);
    }

    private <T> void bind(FuseAbi.Slot slot, Class<T> shape, T callback) {
        Pointer closure = Runtime.getSystemRuntime().getClosureManager().getClosurePointer(shape, callback);
        // libfuse holds only the function pointer: keep the callback (and its closure) reachable for the mount.
        boundCallbacks.add(callback);
        boundCallbacks.add(closure);
        Struct.getMemory(fuseOperations).putPointer(slot.offset(), closure);
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

    /** What the path libfuse passed names (nothing, for a null path). */
    private static Node node(Pointer path) {
        return path == null ? NO_PATH : Node.parse(FuseAbi.bytes(path));
    }

    private static final Node NO_PATH = new Node.Nothing(Errno.ENOENT);

    private int call(String what, Object where, Answers.Operation operation) {
        return answers.answer(what, where, operation);
    }

    private int onNode(String what, Pointer path, NodeOperation operation) {
        Node node = node(path);
        return answers.answer(what, node, () -> {
            operation.run(nodes.of(node));
            return 0;
        });
    }

    /** Runs {@code operation} on the handle in the {@code fuse_file_info} at {@code fi}; EBADF if there is none. */
    private int onHandle(String what, Pointer path, Pointer fi, HandleOperation operation) {
        return answers.answer(what, path == null ? null : node(path), () -> {
            operation.run(handles.get(FuseAbi.fileHandle(fi)));
            return 0;
        });
    }

    /** Who is calling, for the owner of what the call makes. */
    private Caller caller() {
        FuseContext context = getContext();
        return new Caller(context.uid.get(), context.gid.get());
    }

    // ---- attributes ----

    /** getattr: {@code stat} is the {@code struct stat} to fill. */
    int getattr(Pointer path, Pointer stat) {
        Node node = node(path);
        return call("getattr", node, () -> fill(stat, nodes.of(node).attributes()));
    }

    int fgetattr(Pointer path, Pointer stat, Pointer fi) {
        Handle handle = handles.find(FuseAbi.fileHandle(fi));
        if (handle == null) {
            return getattr(path, stat);
        }
        // Linux asks with the handle only on some paths, lseek(SEEK_END) for one; fstat asks by inode.
        Node node = node(path);
        return call("fgetattr", node, () -> fill(stat, nodes.attributes(handle, node)));
    }

    private static int fill(Pointer stat, Attributes attributes) {
        FuseAbi.fill(stat, attributes);
        return 0;
    }

    int chmod(Pointer path, long mode) {
        return onNode("chmod", path, node -> node.changeMode((int) mode & Entry.MODE_BITS));
    }

    int chown(Pointer path, long uid, long gid) {
        return onNode("chown", path, node -> node.changeOwner(FuseAbi.id(uid), FuseAbi.id(gid)));
    }

    /** utimens: {@code times} holds the atime and the mtime, each maybe UTIME_NOW or UTIME_OMIT; null: both now. */
    int utimens(Pointer path, Pointer times) {
        return onNode("utimens", path, node -> {
            long now = Attributes.nanos(clock.instant());
            node.changeTimes(FuseAbi.time(times, 0, now), FuseAbi.time(times, 1, now));
        });
    }

    // ---- folders ----

    int readdir(Pointer path, Pointer buf, Pointer filler, long offset, Pointer fi) {
        Node node = node(path);
        return call("readdir", node, () -> {
            NodeHandler folder = nodes.of(node);
            Attributes self = folder.attributes();
            try (DirectoryFiller names = new DirectoryFiller(filler, buf)) {
                names.add(DOT, self.inode(), EntryType.FOLDER.fileTypeBits());
                names.add(DOT_DOT, FuseAbi.UNKNOWN_INODE, EntryType.FOLDER.fileTypeBits());
                folder.list(page -> {
                    for (NodeHandler.Listed listed : page) {
                        names.add(listed.name(), listed.inode(), listed.fileTypeBits());
                    }
                });
            }
            return 0;
        });
    }

    private static final byte[] DOT = {'.'};
    private static final byte[] DOT_DOT = {'.', '.'};

    int mkdir(Pointer path, long mode) {
        return onNode("mkdir", path, node -> node.makeFolder((int) mode & Entry.MODE_BITS, caller()));
    }

    int rmdir(Pointer path) {
        return onNode("rmdir", path, NodeHandler::removeFolder);
    }

    int fsyncdir(Pointer path, int dataOnly, Pointer fi) {
        return call("fsyncdir", null, () -> {
            mountedStore.syncIfDeferred();
            return 0;
        });
    }

    // ---- opening, reading, writing ----

    int create(Pointer path, long mode, Pointer fi) {
        Node node = node(path);
        return call(
                "create",
                node,
                () -> register(fi, Opened.of(nodes.of(node).create((int) mode & Entry.MODE_BITS, caller()))));
    }

    int open(Pointer path, Pointer info) {
        Node node = node(path);
        return call("open", node, () -> {
            int flags = FuseAbi.openFlags(info);
            return register(info, nodes.of(node).open(FuseAbi.opensForWriting(flags), FuseAbi.truncates(flags)));
        });
    }

    private int register(Pointer fi, Opened opened) {
        FuseAbi.setFileHandle(fi, handles.add(opened.handle()));
        FuseAbi.setCaching(fi, opened.caching());
        return 0;
    }

    int read(Pointer path, Pointer buf, long size, long offset, Pointer fi) {
        long handle = FuseAbi.fileHandle(fi);
        return call("read", null, () -> handles.get(handle).read(FuseAbi.view(buf, size), offset));
    }

    int write(Pointer path, Pointer buf, long size, long offset, Pointer fi) {
        return call("write", null, () -> {
            handles.get(FuseAbi.fileHandle(fi)).write(FuseAbi.view(buf, size), offset);
            return (int) size;
        });
    }

    int flush(Pointer path, Pointer fi) {
        return onHandle("flush", path, fi, Handle::flush);
    }

    int fsync(Pointer path, int dataOnly, Pointer fi) {
        return onHandle("fsync", path, fi, handle -> {
            handle.fsync();
            // Whatever the handle (a file of the tree open for reading is a chunk handle), an fsync makes every
            // acknowledged chunk and change of the tree durable.
            mountedStore.syncIfDeferred();
        });
    }

    int release(Pointer path, Pointer fi) {
        return call("release", null, () -> {
            Handle handle = handles.remove(FuseAbi.fileHandle(fi));
            if (handle != null) {
                handle.release();
            }
            return 0;
        });
    }

    int truncate(Pointer path, long size) {
        return onNode("truncate", path, node -> node.truncate(size));
    }

    int ftruncate(Pointer path, long size, Pointer fi) {
        return onHandle("ftruncate", path, fi, handle -> handle.truncate(size));
    }

    // ---- names ----

    int unlink(Pointer path) {
        return onNode("unlink", path, NodeHandler::unlink);
    }

    int rename(Pointer from, Pointer to) {
        Node target = node(to);
        return onNode("rename", from, node -> node.renameTo(nodes.of(target)));
    }

    int link(Pointer from, Pointer to) {
        Node target = node(to);
        return onNode("link", from, node -> node.linkTo(nodes.of(target)));
    }

    /** symlink: {@code to} becomes a symbolic link holding the bytes {@code target}. */
    int symlink(Pointer target, Pointer to) {
        byte[] bytes = FuseAbi.bytes(target);
        return onNode("symlink", to, node -> node.makeSymlink(bytes, caller()));
    }

    int readlink(Pointer path, Pointer buf, long size) {
        Node node = node(path);
        return call("readlink", node, () -> {
            FuseAbi.replyString(buf, size, nodes.of(node).readSymlink());
            return 0;
        });
    }

    int mknod(Pointer path, long mode, long device) {
        return onNode("mknod", path, node -> node.makeNode((int) mode, device, caller()));
    }

    // ---- extended attributes ----

    int getxattr(Pointer path, Pointer name, Pointer value, long size) {
        Node node = node(path);
        String attribute = FuseAbi.string(name);
        return call("getxattr", node, () -> FuseAbi.replyXattr(value, size, xattrs.get(node, attribute)));
    }

    int listxattr(Pointer path, Pointer list, long size) {
        Node node = node(path);
        return call("listxattr", node, () -> FuseAbi.replyXattr(list, size, xattrs.list(node)));
    }

    int setxattr(Pointer path, Pointer name, Pointer value, long size, int flags) {
        String attribute = FuseAbi.string(name);
        byte[] bytes = FuseAbi.bytes(value, size);
        return onNode("setxattr", path, node -> node.setXattr(attribute, bytes, flags));
    }

    int removexattr(Pointer path, Pointer name) {
        String attribute = FuseAbi.string(name);
        return onNode("removexattr", path, node -> node.removeXattr(attribute));
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

package io.chunkfs.fuse;

import com.kenai.jffi.MemoryIO;
import io.chunkfs.store.ChunkBackend;
import io.chunkfs.store.ChunkInfo;
import io.chunkfs.store.ChunkReader;
import io.chunkfs.store.ChunkStore;
import io.chunkfs.store.CorruptChunkException;
import io.chunkfs.store.Digest;
import io.chunkfs.store.ReceiptIndex;
import io.chunkfs.store.SyncLevel;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;
import jnr.ffi.Pointer;
import jnr.ffi.Struct;
import jnr.ffi.types.mode_t;
import jnr.ffi.types.off_t;
import jnr.ffi.types.size_t;
import ru.serce.jnrfuse.FuseFillDir;
import ru.serce.jnrfuse.FuseStubFS;
import ru.serce.jnrfuse.struct.FileStat;
import ru.serce.jnrfuse.struct.FuseFileInfo;
import ru.serce.jnrfuse.struct.Statvfs;
import ru.serce.jnrfuse.struct.Timespec;

/**
 * The chunk store as a FUSE file system (see {@link Node} for the tree). Callbacks run on many
 * threads at once. Every callback goes through {@link #call}, which turns exceptions into the errno
 * the caller sees, in one place.
 */
public final class ChunkFs extends FuseStubFS {
    private static final Logger LOG = Logger.getLogger(ChunkFs.class.getName());
    public static final String DIGEST_XATTR = "user.chunkfs.digest";
    private static final int O_ACCMODE = 3;
    private static final int O_RDONLY = 0;
    private static final int O_TRUNC = 01000;
    private static final int O_APPEND = 02000;
    /** {@code fuse_operations}' flag bits, which jnr-fuse leaves unset: the int at byte 304. */
    private static final int FLAGS_OFFSET = 304;
    /** Calls on open files still come (with a null path) after the name was unlinked. */
    private static final int FLAG_NULLPATH_OK = 1;
    /** {@code utimens} receives UTIME_NOW and UTIME_OMIT instead of libfuse dropping partial updates. */
    private static final int FLAG_UTIME_OMIT_OK = 1 << 2;
    /** {@code fuse_file_info.keep_cache}: bit 1 of the bit-field int at byte 20. */
    private static final int FILE_INFO_BITS_OFFSET = 20;

    private static final int KEEP_CACHE = 1 << 1;
    /** {@code fuse_file_info.direct_io}: bit 0 of the same int. */
    private static final int DIRECT_IO = 1;
    /** The root holds incoming/ and the 256 prefix folders, each of which links back with "..". */
    private static final int ROOT_LINKS = 2 + 1 + 256;
    /** Read by name on the root: where {@code chunkfs status} reaches this mount process. */
    public static final String CONTROL_XATTR = "user.chunkfs.control";

    private final ChunkStore store;
    private final ReceiptIndex receipts;
    private final boolean readOnly;
    private final int uid;
    private final int gid;
    private final Map<Long, Handle> handles = new ConcurrentHashMap<>();
    private final AtomicLong nextHandle = new AtomicLong(1);
    /** Files of incoming/ open for writing, by name; guarded by itself for name changes. */
    private final Map<String, PendingFile> pending = new ConcurrentHashMap<>();

    private final Instant mountedAt = Instant.now();
    private final CountDownLatch initialized = new CountDownLatch(1);
    private final CountDownLatch destroyed = new CountDownLatch(1);
    private final MountStats stats;
    private volatile String controlSocket;

    private sealed interface Handle {}

    /**
     * A chunk (or a receipt) open for reading: pinned to its digest, so a receipt opened before its
     * name was rewritten keeps reading the old version, and {@link #fgetattr} answers for that version.
     */
    private record ChunkHandle(ChunkReader reader) implements Handle {}

    /** A file of incoming/; only a handle open for writing commits at flush. */
    private record IncomingHandle(PendingFile file, boolean writable) implements Handle {}

    public ChunkFs(ChunkStore store) throws IOException {
        this.store = store;
        this.receipts = store.receipts();
        this.readOnly = store.options().readOnly();
        this.stats = new MountStats(store.options().syncLevel() == SyncLevel.FILE);
        this.uid = store.owner().uid();
        this.gid = store.owner().gid();
        Pointer operations = Struct.getMemory(fuseOperations);
        operations.putInt(FLAGS_OFFSET, operations.getInt(FLAGS_OFFSET) | FLAG_UTIME_OMIT_OK | FLAG_NULLPATH_OK);
    }

    /** Waits until the kernel has initialised the mount; false if {@code millis} passed first. */
    public boolean awaitInitialized(long millis) throws InterruptedException {
        return initialized.await(millis, java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    /** Waits until the file system was torn down after an unmount. */
    public boolean awaitDestroyed(long millis) throws InterruptedException {
        return destroyed.await(millis, java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    @FunctionalInterface
    private interface Operation {
        int run() throws IOException;
    }

    private int call(String what, String path, Operation operation) {
        try {
            return operation.run();
        } catch (FsError e) {
            int errno = Errno.forCall(what, e.errno);
            stats.answered(what, errno);
            return -errno;
        } catch (IOException | RuntimeException e) {
            int errno = Errno.forCall(what, Errno.of(e));
            if (errno == Errno.EIO) {
                LOG.log(Level.WARNING, what + " " + path + " failed", e);
            }
            if (e instanceof CorruptChunkException corrupt) {
                stats.verifyFailed(corrupt.digest());
            }
            stats.answered(what, errno);
            return -errno;
        } catch (Error e) {
            // Anything that escapes a callback would reach the kernel as success: answer EIO instead.
            LOG.log(Level.SEVERE, what + " " + path + " failed", e);
            stats.answered(what, Errno.EIO);
            return -Errno.EIO;
        }
    }

    /** The counters {@code chunkfs status} reports; verified reads record their failures there. */
    public MountStats stats() {
        return stats;
    }

    /** Open handles: {chunks and receipts read by digest, files of incoming/ being written or read}. */
    int[] openHandleCounts() {
        int[] counts = new int[2];
        for (Handle handle : handles.values()) {
            counts[handle instanceof ChunkHandle ? 0 : 1]++;
        }
        return counts;
    }

    /** Files of incoming/ open for writing, by name. */
    List<PendingFile> pendingFiles() {
        List<PendingFile> files = new ArrayList<>(pending.values());
        files.sort(Comparator.comparing(file -> String.valueOf(file.name())));
        return files;
    }

    /** Where the control socket of this mount is, for {@code getfattr -n user.chunkfs.control MOUNTPOINT}. */
    void controlSocket(Path socket) {
        this.controlSocket = socket == null ? null : socket.toString();
    }

    private FsError refuseWrite() {
        return new FsError(readOnly ? Errno.EROFS : Errno.EACCES, "read-only here");
    }

    private void requireWritable() {
        if (readOnly) {
            throw new FsError(Errno.EROFS, "mounted read-only");
        }
    }

    private static FsError missing(Node node) {
        return new FsError(node instanceof Node.Nothing nothing ? nothing.errno() : Errno.ENOENT, "no such file");
    }

    // ---- attributes ----

    @Override
    public int getattr(String path, FileStat stat) {
        return call("getattr", path, () -> {
            Node node = Node.parse(path);
            if (node instanceof Node.IncomingDir) {
                directory(stat, readOnly ? 0555 : 0755, 2);
            } else if (node instanceof Node.Root) {
                directory(stat, 0555, ROOT_LINKS);
            } else if (node instanceof Node.PrefixDir) {
                directory(stat, 0555, 2);
            } else if (node instanceof Node.Chunk chunk) {
                ChunkInfo info = store.stat(chunk.digest()).orElseThrow(() -> missing(node));
                file(stat, 0444, info.size(), info.lastAccessTime(), info.lastModifiedTime());
            } else if (node instanceof Node.IncomingFile file) {
                PendingFile open = pending.get(file.name());
                if (open != null) {
                    FileTime modified = FileTime.from(open.modified());
                    file(stat, readOnly ? 0444 : 0644, open.size(), modified, modified);
                } else {
                    ChunkInfo info = receiptChunk(file.name()).orElseThrow(() -> missing(node));
                    file(stat, readOnly ? 0444 : 0644, info.size(), info.lastAccessTime(), info.lastModifiedTime());
                }
            } else {
                throw missing(node);
            }
            return 0;
        });
    }

    private Optional<ChunkInfo> receiptChunk(String name) throws IOException {
        Optional<Digest> digest = receipts.get(name);
        return digest.isPresent() ? store.stat(digest.get()) : Optional.empty();
    }

    private void directory(FileStat stat, int mode, int links) {
        stat.st_mode.set(FileStat.S_IFDIR | mode);
        stat.st_nlink.set(links);
        stat.st_uid.set(uid);
        stat.st_gid.set(gid);
        setTime(stat.st_atim, mountedAt);
        setTime(stat.st_mtim, mountedAt);
        setTime(stat.st_ctim, mountedAt);
    }

    private void file(FileStat stat, int mode, long size, FileTime atime, FileTime mtime) {
        stat.st_mode.set(FileStat.S_IFREG | mode);
        stat.st_nlink.set(1);
        stat.st_uid.set(uid);
        stat.st_gid.set(gid);
        stat.st_size.set(size);
        stat.st_blocks.set((size + 511) / 512);
        setTime(stat.st_atim, atime.toInstant());
        setTime(stat.st_mtim, mtime.toInstant());
        setTime(stat.st_ctim, mtime.toInstant());
    }

    private static void setTime(Timespec timespec, Instant instant) {
        timespec.tv_sec.set(instant.getEpochSecond());
        timespec.tv_nsec.set(instant.getNano());
    }

    @Override
    public int fgetattr(String path, FileStat stat, FuseFileInfo fi) {
        Handle handle = handles.get(fi.fh.get());
        if (handle instanceof ChunkHandle chunk) {
            // The version this handle reads, not whatever the name shows now. (Linux asks with the handle
            // only on some paths, lseek(SEEK_END) for one; fstat asks by inode, as getattr.)
            return call("fgetattr", path, () -> {
                Digest digest = chunk.reader().digest();
                ChunkInfo info = store.stat(digest).orElseThrow(() -> new FsError(Errno.ENOENT, "chunk removed"));
                file(
                        stat,
                        path != null && path.startsWith("/" + Node.INCOMING + "/") ? (readOnly ? 0444 : 0644) : 0444,
                        info.size(),
                        info.lastAccessTime(),
                        info.lastModifiedTime());
                return 0;
            });
        }
        if (!(handle instanceof IncomingHandle incoming)) {
            return getattr(path, stat);
        }
        // Also for a file whose name was unlinked while it is open (path is null then).
        return call("fgetattr", path, () -> {
            FileTime modified = FileTime.from(incoming.file().modified());
            file(stat, readOnly ? 0444 : 0644, incoming.file().size(), modified, modified);
            return 0;
        });
    }

    // ---- directories ----

    @Override
    public int readdir(String path, Pointer buf, FuseFillDir filler, @off_t long offset, FuseFileInfo fi) {
        return call("readdir", path, () -> {
            Node node = Node.parse(path);
            filler.apply(buf, ".", null, 0);
            filler.apply(buf, "..", null, 0);
            if (node instanceof Node.Root) {
                filler.apply(buf, Node.INCOMING, null, 0);
                for (int prefix = 0; prefix < 256; prefix++) {
                    filler.apply(buf, String.format(java.util.Locale.ROOT, "%02x", prefix), null, 0);
                }
            } else if (node instanceof Node.IncomingDir) {
                TreeSet<String> names = new TreeSet<>(pending.keySet());
                for (ReceiptIndex.Receipt receipt : receipts.list()) {
                    // A receipt whose chunk is gone (set aside by verify, removed behind the mount) would
                    // list as "??????????" in ls -l: leave it out; writing the name again replaces it.
                    if (store.contains(receipt.digest())) {
                        names.add(receipt.name());
                    }
                }
                for (String name : names) {
                    filler.apply(buf, name, null, 0);
                }
            } else if (node instanceof Node.PrefixDir dir) {
                try (var chunks = store.chunks(Integer.parseInt(dir.prefix(), 16))) {
                    chunks.forEach(digest -> filler.apply(buf, digest.toString(), null, 0));
                }
            } else if (node instanceof Node.Nothing) {
                throw missing(node);
            } else {
                throw new FsError(Errno.ENOTDIR, "not a folder");
            }
            return 0;
        });
    }

    @Override
    public int mkdir(String path, @mode_t long mode) {
        return call("mkdir", path, () -> {
            requireWritable();
            throw new FsError(Errno.EPERM, "the tree of a chunkfs mount is fixed");
        });
    }

    @Override
    public int rmdir(String path) {
        return call("rmdir", path, () -> {
            Node node = Node.parse(path);
            if (node instanceof Node.Nothing) {
                throw missing(node);
            }
            throw new FsError(readOnly ? Errno.EROFS : Errno.EPERM, "the tree of a chunkfs mount is fixed");
        });
    }

    // ---- opening, reading, writing ----

    @Override
    public int create(String path, @mode_t long mode, FuseFileInfo fi) {
        return call("create", path, () -> {
            Node node = Node.parse(path);
            if (!(node instanceof Node.IncomingFile file)) {
                if (node instanceof Node.Chunk && !readOnly) {
                    // touch(1) of a chunk that does not exist: the conditional touch says ENOENT, creating nothing.
                    throw missing(node);
                }
                if (node instanceof Node.Nothing nothing && nothing.errno() != Errno.ENOENT) {
                    throw missing(node);
                }
                throw refuseWrite();
            }
            requireWritable();
            ReceiptIndex.checkName(file.name());
            PendingFile created = new PendingFile(store, receipts, file.name(), null, 0);
            created.markCreated();
            created.attach();
            synchronized (pending) {
                PendingFile displaced = pending.put(file.name(), created);
                if (displaced != null) {
                    displaced.rename(null);
                }
            }
            return open(fi, new IncomingHandle(created, true));
        });
    }

    @Override
    public int open(String path, FuseFileInfo fi) {
        return call("open", path, () -> {
            Node node = Node.parse(path);
            int flags = fi.flags.get();
            boolean writing = (flags & O_ACCMODE) != O_RDONLY || (flags & (O_TRUNC | O_APPEND)) != 0;
            if (node instanceof Node.Chunk chunk) {
                if (writing) {
                    // EACCES (not EPERM) lets touch(1) fall back to utimensat.
                    throw refuseWrite();
                }
                ChunkReader reader = openChecked(chunk.digest());
                if (reader.knownBefore()) {
                    // Only a chunk verified in this mount and unchanged since: any other open drops
                    // what the kernel kept, which may be pages of a file that was replaced.
                    keepCache(fi);
                }
                return open(fi, new ChunkHandle(reader));
            }
            if (node instanceof Node.IncomingFile file) {
                return openIncoming(fi, file, writing, (flags & O_TRUNC) != 0);
            }
            if (node instanceof Node.Nothing) {
                throw missing(node);
            }
            throw new FsError(Errno.EISDIR, "a folder");
        });
    }

    /** Opens a chunk checked whole (unless verify=off); a damaged one is EIO, logged once by the store. */
    private ChunkReader openChecked(Digest digest) throws IOException {
        try {
            return store.openVerified(digest);
        } catch (CorruptChunkException e) {
            stats.verifyFailed(e.digest());
            throw new FsError(Errno.EIO, e.getMessage());
        }
    }

    private int openIncoming(FuseFileInfo fi, Node.IncomingFile file, boolean writing, boolean truncate)
            throws IOException {
        if (writing) {
            requireWritable();
        }
        PendingFile open;
        synchronized (pending) {
            open = pending.get(file.name());
            if (open == null) {
                Optional<Digest> receipt = receipts.get(file.name());
                if (!writing) {
                    // Never keep_cache: a receipt's name can point at another chunk at the next open.
                    int result = open(fi, new ChunkHandle(openChecked(receipt.orElseThrow(() -> missing(file)))));
                    directIo(fi);
                    return result;
                }
                Optional<io.chunkfs.store.ChunkInfo> committed =
                        receipt.isPresent() ? store.stat(receipt.get()) : Optional.empty();
                if (committed.isPresent()) {
                    open = new PendingFile(
                            store,
                            receipts,
                            file.name(),
                            receipt.get(),
                            committed.get().size());
                } else {
                    // The kernel still knew the name (its entry cache) after a failed commit dropped it:
                    // the kernel strips O_CREAT from open, so treat a write-open as a create, as POSIX would.
                    open = new PendingFile(store, receipts, file.name(), null, 0);
                    open.markCreated();
                }
                pending.put(file.name(), open);
            }
            open.attach();
        }
        IncomingHandle handle = new IncomingHandle(open, writing);
        if (writing && truncate) {
            try {
                open.truncate(0);
            } catch (IOException | RuntimeException e) {
                // No handle reaches the kernel: let go of the file as its release would, or its write
                // session would hold back every later collection's cutoff for the life of the mount.
                releaseIncoming(new IncomingHandle(open, false));
                throw e;
            }
        }
        return open(fi, handle);
    }

    private int open(FuseFileInfo fi, Handle handle) {
        long id = nextHandle.getAndIncrement();
        handles.put(id, handle);
        fi.fh.set(id);
        return 0;
    }

    /**
     * Reads of this handle bypass the kernel's page cache and its idea of the file's size: the inode
     * of incoming/NAME is shared with a writer rewriting NAME, whose O_TRUNC and writes would change
     * what a reader opened before sees. The handle reads its own chunk to its own end instead.
     */
    private static void directIo(FuseFileInfo fi) {
        Pointer info = Struct.getMemory(fi);
        info.putInt(FILE_INFO_BITS_OFFSET, info.getInt(FILE_INFO_BITS_OFFSET) | DIRECT_IO);
    }

    private static void keepCache(FuseFileInfo fi) {
        // The chunk file was verified before and is unchanged: the kernel may keep its pages between opens.
        Pointer info = Struct.getMemory(fi);
        info.putInt(FILE_INFO_BITS_OFFSET, info.getInt(FILE_INFO_BITS_OFFSET) | KEEP_CACHE);
    }

    private Handle handle(FuseFileInfo fi) {
        Handle handle = handles.get(fi.fh.get());
        if (handle == null) {
            throw new FsError(Errno.EBADF, "unknown file handle");
        }
        return handle;
    }

    private static ByteBuffer view(Pointer buf, long size) {
        return MemoryIO.getInstance().newDirectByteBuffer(buf.address(), (int) size);
    }

    @Override
    public int read(String path, Pointer buf, @size_t long size, @off_t long offset, FuseFileInfo fi) {
        return call("read", path, () -> {
            Handle handle = handle(fi);
            ByteBuffer into = view(buf, size);
            if (handle instanceof ChunkHandle chunk) {
                // Checked whole at open: a damaged chunk never got a handle.
                return chunk.reader().read(into, offset);
            }
            PendingFile file = ((IncomingHandle) handle).file();
            while (into.hasRemaining()) {
                if (file.read(into, offset + into.position()) < 0) {
                    break;
                }
            }
            return into.position();
        });
    }

    @Override
    public int write(String path, Pointer buf, @size_t long size, @off_t long offset, FuseFileInfo fi) {
        return call("write", path, () -> {
            if (!(handle(fi) instanceof IncomingHandle handle) || !handle.writable()) {
                throw new FsError(Errno.EBADF, "not open for writing");
            }
            handle.file().write(view(buf, size), offset);
            return (int) size;
        });
    }

    @Override
    public int flush(String path, FuseFileInfo fi) {
        return call("flush", path, () -> {
            if (handle(fi) instanceof IncomingHandle handle && handle.writable()) {
                stats.committed(handle.file().commitIfChanged());
            }
            return 0;
        });
    }

    @Override
    public int fsync(String path, int isdatasync, FuseFileInfo fi) {
        return call("fsync", path, () -> {
            if (handle(fi) instanceof IncomingHandle handle) {
                stats.committed(handle.file().commitIfChanged());
            }
            // Whatever the handle (a read-only open of a receipt reaches us as a chunk handle), an fsync makes
            // every acknowledged chunk and receipt durable: under sync=file they are already, under
            // sync=filesystem this is the store sync that makes them so.
            if (!readOnly && store.options().syncLevel() == SyncLevel.FILESYSTEM) {
                store.sync();
            }
            return 0;
        });
    }

    @Override
    public int fsyncdir(String path, FuseFileInfo fi) {
        return call("fsyncdir", path, () -> {
            if (!readOnly && store.options().syncLevel() == SyncLevel.FILESYSTEM) {
                store.sync();
            }
            return 0;
        });
    }

    @Override
    public int release(String path, FuseFileInfo fi) {
        return call("release", path, () -> {
            Handle handle = handles.remove(fi.fh.get());
            if (handle instanceof ChunkHandle chunk) {
                chunk.reader().close();
            } else if (handle instanceof IncomingHandle incoming) {
                releaseIncoming(incoming);
            }
            return 0;
        });
    }

    private void releaseIncoming(IncomingHandle handle) throws IOException {
        PendingFile file = handle.file();
        if (handle.writable()) {
            try {
                // close(2) has returned already; a failure here can only be logged.
                stats.committed(file.commitIfChanged());
            } catch (IOException | RuntimeException e) {
                LOG.log(Level.WARNING, "commit of incoming/" + file.name() + " at release failed", e);
            }
        }
        synchronized (pending) {
            if (!file.detach()) {
                return;
            }
            String name = file.name();
            if (name != null) {
                pending.remove(name, file);
            }
        }
        file.close();
    }

    @Override
    public int truncate(String path, @off_t long size) {
        return call("truncate", path, () -> {
            Node node = Node.parse(path);
            if (node instanceof Node.Chunk) {
                // As open(O_WRONLY) of a chunk answers, and as the kernel answers a non-root caller (mode 0444).
                throw refuseWrite();
            }
            if (!(node instanceof Node.IncomingFile file)) {
                throw node instanceof Node.Nothing ? missing(node) : new FsError(Errno.EISDIR, "a folder");
            }
            requireWritable();
            PendingFile open = pending.get(file.name());
            if (open != null) {
                open.truncate(size);
                return 0;
            }
            // truncate(2) on a path with no open file: there is no close to commit at, so commit now.
            Digest receipt = receipts.get(file.name()).orElseThrow(() -> missing(node));
            long baseSize = store.stat(receipt).orElseThrow(() -> missing(node)).size();
            PendingFile temporary = new PendingFile(store, receipts, file.name(), receipt, baseSize);
            try {
                temporary.truncate(size);
                stats.committed(temporary.commitIfChanged());
            } finally {
                temporary.close();
            }
            return 0;
        });
    }

    @Override
    public int ftruncate(String path, @off_t long size, FuseFileInfo fi) {
        return call("ftruncate", path, () -> {
            if (!(handle(fi) instanceof IncomingHandle handle)) {
                throw refuseWrite();
            }
            handle.file().truncate(size);
            return 0;
        });
    }

    // ---- names ----

    @Override
    public int unlink(String path) {
        return call("unlink", path, () -> {
            Node node = Node.parse(path);
            if (node instanceof Node.Chunk chunk) {
                if (!store.contains(chunk.digest())) {
                    throw missing(node);
                }
                throw new FsError(readOnly ? Errno.EROFS : Errno.EPERM, "only gc removes chunks");
            }
            if (!(node instanceof Node.IncomingFile file)) {
                throw node instanceof Node.Nothing ? missing(node) : new FsError(Errno.EISDIR, "a folder");
            }
            requireWritable();
            synchronized (pending) {
                PendingFile open = pending.remove(file.name());
                if (open != null) {
                    open.rename(null);
                }
                boolean hadReceipt = receipts.remove(file.name());
                if (open == null && !hadReceipt) {
                    throw missing(node);
                }
            }
            return 0;
        });
    }

    @Override
    public int rename(String oldpath, String newpath) {
        return call("rename", oldpath, () -> {
            Node from = Node.parse(oldpath);
            Node to = Node.parse(newpath);
            if (from instanceof Node.Nothing) {
                throw missing(from);
            }
            requireWritable();
            if (!(from instanceof Node.IncomingFile source) || !(to instanceof Node.IncomingFile target)) {
                throw new FsError(
                        to instanceof Node.Nothing nothing && nothing.errno() == Errno.ENAMETOOLONG
                                ? Errno.ENAMETOOLONG
                                : Errno.EPERM,
                        "only files of incoming/ can be renamed, within it");
            }
            ReceiptIndex.checkName(target.name());
            synchronized (pending) {
                PendingFile moving = pending.remove(source.name());
                boolean hadReceipt = receipts.get(source.name()).isPresent();
                if (moving == null && !hadReceipt) {
                    throw missing(from);
                }
                if (hadReceipt) {
                    receipts.rename(source.name(), target.name());
                } else {
                    receipts.remove(target.name());
                }
                PendingFile displaced =
                        moving != null ? pending.put(target.name(), moving) : pending.remove(target.name());
                if (displaced != null) {
                    displaced.rename(null);
                }
                if (moving != null) {
                    moving.rename(target.name());
                }
            }
            return 0;
        });
    }

    @Override
    public int link(String oldpath, String newpath) {
        return call("link", oldpath, () -> {
            requireWritable();
            throw new FsError(Errno.EPERM, "hard links are not supported");
        });
    }

    @Override
    public int symlink(String oldpath, String newpath) {
        return call("symlink", newpath, () -> {
            requireWritable();
            throw new FsError(Errno.EPERM, "symlinks are not supported");
        });
    }

    @Override
    public int mknod(String path, @mode_t long mode, long rdev) {
        return call("mknod", path, () -> {
            requireWritable();
            throw new FsError(Errno.EPERM, "only regular files can be created, in incoming/");
        });
    }

    @Override
    public int chmod(String path, @mode_t long mode) {
        return call("chmod", path, () -> metadataChange(path));
    }

    @Override
    public int chown(String path, long uid, long gid) {
        return call("chown", path, () -> metadataChange(path));
    }

    /**
     * Modes and owners are fixed. On incoming/ and its files a change is accepted and ignored, so that
     * {@code cp -p}, {@code rsync -a} and {@code tar -x} (which sets the mode of {@code ./}) can
     * deliver; everywhere else it is refused.
     */
    private int metadataChange(String path) throws IOException {
        Node node = Node.parse(path);
        if (node instanceof Node.Nothing || (node instanceof Node.Chunk chunk && !store.contains(chunk.digest()))) {
            throw missing(node);
        }
        requireWritable();
        if (node instanceof Node.IncomingFile || node instanceof Node.IncomingDir) {
            return 0;
        }
        throw new FsError(Errno.EPERM, "modes and owners are fixed");
    }

    /**
     * The conditional touch. On a chunk, whatever times were asked for, atime becomes now and mtime
     * is kept; a chunk that does not exist is ENOENT. On incoming/ and its files times are accepted and
     * ignored (a receipt shows its chunk's times; rsync -a and tar -x set the folder's).
     */
    @Override
    public int utimens(String path, Timespec[] timespec) {
        return call("utimens", path, () -> {
            Node node = Node.parse(path);
            if (node instanceof Node.Chunk chunk) {
                requireWritable();
                store.condTouchChunk(chunk.digest(), true);
                return 0;
            }
            if (node instanceof Node.IncomingFile file) {
                requireWritable();
                if (!pending.containsKey(file.name())
                        && receipts.get(file.name()).isEmpty()) {
                    throw missing(node);
                }
                return 0;
            }
            if (node instanceof Node.IncomingDir) {
                requireWritable();
                return 0;
            }
            if (node instanceof Node.Nothing) {
                throw missing(node);
            }
            throw new FsError(readOnly ? Errno.EROFS : Errno.EPERM, "folder times are fixed");
        });
    }

    // ---- extended attributes ----

    @Override
    public int getxattr(String path, String name, Pointer value, @size_t long size) {
        return call("getxattr", path, () -> {
            if (CONTROL_XATTR.equals(name) && "/".equals(path) && controlSocket != null) {
                return replyXattr(value, size, controlSocket.getBytes(StandardCharsets.UTF_8));
            }
            if (!DIGEST_XATTR.equals(name)) {
                // The kernel asks for security.capability before every write: answer without any I/O.
                throw new FsError(Errno.ENODATA, "no such attribute");
            }
            Digest digest = digestOf(Node.parse(path));
            if (digest == null) {
                throw new FsError(Errno.ENODATA, "no such attribute");
            }
            return replyXattr(value, size, digest.toString().getBytes(StandardCharsets.US_ASCII));
        });
    }

    @Override
    public int listxattr(String path, Pointer list, @size_t long size) {
        return call("listxattr", path, () -> {
            Node node = Node.parse(path);
            if (node instanceof Node.Nothing) {
                throw missing(node);
            }
            if (digestOf(node) == null) {
                return 0;
            }
            return replyXattr(list, size, (DIGEST_XATTR + "\0").getBytes(StandardCharsets.US_ASCII));
        });
    }

    /** The xattr calls' protocol: size 0 asks for the length; a smaller buffer is ERANGE. */
    private static int replyXattr(Pointer buffer, long size, byte[] bytes) {
        if (size == 0) {
            return bytes.length;
        }
        if (size < bytes.length) {
            throw new FsError(Errno.ERANGE, "buffer too small");
        }
        buffer.put(0, bytes, 0, bytes.length);
        return bytes.length;
    }

    /** The digest behind a chunk or a committed incoming file, else null. */
    private Digest digestOf(Node node) throws IOException {
        if (node instanceof Node.Chunk chunk) {
            if (!store.contains(chunk.digest())) {
                throw missing(node);
            }
            return chunk.digest();
        }
        if (node instanceof Node.IncomingFile file) {
            PendingFile open = pending.get(file.name());
            if (open != null) {
                return open.committedDigest();
            }
            return receipts.get(file.name()).orElseThrow(() -> missing(node));
        }
        if (node instanceof Node.Nothing) {
            throw missing(node);
        }
        return null;
    }

    @Override
    public int setxattr(String path, String name, Pointer value, @size_t long size, int flags) {
        return call("setxattr", path, () -> xattrChange(path, name));
    }

    @Override
    public int removexattr(String path, String name) {
        return call("removexattr", path, () -> xattrChange(path, name));
    }

    /**
     * Attributes are fixed. On incoming/ and its files, {@code user.*} changes are accepted and
     * ignored, as modes and times are: rsync -aX removes user.chunkfs.digest from its temporary file
     * and copies the source's, cp -a and shutil.copy2 copy them, and each fails the whole copy on any
     * refusal. Other namespaces answer EOPNOTSUPP, on which they fall back quietly.
     */
    private int xattrChange(String path, String name) throws IOException {
        Node node = Node.parse(path);
        if (node instanceof Node.Nothing) {
            throw missing(node);
        }
        requireWritable();
        if (node instanceof Node.Chunk) {
            throw new FsError(Errno.EPERM, "chunks are immutable");
        }
        boolean incoming = node instanceof Node.IncomingFile || node instanceof Node.IncomingDir;
        if (incoming && name != null && name.startsWith("user.")) {
            return 0;
        }
        throw new FsError(Errno.EOPNOTSUPP, "attributes are fixed");
    }

    // ---- the file system ----

    @Override
    public int statfs(String path, Statvfs stbuf) {
        return call("statfs", path, () -> {
            ChunkBackend.Space space = store.space();
            long blockSize = 4096;
            stbuf.f_bsize.set(blockSize);
            stbuf.f_frsize.set(blockSize);
            stbuf.f_blocks.set(space.total() / blockSize);
            stbuf.f_bfree.set(space.free() / blockSize);
            stbuf.f_bavail.set(space.usable() / blockSize);
            stbuf.f_namemax.set(255);
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
            // After a lazy unmount release never comes for files still open: commit what they hold.
            for (Handle handle : handles.values()) {
                if (handle instanceof IncomingHandle incoming) {
                    try {
                        stats.committed(incoming.file().commitIfChanged());
                    } catch (IOException | RuntimeException e) {
                        LOG.log(
                                Level.WARNING,
                                "commit of incoming/" + incoming.file().name() + " at unmount failed",
                                e);
                    }
                }
            }
            for (Handle handle : handles.values()) {
                try {
                    if (handle instanceof ChunkHandle chunk) {
                        chunk.reader().close();
                    } else if (handle instanceof IncomingHandle incoming) {
                        incoming.file().close();
                    }
                } catch (IOException e) {
                    LOG.log(Level.WARNING, "closing a file at unmount failed", e);
                }
            }
            handles.clear();
            pending.clear();
            // On SIGTERM the JVM may halt once the unmount hook returns, before the store is closed:
            // make everything acknowledged durable here, so that a mount process that exited synced.
            if (!readOnly && store.options().syncLevel() == SyncLevel.FILESYSTEM) {
                try {
                    store.sync();
                } catch (IOException e) {
                    LOG.log(Level.WARNING, "the store sync at unmount failed", e);
                }
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
        Unmount.run(mountPoint, java.time.Duration.ofSeconds(5));
        mounted.set(false);
        try {
            if (!destroyed.await(30, java.util.concurrent.TimeUnit.SECONDS)) {
                LOG.warning("the file system was not torn down within 30 s of the unmount");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

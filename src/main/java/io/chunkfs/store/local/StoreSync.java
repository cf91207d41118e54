package io.chunkfs.store.local;

import io.chunkfs.store.ChunkBackend;
import io.chunkfs.store.Digest;
import io.chunkfs.store.GroupSync;
import io.chunkfs.store.PosixException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.util.BitSet;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import jnr.constants.platform.Errno;

/**
 * The store sync: makes durable every chunk and receipt this process acknowledged under {@code sync=filesystem}.
 * Where {@code syncfs(2)} reaches the disk, that is one {@code syncfs} of the store's file system. Where it does
 * not ({@link #syncfsReachesDisk}: FUSE, SMB, 9p), {@code syncfs} returns 0 having sent nothing to the server or
 * daemon that holds the data, so this fsyncs, one by one, every chunk published and every folder changed since
 * the last store sync: the chunk files first, then their prefix folders, so that no
 * name can become durable before the bytes it names (the tree's names are made durable after this, by the
 * store's sync).
 *
 * <p>Concurrent store syncs share one run as a group commit ({@link GroupSync}): a caller returns once a run
 * that started after its call has finished, so what it acknowledged before calling was in that run's record.
 * The record of changes is guarded by this object's monitor, a leaf lock never held while fsyncing. A run that
 * fails puts its record back, so the next store sync covers it again.
 */
final class StoreSync {
    /** {@code statfs} magic numbers of file systems whose {@code syncfs} does not reach the disk. */
    static final long FUSE = 0x65735546L;

    /** Stands for a file system whose type could not be read: its {@code syncfs} is not trusted either. */
    static final long UNKNOWN = -1L;

    private static final long SMB = 0x517BL;
    private static final long CIFS = 0xFF534D42L;
    private static final long SMB2 = 0xFE534D42L;
    private static final long V9FS = 0x01021997L;
    private static final long NFS = 0x6969L;

    private final Syscalls sys;
    private final StoreFolders folders;
    private final long fileSystemType;
    private final boolean fsyncEach;
    private final GroupSync group = new GroupSync(this::run);

    /** Chunks published since the last run; guarded by {@code this}. */
    private Set<Digest> chunks = new HashSet<>();
    /** Prefix folders whose entries changed since the last run; guarded by {@code this}. */
    private BitSet prefixes = new BitSet(ChunkBackend.PREFIXES);

    StoreSync(Syscalls sys, StoreFolders folders, long fileSystemType) {
        this.sys = sys;
        this.folders = folders;
        this.fileSystemType = fileSystemType;
        this.fsyncEach = !syncfsReachesDisk(fileSystemType);
    }

    /**
     * Whether {@code syncfs(2)} on a file system of this {@code statfs} type makes its data durable. Not on
     * FUSE (the kernel sends the daemon nothing for it, and {@code sync(2)} does not reach the daemon's own
     * buffers either), nor on the network clients that have no {@code sync_fs} of their own: SMB/CIFS (writes
     * back to the server, which keeps them in its cache until an SMB flush, which only {@code fsync} sends) and
     * 9p ({@code Tfsync} likewise). NFS is trusted: its writeback for a sync sends COMMIT, and its folder
     * changes are synchronous on the server.
     */
    static boolean syncfsReachesDisk(long fileSystemType) {
        return fileSystemType != FUSE
                && fileSystemType != UNKNOWN
                && fileSystemType != SMB
                && fileSystemType != CIFS
                && fileSystemType != SMB2
                && fileSystemType != V9FS;
    }

    /**
     * Whether processes sharing a file on this file system see one another's writes to a shared mapping of it, as
     * SQLite's WAL index needs: on the local file systems, not on FUSE or on network clients (NFS included), where
     * the tree's database keeps a rollback journal instead.
     */
    boolean sharedMemoryWorks() {
        return sharedMemoryWorks(fileSystemType);
    }

    /** {@link #sharedMemoryWorks()} for a file system of this {@code statfs} type (a store being created). */
    static boolean sharedMemoryWorks(long fileSystemType) {
        return syncfsReachesDisk(fileSystemType) && fileSystemType != NFS;
    }

    /** Whether this store sync fsyncs what changed one by one instead of calling {@code syncfs}. */
    boolean fsyncsEach() {
        return fsyncEach;
    }

    /**
     * The line to log when the store sits on FUSE: its durability is that daemon's, whatever chunkfs fsyncs
     * (bindfs, for one, answers a folder's fsync without doing anything, so no rename on it is ever durable).
     */
    static Optional<String> caveat(long fileSystemType, String where) {
        if (fileSystemType != FUSE) {
            return Optional.empty();
        }
        return Optional.of("the store " + where + " is on a FUSE file system: chunkfs fsyncs every file and folder"
                + " it changes, but durability is only as good as that file system's (some ignore a folder's fsync,"
                + " and then no new name there survives a power cut)");
    }

    /** {@link #caveat(long, String)} for this store. */
    Optional<String> caveat() {
        return caveat(fileSystemType, folders.root.toString());
    }

    /** Records a chunk whose bytes and name the next store sync must make durable. */
    void chunkChanged(Digest digest) {
        if (fsyncEach) {
            synchronized (this) {
                chunks.add(digest);
                prefixes.set(digest.prefixIndex());
            }
        }
    }

    /** Makes everything recorded before this call durable. */
    void sync() throws IOException {
        group.sync();
    }

    private void run() throws IOException {
        if (!fsyncEach) {
            sys.syncfs(folders.chunks);
            return;
        }
        Set<Digest> files;
        BitSet folderBits;
        synchronized (this) {
            files = chunks;
            folderBits = prefixes;
            chunks = new HashSet<>();
            prefixes = new BitSet(ChunkBackend.PREFIXES);
        }
        try {
            for (Digest digest : files) {
                fsyncChunk(digest);
            }
            for (int prefix = folderBits.nextSetBit(0); prefix >= 0; prefix = folderBits.nextSetBit(prefix + 1)) {
                sys.fsync(folders.prefix(prefix));
            }
        } catch (IOException | RuntimeException e) {
            synchronized (this) {
                chunks.addAll(files);
                prefixes.or(folderBits);
            }
            throw e;
        }
    }

    private void fsyncChunk(Digest digest) throws IOException {
        try (FileChannel channel =
                sys.openRead(folders.prefix(digest), digest.toString()).channel()) {
            sys.fsync(channel);
        } catch (NoSuchFileException e) {
            // Removed since (swept, or set aside as damaged): there is nothing of it left to keep.
        } catch (PosixException e) {
            // Not a regular file any more (something else was put at its name): not a chunk this store wrote.
            if (e.errno() != Errno.EINVAL.intValue() && e.errno() != Errno.ELOOP.intValue()) {
                throw e;
            }
        }
    }
}

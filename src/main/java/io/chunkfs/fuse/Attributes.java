package io.chunkfs.fuse;

import io.chunkfs.store.ChunkInfo;
import io.chunkfs.store.Digest;
import io.chunkfs.store.Entry;
import io.chunkfs.store.EntryType;
import java.nio.file.attribute.FileTime;
import java.time.Instant;

/**
 * What getattr answers for one node: a {@code struct stat} as plain values. Times are nanoseconds since the
 * epoch.
 *
 * @param inode    {@code st_ino}: a tree entry's own number, stable for its life; fixed numbers above the tree's
 *                 for the root, the prefix folders and the chunks (see {@link #FIXED_INODES})
 * @param type     the kind of node
 * @param mode     the 12 permission bits
 * @param links    the link count
 * @param size     bytes (a folder shows 4096, as ext4 shows a small one)
 * @param blocks   512-byte blocks the bytes take
 * @param device   {@code st_rdev} of a device node
 */
record Attributes(
        long inode,
        EntryType type,
        int mode,
        long links,
        long uid,
        long gid,
        long size,
        long blocks,
        long atime,
        long mtime,
        long ctime,
        long device) {

    /** Inode numbers of the nodes outside the tree start here: the tree numbers its own from 1. */
    static final long FIXED_INODES = 1L << 62;

    static final long MOUNT_ROOT_INODE = FIXED_INODES + 256;
    static final long FOLDER_SIZE = 4096;

    boolean isFolder() {
        return type == EntryType.FOLDER;
    }

    /** A folder outside the tree (the root, a prefix folder), owned by the store's owner. */
    static Attributes fixedFolder(long inode, int mode, long links, long uid, long gid, Instant mountedAt) {
        long time = nanos(mountedAt);
        return new Attributes(inode, EntryType.FOLDER, mode, links, uid, gid, 0, 0, time, time, time, 0);
    }

    /** An entry of the tree as the namespace holds it. */
    static Attributes of(Entry entry) {
        long size = entry.isFolder() ? FOLDER_SIZE : entry.size();
        return new Attributes(
                entry.inode(),
                entry.type(),
                entry.mode(),
                entry.links(),
                entry.uid(),
                entry.gid(),
                size,
                // A short symlink's target sits in its inode on ext4: no blocks.
                entry.type() == EntryType.SYMLINK ? 0 : blocks(size),
                entry.atime(),
                entry.mtime(),
                entry.ctime(),
                entry.device());
    }

    /** A chunk by digest: read-only, its times the chunk file's; ctime is its mtime. */
    static Attributes chunk(int mode, long uid, long gid, ChunkInfo chunk) {
        long inode = chunkInode(chunk.digest());
        long modified = nanos(chunk.lastModifiedTime());
        return new Attributes(
                inode,
                EntryType.REGULAR,
                mode,
                1,
                uid,
                gid,
                chunk.size(),
                chunk.blocks(),
                nanos(chunk.lastAccessTime()),
                modified,
                modified,
                0);
    }

    /** The same attributes with the bytes of a file being written: their size and time of last change. */
    Attributes withContent(long newSize, long modified) {
        return new Attributes(
                inode,
                type,
                mode,
                links,
                uid,
                gid,
                newSize,
                blocks(newSize),
                atime,
                modified,
                Math.max(ctime, modified),
                device);
    }

    /**
     * The inode number of the chunk {@code digest}: above the fixed folders' numbers, its first 7 bytes, enough to
     * keep the numbers of a store's chunks apart.
     */
    static long chunkInode(Digest digest) {
        byte[] bytes = digest.toBytes();
        long bits = 0;
        for (int i = 0; i < 7; i++) {
            bits = bits << 8 | (bytes[i] & 0xff);
        }
        return FIXED_INODES | 1L << 60 | bits;
    }

    /** The same attributes of a file whose every name was removed while it was open: no links. */
    Attributes unlinked() {
        return new Attributes(inode, type, mode, 0, uid, gid, size, blocks, atime, mtime, ctime, device);
    }

    /** The same attributes taking {@code newBlocks} 512-byte blocks. */
    Attributes withBlocks(long newBlocks) {
        return new Attributes(inode, type, mode, links, uid, gid, size, newBlocks, atime, mtime, ctime, device);
    }

    static long blocks(long size) {
        return (size + 511) / 512;
    }

    static long nanos(Instant instant) {
        return instant.getEpochSecond() * 1_000_000_000L + instant.getNano();
    }

    static long nanos(FileTime time) {
        return nanos(time.toInstant());
    }
}

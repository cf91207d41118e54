package io.chunkfs.store;

import java.util.Arrays;
import java.util.Objects;

/**
 * One inode of the {@link Namespace}, as a lookup saw it. Times are nanoseconds since the epoch.
 *
 * @param inode stable for the life of the entry, never reused by the same namespace
 * @param mode the 12 permission bits ({@code 07777}), without the type
 * @param size for a regular file its chunk's size, for a symlink its target's length, else 0
 * @param links names that refer to it (a folder: 2 plus its subfolders)
 * @param digest the chunk of a regular file, else null
 * @param target the bytes a symlink holds, else null
 * @param device {@code st_rdev} of a device node, else 0
 */
public record Entry(
        long inode,
        EntryType type,
        int mode,
        long uid,
        long gid,
        long atime,
        long mtime,
        long ctime,
        long size,
        long links,
        Digest digest,
        byte[] target,
        long device) {

    /** The 12 permission bits a mode may hold. */
    public static final int MODE_BITS = 07777;

    public Entry {
        Objects.requireNonNull(type, "type");
        if ((mode & ~MODE_BITS) != 0) {
            throw new IllegalArgumentException("not 12 permission bits: 0" + Integer.toOctalString(mode));
        }
        if ((type == EntryType.REGULAR) != (digest != null)) {
            throw new IllegalArgumentException("a regular file, and only one, names a chunk: " + type);
        }
        if ((type == EntryType.SYMLINK) != (target != null)) {
            throw new IllegalArgumentException("a symlink, and only one, has a target: " + type);
        }
        target = target == null ? null : target.clone();
    }

    public boolean isFolder() {
        return type == EntryType.FOLDER;
    }

    @Override
    public byte[] target() {
        return target == null ? null : target.clone();
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Entry e
                && inode == e.inode
                && type == e.type
                && mode == e.mode
                && uid == e.uid
                && gid == e.gid
                && atime == e.atime
                && mtime == e.mtime
                && ctime == e.ctime
                && size == e.size
                && links == e.links
                && Objects.equals(digest, e.digest)
                && Arrays.equals(target, e.target)
                && device == e.device;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(inode) * 31 + Objects.hash(type, mode, mtime, ctime, size, links, digest);
    }

    @Override
    public String toString() {
        return "Entry[" + inode + " " + type + " 0" + Integer.toOctalString(mode) + " " + uid + ":" + gid + " size "
                + size + " links " + links + (digest != null ? " " + digest : "") + "]";
    }
}

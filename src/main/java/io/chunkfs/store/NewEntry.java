package io.chunkfs.store;

/**
 * What {@link Namespace#create} makes: an entry's type and first attributes. Its atime, mtime and ctime are
 * {@code time} (nanoseconds since the epoch); its size is the chunk's for a regular file and the target's length
 * for a symlink.
 */
public record NewEntry(
        EntryType type, int mode, long uid, long gid, long time, Digest digest, long size, byte[] target, long device) {

    public NewEntry {
        // Entry's checks, with an inode and link count that do not matter yet.
        new Entry(0, type, mode, uid, gid, time, time, time, size, 1, digest, target, device);
        target = target == null ? null : target.clone();
    }

    /** A regular file holding the chunk {@code digest} of {@code size} bytes. */
    public static NewEntry file(Digest digest, long size, int mode, long uid, long gid, long time) {
        return new NewEntry(EntryType.REGULAR, mode, uid, gid, time, digest, size, null, 0);
    }

    /** An empty folder. */
    public static NewEntry folder(int mode, long uid, long gid, long time) {
        return new NewEntry(EntryType.FOLDER, mode, uid, gid, time, null, 0, null, 0);
    }

    /** A symbolic link holding {@code target} as given (mode 0777, as Linux shows every symlink). */
    public static NewEntry symlink(byte[] target, long uid, long gid, long time) {
        return new NewEntry(EntryType.SYMLINK, 0777, uid, gid, time, null, target.length, target, 0);
    }

    /** A FIFO, socket or device node (the kernel does its I/O; {@code device} is its {@code st_rdev}). */
    public static NewEntry special(EntryType type, int mode, long device, long uid, long gid, long time) {
        return new NewEntry(type, mode, uid, gid, time, null, 0, null, device);
    }

    @Override
    public byte[] target() {
        return target == null ? null : target.clone();
    }
}

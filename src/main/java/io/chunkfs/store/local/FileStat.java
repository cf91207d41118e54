package io.chunkfs.store.local;

import java.nio.file.attribute.FileTime;

/**
 * What {@code statx} says of one file, without following a symlink.
 *
 * @param mode  type and permission bits, as {@code st_mode}
 * @param inode inode number; with {@code ctime} and {@code size} it tells whether a file changed
 * @param blocks 512-byte blocks the file takes on disk (fewer than its size needs where it has holes)
 */
record FileStat(int mode, long size, long inode, FileTime atime, FileTime mtime, FileTime ctime, long blocks) {
    private static final int S_IFMT = 0170000;
    private static final int S_IFREG = 0100000;
    private static final int S_IFDIR = 0040000;
    private static final int S_IFLNK = 0120000;
    private static final int S_IFIFO = 0010000;
    private static final int S_IFSOCK = 0140000;
    private static final int S_IFCHR = 0020000;
    private static final int S_IFBLK = 0060000;

    boolean isRegularFile() {
        return (mode & S_IFMT) == S_IFREG;
    }

    boolean isDirectory() {
        return (mode & S_IFMT) == S_IFDIR;
    }

    boolean isSymbolicLink() {
        return (mode & S_IFMT) == S_IFLNK;
    }

    /** What the file is, in a word for messages: "file" (regular), "folder", "FIFO", "socket", "symlink", "device". */
    String kind() {
        return switch (mode & S_IFMT) {
            case S_IFREG -> "file";
            case S_IFDIR -> "folder";
            case S_IFIFO -> "FIFO";
            case S_IFSOCK -> "socket";
            case S_IFLNK -> "symlink";
            case S_IFCHR, S_IFBLK -> "device";
            default -> "special file";
        };
    }

    int permissions() {
        return mode & 07777;
    }
}

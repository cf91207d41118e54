package io.chunkfs.store.local;

import io.chunkfs.store.PosixException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import jnr.constants.platform.Errno;
import jnr.constants.platform.OpenFlags;
import jnr.ffi.LibraryLoader;
import jnr.ffi.LibraryOption;
import jnr.ffi.Runtime;

/**
 * The libc calls java.nio lacks: the {@code *at} family (every store file is reached relative to an open
 * folder, never through a path that could be swapped for a symlink), {@code utimensat} with an omitted
 * mtime (the conditional touch), {@code statx} (inode and ctime), {@code fchmod} (modes that ignore the
 * umask), {@code syncfs} and {@code fstatfs}. Linux only, like FUSE here; flag values come from jnr-constants so
 * that they are right on every architecture. Strings go to libc as UTF-8 bytes whatever the JVM's default charset.
 */
final class Posix {
    /** {@code UTIME_NOW} and {@code UTIME_OMIT} from {@code <sys/stat.h>}. */
    static final long UTIME_NOW = (1L << 30) - 1;

    static final long UTIME_OMIT = (1L << 30) - 2;
    static final int AT_FDCWD = -100;
    static final int AT_SYMLINK_NOFOLLOW = 0x100;
    static final int AT_EMPTY_PATH = 0x1000;
    static final int O_RDONLY = OpenFlags.O_RDONLY.intValue();
    static final int O_RDWR = OpenFlags.O_RDWR.intValue();
    static final int O_CREAT = OpenFlags.O_CREAT.intValue();
    static final int O_EXCL = OpenFlags.O_EXCL.intValue();
    static final int O_NONBLOCK = OpenFlags.O_NONBLOCK.intValue();
    static final int O_NOFOLLOW = OpenFlags.O_NOFOLLOW.intValue();
    static final int O_DIRECTORY = OpenFlags.O_DIRECTORY.intValue();
    static final int O_CLOEXEC = OpenFlags.O_CLOEXEC.intValue();
    private static final int STATX_BASIC_STATS = 0x7ff;
    private static final int STATX_SIZE = 256;
    /** {@code struct statfs} is 120 bytes on 64-bit Linux; {@code f_type} is its first field, a long. */
    private static final int STATFS_SIZE = 128;

    public interface LibC {
        int openat(int dirfd, byte[] path, int flags, int mode);

        int mkdirat(int dirfd, byte[] path, int mode);

        int renameat(int olddirfd, byte[] oldpath, int newdirfd, byte[] newpath);

        int renameat2(int olddirfd, byte[] oldpath, int newdirfd, byte[] newpath, int flags);

        int linkat(int olddirfd, byte[] oldpath, int newdirfd, byte[] newpath, int flags);

        int unlinkat(int dirfd, byte[] path, int flags);

        int symlinkat(byte[] target, int newdirfd, byte[] linkpath);

        long readlinkat(int dirfd, byte[] path, byte[] buf, long bufsiz);

        int utimensat(int dirfd, byte[] path, long[] times, int flags);

        int statx(int dirfd, byte[] path, int flags, int mask, byte[] statxbuf);

        int fchmod(int fd, int mode);

        int fsync(int fd);

        int syncfs(int fd);

        int fstatfs(int fd, byte[] statfsbuf);

        int close(int fd);
    }

    static final LibC LIBC = LibraryLoader.create(LibC.class)
            .option(LibraryOption.SaveError, true)
            .load("c");
    private static final Runtime RUNTIME = Runtime.getRuntime(LIBC);

    private Posix() {}

    /** Sets a folder's mode exactly, whatever the umask. */
    static void chmod(Folder folder, int mode) throws IOException {
        if (LIBC.fchmod(folder.fd, mode) != 0) {
            throw error("chmod", folder.toString(), errno());
        }
    }

    /** The errno of the last failed call on this thread. */
    static int errno() {
        return RUNTIME.getLastError();
    }

    /** {@code s} as a NUL-terminated UTF-8 string. */
    static byte[] cString(String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        byte[] terminated = new byte[bytes.length + 1];
        System.arraycopy(bytes, 0, terminated, 0, bytes.length);
        return terminated;
    }

    /** {@code statx} without following a symlink; null for ENOENT (and ENOTDIR: a path component is a file). */
    static FileStat statx(int dirfd, String name, String file) throws IOException {
        byte[] buffer = new byte[STATX_SIZE];
        int flags = AT_SYMLINK_NOFOLLOW | (name.isEmpty() ? AT_EMPTY_PATH : 0);
        if (LIBC.statx(dirfd, cString(name), flags, STATX_BASIC_STATS, buffer) != 0) {
            int errno = errno();
            if (errno == Errno.ENOENT.intValue()) {
                return null;
            }
            throw error("statx", file, errno);
        }
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(buffer).order(java.nio.ByteOrder.nativeOrder());
        return new FileStat(
                b.getShort(28) & 0xffff,
                b.getLong(40),
                b.getLong(32),
                time(b, 64),
                time(b, 112),
                time(b, 96),
                b.getLong(48));
    }

    /** The {@code f_type} magic number of the file system holding {@code fd} ({@code fstatfs}). */
    static long fileSystemType(int fd, String file) throws IOException {
        byte[] buffer = new byte[STATFS_SIZE];
        if (LIBC.fstatfs(fd, buffer) != 0) {
            throw error("fstatfs", file, errno());
        }
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(buffer).order(java.nio.ByteOrder.nativeOrder());
        // f_type is a long on 64-bit Linux; the magic numbers are 32-bit values, so mask off any sign extension.
        return b.getLong(0) & 0xffffffffL;
    }

    private static FileTime time(java.nio.ByteBuffer b, int offset) {
        return FileTime.from(Instant.ofEpochSecond(b.getLong(offset), b.getInt(offset + 8) & 0xffffffffL));
    }

    /** The exception for a failed call: NoSuchFileException and FileAlreadyExistsException where they fit. */
    static IOException error(String call, String file, int errno) {
        if (errno == Errno.ENOENT.intValue()) {
            return new NoSuchFileException(file, null, call + ": " + PosixException.describe(errno));
        }
        if (errno == Errno.EEXIST.intValue()) {
            return new FileAlreadyExistsException(file, null, call + ": " + PosixException.describe(errno));
        }
        return new PosixException(call, file, errno);
    }
}

package io.chunkfs.store;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

import jnr.constants.platform.Errno;
import jnr.ffi.LibraryLoader;
import jnr.ffi.LibraryOption;
import jnr.ffi.Runtime;

/**
 * The two libc calls java.nio lacks: {@code utimensat} with an omitted mtime (the conditional
 * touch) and {@code syncfs}. Linux x86_64/aarch64 only, like FUSE itself here.
 */
final class Posix {
    /** {@code UTIME_NOW} and {@code UTIME_OMIT} from {@code <sys/stat.h>}. */
    static final long UTIME_NOW = (1L << 30) - 1;
    static final long UTIME_OMIT = (1L << 30) - 2;
    private static final int AT_FDCWD = -100;
    private static final int AT_SYMLINK_NOFOLLOW = 0x100;
    private static final int O_RDONLY = 0;
    private static final int O_DIRECTORY = 0x10000;
    private static final int O_CLOEXEC = 0x80000;

    public interface LibC {
        int utimensat(int dirfd, String path, long[] times, int flags);

        int syncfs(int fd);

        int open(String path, int flags);

        int close(int fd);
    }

    private static final LibC LIBC = LibraryLoader.create(LibC.class)
            .option(LibraryOption.SaveError, true)
            .load("c");
    private static final Runtime RUNTIME = Runtime.getRuntime(LIBC);

    private Posix() {
    }

    /**
     * Sets {@code path}'s atime to now and leaves its mtime alone, without following a symlink.
     *
     * @return false if {@code path} does not exist
     */
    static boolean touchAtime(Path path) throws IOException {
        return setTimes(path, 0, UTIME_NOW, 0, UTIME_OMIT);
    }

    /** Sets both times of {@code path}, without following a symlink; false if it does not exist. */
    static boolean setTimes(Path path, long atimeSec, long atimeNsec, long mtimeSec, long mtimeNsec)
            throws IOException {
        long[] times = {atimeSec, atimeNsec, mtimeSec, mtimeNsec};
        if (LIBC.utimensat(AT_FDCWD, path.toString(), times, AT_SYMLINK_NOFOLLOW) == 0) {
            return true;
        }
        int errno = RUNTIME.getLastError();
        if (errno == Errno.ENOENT.intValue()) {
            return false;
        }
        throw error("utimensat", path, errno);
    }

    /** Flushes every dirty page of the file system holding {@code path}. */
    static void syncfs(Path path) throws IOException {
        int fd = LIBC.open(path.toString(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) {
            throw error("open", path, RUNTIME.getLastError());
        }
        try {
            if (LIBC.syncfs(fd) != 0) {
                throw error("syncfs", path, RUNTIME.getLastError());
            }
        } finally {
            LIBC.close(fd);
        }
    }

    private static IOException error(String call, Path path, int errno) {
        String reason = Errno.valueOf(errno).description();
        if (errno == Errno.ENOENT.intValue()) {
            return new NoSuchFileException(path.toString(), null, reason);
        }
        if (errno == Errno.EACCES.intValue() || errno == Errno.EPERM.intValue() || errno == Errno.EROFS.intValue()) {
            return new AccessDeniedException(path.toString(), null, reason);
        }
        return new FileSystemException(path.toString(), null, call + ": " + reason);
    }
}

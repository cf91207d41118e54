package io.chunkfs.store.local;

import static io.chunkfs.store.local.Posix.LIBC;

import io.chunkfs.store.PosixException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.stream.Stream;
import jnr.constants.platform.Errno;

/**
 * {@link Syscalls} on Linux, through {@link Posix}. A file opened with {@code openat} becomes a
 * {@link FileChannel} by opening {@code /proc/self/fd/N}, which names the very file the descriptor holds
 * (Java 17 has no public way to wrap a descriptor), after which the descriptor is closed.
 */
final class LinuxSyscalls implements Syscalls {
    static final LinuxSyscalls INSTANCE = new LinuxSyscalls();
    private static final int EINVAL = Errno.EINVAL.intValue();
    private static final int MODE_BEING_WRITTEN = 0600;
    /** renameat2's flag: fail with EEXIST instead of replacing the target. */
    private static final int RENAME_NOREPLACE = 1;

    /**
     * Whether renameat2 with {@link #RENAME_NOREPLACE} worked so far. Once a file system refuses it, this process
     * looks before it renames instead, in every store: slower by a stat, never wrong.
     */
    private volatile boolean renameat2Works = true;

    private LinuxSyscalls() {}

    @Override
    public Folder openRoot(Path root) throws IOException {
        Path absolute = root.toAbsolutePath().normalize();
        int fd = LIBC.openat(
                Posix.AT_FDCWD,
                Posix.cString(absolute.toString()),
                Posix.O_RDONLY | Posix.O_DIRECTORY | Posix.O_CLOEXEC,
                0);
        if (fd < 0) {
            throw Posix.error("open", absolute.toString(), Posix.errno());
        }
        return new Folder(fd, absolute);
    }

    @Override
    public Folder openFolder(Folder parent, String name) throws IOException {
        int fd = LIBC.openat(
                parent.fd,
                Posix.cString(name),
                Posix.O_RDONLY | Posix.O_DIRECTORY | Posix.O_NOFOLLOW | Posix.O_CLOEXEC,
                0);
        if (fd < 0) {
            throw Posix.error("open folder", parent.resolve(name).toString(), Posix.errno());
        }
        return new Folder(fd, parent.resolve(name));
    }

    @Override
    public void mkdir(Folder parent, String name, int mode) throws IOException {
        if (LIBC.mkdirat(parent.fd, Posix.cString(name), mode) != 0) {
            throw Posix.error("mkdir", parent.resolve(name).toString(), Posix.errno());
        }
        // mkdirat applies the umask: set the mode the store promises.
        Folder created = openFolder(parent, name);
        try {
            if (LIBC.fchmod(created.fd, mode) != 0) {
                throw Posix.error("chmod", created.toString(), Posix.errno());
            }
        } finally {
            close(created);
        }
    }

    @Override
    public FileChannel create(Folder folder, String name, int mode) throws IOException {
        String file = folder.resolve(name).toString();
        int fd = LIBC.openat(
                folder.fd,
                Posix.cString(name),
                Posix.O_RDWR | Posix.O_CREAT | Posix.O_EXCL | Posix.O_NOFOLLOW | Posix.O_CLOEXEC,
                MODE_BEING_WRITTEN);
        if (fd < 0) {
            throw Posix.error("create", file, Posix.errno());
        }
        try {
            FileChannel channel;
            try {
                channel = reopen(fd, StandardOpenOption.READ, StandardOpenOption.WRITE);
            } catch (AccessDeniedException e) {
                // The umask took the owner's bits: give them back, then open again.
                fchmod(fd, MODE_BEING_WRITTEN, file);
                channel = reopen(fd, StandardOpenOption.READ, StandardOpenOption.WRITE);
            }
            // Permissions are checked at open only: the channel keeps writing after the file turns read-only.
            try {
                fchmod(fd, mode, file);
            } catch (IOException | RuntimeException | Error e) {
                channel.close();
                throw e;
            }
            return channel;
        } finally {
            LIBC.close(fd);
        }
    }

    @Override
    public OpenFile openRead(Folder folder, String name) throws IOException {
        return openRegular(folder, name, Posix.O_RDONLY, StandardOpenOption.READ);
    }

    @Override
    public FileChannel openReadWrite(Folder folder, String name) throws IOException {
        return openRegular(folder, name, Posix.O_RDWR, StandardOpenOption.READ, StandardOpenOption.WRITE)
                .channel();
    }

    /** Opens an existing regular file, refusing anything else (a symlink, a FIFO, a device, a folder). */
    private static OpenFile openRegular(Folder folder, String name, int access, StandardOpenOption... options)
            throws IOException {
        String file = folder.resolve(name).toString();
        // O_NONBLOCK: a FIFO planted at a chunk's name must not hold a thread until someone writes to it.
        int fd = LIBC.openat(
                folder.fd, Posix.cString(name), access | Posix.O_NOFOLLOW | Posix.O_NONBLOCK | Posix.O_CLOEXEC, 0);
        if (fd < 0) {
            throw Posix.error("open", file, Posix.errno());
        }
        try {
            FileStat stat = Posix.statx(fd, "", file);
            if (stat == null || !stat.isRegularFile()) {
                throw new PosixException("open", file + " (not a regular file)", EINVAL);
            }
            return new OpenFile(reopen(fd, options), stat);
        } finally {
            LIBC.close(fd);
        }
    }

    @Override
    public FileStat stat(Folder folder, String name) throws IOException {
        return Posix.statx(folder.fd, name, folder.resolve(name).toString());
    }

    @Override
    public void rename(Folder from, String fromName, Folder to, String toName) throws IOException {
        if (LIBC.renameat(from.fd, Posix.cString(fromName), to.fd, Posix.cString(toName)) != 0) {
            throw Posix.error("rename", from.resolve(fromName) + " to " + to.resolve(toName), Posix.errno());
        }
    }

    @Override
    public boolean renameNoReplace(Folder from, String fromName, Folder to, String toName) throws IOException {
        if (renameat2Works) {
            byte[] source = Posix.cString(fromName);
            byte[] target = Posix.cString(toName);
            if (LIBC.renameat2(from.fd, source, to.fd, target, RENAME_NOREPLACE) == 0) {
                return true;
            }
            int errno = Posix.errno();
            if (errno == Errno.EEXIST.intValue()) {
                return false;
            }
            if (errno == EINVAL || errno == Errno.ENOSYS.intValue() || errno == Errno.EOPNOTSUPP.intValue()) {
                // The store's file system cannot refuse to replace (some network and FUSE file systems).
                renameat2Works = false;
            } else if (errno != Errno.EPERM.intValue()) {
                // EPERM: a seccomp filter that does not know renameat2 (older container runtimes) answers that;
                // a real EPERM comes again from the rename below.
                throw Posix.error("rename", from.resolve(fromName) + " to " + to.resolve(toName), errno);
            }
        }
        // Look, then rename: one that appears in between is replaced, by the same bytes as the callers' are.
        if (stat(to, toName) != null) {
            return false;
        }
        rename(from, fromName, to, toName);
        return true;
    }

    @Override
    public void link(Folder from, String fromName, Folder to, String toName) throws IOException {
        if (LIBC.linkat(from.fd, Posix.cString(fromName), to.fd, Posix.cString(toName), 0) != 0) {
            throw Posix.error("link", to.resolve(toName).toString(), Posix.errno());
        }
    }

    @Override
    public boolean unlink(Folder folder, String name) throws IOException {
        if (LIBC.unlinkat(folder.fd, Posix.cString(name), 0) == 0) {
            return true;
        }
        int errno = Posix.errno();
        if (errno == Errno.ENOENT.intValue()) {
            return false;
        }
        throw Posix.error("unlink", folder.resolve(name).toString(), errno);
    }

    @Override
    public void symlink(String target, Folder folder, String name) throws IOException {
        if (LIBC.symlinkat(Posix.cString(target), folder.fd, Posix.cString(name)) != 0) {
            throw Posix.error("symlink", folder.resolve(name).toString(), Posix.errno());
        }
    }

    @Override
    public String readlink(Folder folder, String name) throws IOException {
        byte[] buffer = new byte[4096];
        long n = LIBC.readlinkat(folder.fd, Posix.cString(name), buffer, buffer.length);
        if (n < 0) {
            int errno = Posix.errno();
            if (errno == Errno.ENOENT.intValue() || errno == EINVAL) {
                return null;
            }
            throw Posix.error("readlink", folder.resolve(name).toString(), errno);
        }
        return new String(buffer, 0, (int) n, StandardCharsets.UTF_8);
    }

    @Override
    public boolean setTimes(Folder folder, String name, long atimeSec, long atimeNsec, long mtimeSec, long mtimeNsec)
            throws IOException {
        long[] times = {atimeSec, atimeNsec, mtimeSec, mtimeNsec};
        if (LIBC.utimensat(folder.fd, Posix.cString(name), times, Posix.AT_SYMLINK_NOFOLLOW) == 0) {
            return true;
        }
        int errno = Posix.errno();
        if (errno == Errno.ENOENT.intValue()) {
            return false;
        }
        throw Posix.error("utimensat", folder.resolve(name).toString(), errno);
    }

    @Override
    public void fsync(FileChannel file) throws IOException {
        file.force(true);
    }

    @Override
    public void fsync(Folder folder) throws IOException {
        if (LIBC.fsync(folder.fd) != 0) {
            throw Posix.error("fsync", folder.toString(), Posix.errno());
        }
    }

    @Override
    public void syncfs(Folder folder) throws IOException {
        if (LIBC.syncfs(folder.fd) != 0) {
            throw Posix.error("syncfs", folder.toString(), Posix.errno());
        }
    }

    @Override
    public long fileSystemType(Folder folder) throws IOException {
        return Posix.fileSystemType(folder.fd, folder.toString());
    }

    @Override
    public Stream<String> list(Folder folder) throws IOException {
        return Files.list(procPath(folder.fd)).map(entry -> entry.getFileName().toString());
    }

    @Override
    public void close(Folder folder) throws IOException {
        if (LIBC.close(folder.fd) != 0) {
            throw Posix.error("close", folder.toString(), Posix.errno());
        }
    }

    private static FileChannel reopen(int fd, StandardOpenOption... options) throws IOException {
        return FileChannel.open(procPath(fd), options);
    }

    private static Path procPath(int fd) {
        return Path.of("/proc/self/fd/" + fd);
    }

    private static void fchmod(int fd, int mode, String file) throws IOException {
        if (LIBC.fchmod(fd, mode) != 0) {
            throw Posix.error("chmod", file, Posix.errno());
        }
    }
}

package io.chunkfs.store.local;

import io.chunkfs.store.PosixException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * Every file-system call by which the store reads or changes its folder: the one seam between the store's
 * logic and the disk. Names are single path components inside a {@link Folder}; nothing here follows a
 * symlink except {@link #openRoot}. The production implementation is {@link LinuxSyscalls}; tests wrap it
 * to inject faults or to simulate a power cut, which is why every call that decides durability (create,
 * rename, link, unlink, symlink, mkdir, fsync of a file or a folder, syncfs) goes through here.
 *
 * <p>Failures throw {@link NoSuchFileException} for ENOENT, {@link FileAlreadyExistsException} for EEXIST,
 * and {@link PosixException} (which carries the errno) for everything else.
 */
interface Syscalls {
    /** Opens the store's root folder; a symlink there is followed, since the user named it. */
    Folder openRoot(Path root) throws IOException;

    /** Opens a subfolder, refusing a symlink (ELOOP) or anything that is not a folder (ENOTDIR). */
    Folder openFolder(Folder parent, String name) throws IOException;

    /** Creates a folder with exactly {@code mode}, whatever the umask. */
    void mkdir(Folder parent, String name, int mode) throws IOException;

    /** Creates a new file (never an existing one) with exactly {@code mode}, open for reading and writing. */
    FileChannel create(Folder folder, String name, int mode) throws IOException;

    /**
     * Opens a regular file for reading, without following a symlink and without blocking on a FIFO:
     * anything but a regular file is refused with a {@link PosixException} (EINVAL).
     */
    OpenFile openRead(Folder folder, String name) throws IOException;

    /** Opens an existing regular file for reading and writing, without following a symlink. */
    FileChannel openReadWrite(Folder folder, String name) throws IOException;

    /** The file's status without following a symlink, or null if there is no such name. */
    FileStat stat(Folder folder, String name) throws IOException;

    /** Renames atomically, replacing {@code toName} if it exists. */
    void rename(Folder from, String fromName, Folder to, String toName) throws IOException;

    /** Renames atomically unless {@code toName} exists: false then, and nothing changed. */
    boolean renameNoReplace(Folder from, String fromName, Folder to, String toName) throws IOException;

    /** Makes a hard link; {@link FileAlreadyExistsException} if {@code toName} exists. */
    void link(Folder from, String fromName, Folder to, String toName) throws IOException;

    /** Removes a file (not a folder); false if there was none. */
    boolean unlink(Folder folder, String name) throws IOException;

    /** Makes a symlink {@code name -> target}; {@link FileAlreadyExistsException} if the name exists. */
    void symlink(String target, Folder folder, String name) throws IOException;

    /** A symlink's target, or null if {@code name} does not exist or is not a symlink. */
    String readlink(Folder folder, String name) throws IOException;

    /**
     * Sets times without following a symlink; {@code UTIME_NOW}/{@code UTIME_OMIT} as nanoseconds work.
     *
     * @return false if there is no such name
     */
    boolean setTimes(Folder folder, String name, long atimeSec, long atimeNsec, long mtimeSec, long mtimeNsec)
            throws IOException;

    /** Makes a file's data and metadata durable. */
    void fsync(FileChannel file) throws IOException;

    /** Makes a folder's entries durable. */
    void fsync(Folder folder) throws IOException;

    /** Makes everything written to the file system holding {@code folder} durable. */
    void syncfs(Folder folder) throws IOException;

    /** The {@code statfs} type (magic number) of the file system holding {@code folder}. */
    long fileSystemType(Folder folder) throws IOException;

    /** The names in a folder, read lazily; close the stream. */
    Stream<String> list(Folder folder) throws IOException;

    /** Closes a folder opened here. */
    void close(Folder folder) throws IOException;

    /** A file opened for reading, with its status as of the open. */
    record OpenFile(FileChannel channel, FileStat stat) {}
}

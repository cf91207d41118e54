package io.chunkfs.fuse;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.ReadOnlyFileSystemException;
import ru.serce.jnrfuse.ErrorCodes;

/** The one place where Java exceptions become the errno a FUSE caller sees. */
final class Errno {
    static final int EPERM = ErrorCodes.EPERM();
    static final int ENOENT = ErrorCodes.ENOENT();
    static final int EIO = ErrorCodes.EIO();
    static final int EBADF = ErrorCodes.EBADF();
    static final int EACCES = ErrorCodes.EACCES();
    static final int EEXIST = ErrorCodes.EEXIST();
    static final int EXDEV = ErrorCodes.EXDEV();
    static final int ENOTDIR = ErrorCodes.ENOTDIR();
    static final int EISDIR = ErrorCodes.EISDIR();
    static final int EINVAL = ErrorCodes.EINVAL();
    static final int ENOSPC = ErrorCodes.ENOSPC();
    static final int EROFS = ErrorCodes.EROFS();
    static final int ERANGE = ErrorCodes.ERANGE();
    static final int ENAMETOOLONG = ErrorCodes.ENAMETOOLONG();
    static final int ENOTEMPTY = ErrorCodes.ENOTEMPTY();
    static final int ENODATA = ErrorCodes.ENODATA();
    static final int EMFILE = ErrorCodes.EMFILE();
    static final int ENFILE = ErrorCodes.ENFILE();
    /** 95 on Linux; jnr's ErrorCodes.ENOTSUP() is 45 (EL2NSYNC), which no program recognises. */
    static final int EOPNOTSUPP = 95;

    static final int EBUSY = ErrorCodes.EBUSY();
    static final int EDQUOT = 122;
    static final int EFBIG = 27;
    static final int EILSEQ = 84;

    private Errno() {}

    /** What write(2), close(2) and fsync(2) may answer on Linux: anything else would puzzle the caller. */
    private static final java.util.Set<Integer> DATA_CALL_ERRNOS = java.util.Set.of(
            ErrorCodes.EIO(),
            ErrorCodes.ENOSPC(),
            EDQUOT,
            EFBIG,
            ErrorCodes.EROFS(),
            ErrorCodes.EBADF(),
            ErrorCodes.EINTR(),
            ErrorCodes.EINVAL(),
            ErrorCodes.EAGAIN(),
            ErrorCodes.EPERM());

    /**
     * {@code errno} as the callback {@code what} may answer it: a write, flush or fsync that failed for a
     * reason those calls never give (a committed chunk swept away before its copy-on-write: ENOENT; out of
     * descriptors while committing: EMFILE) answers EIO, as a disk would.
     */
    static int forCall(String what, int errno) {
        boolean dataCall = what.equals("write") || what.equals("flush") || what.equals("fsync");
        return dataCall && !DATA_CALL_ERRNOS.contains(errno) ? EIO : errno;
    }

    /**
     * The positive errno for {@code error}. Running out of descriptors is reported in the log once (the
     * caller sees EMFILE or ENFILE each time), since it means the limits need raising, not a broken store.
     */
    static int of(Throwable error) {
        int errno = classify(error);
        if (errno == EMFILE || errno == ENFILE) {
            DescriptorLimit.reportExhausted(errno);
        }
        return errno;
    }

    /**
     * The errno a {@link io.chunkfs.store.PosixException} carries, else one read from the exception's
     * type or message. Java 17's IOExceptions carry no errno and their messages are {@code strerror} text;
     * the CLI's {@code main} sets LC_MESSAGES to C so that text is the English matched here.
     */
    private static int classify(Throwable error) {
        if (error instanceof FsError e) {
            return e.errno;
        }
        if (error instanceof io.chunkfs.store.CorruptChunkException) {
            return EIO;
        }
        if (error instanceof io.chunkfs.store.PosixException e) {
            return e.errno();
        }
        if (error instanceof NoSuchFileException) {
            return ENOENT;
        }
        if (error instanceof FileAlreadyExistsException) {
            return EEXIST;
        }
        if (error instanceof DirectoryNotEmptyException) {
            return ENOTEMPTY;
        }
        if (error instanceof NotDirectoryException) {
            return ENOTDIR;
        }
        if (error instanceof ReadOnlyFileSystemException) {
            return EROFS;
        }
        if (error instanceof java.nio.file.InvalidPathException || error instanceof IllegalArgumentException) {
            return EINVAL;
        }
        String message = String.valueOf(error.getMessage());
        // "Too many open files" is a prefix of ENFILE's text: test ENFILE first.
        if (message.contains("Too many open files in system")) {
            return ENFILE;
        }
        if (message.contains("Too many open files")) {
            return EMFILE;
        }
        if (message.contains("No space left on device")) {
            return ENOSPC;
        }
        if (message.contains("Disk quota exceeded")) {
            return EDQUOT;
        }
        if (message.contains("Read-only file system")) {
            return EROFS;
        }
        if (message.contains("File too large")) {
            return EFBIG;
        }
        if (message.contains("Operation not permitted")) {
            return EPERM;
        }
        if (message.contains("Permission denied")) {
            return EACCES;
        }
        if (error instanceof AccessDeniedException) {
            return EACCES;
        }
        if (error.getCause() != null && error.getCause() != error && error instanceof IOException) {
            int cause = classify(error.getCause());
            if (cause != EIO) {
                return cause;
            }
        }
        return EIO;
    }
}

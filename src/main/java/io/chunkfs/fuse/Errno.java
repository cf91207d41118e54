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
    /** 95 on Linux; jnr's ErrorCodes.ENOTSUP() is 45 (EL2NSYNC), which no program recognises. */
    static final int EOPNOTSUPP = 95;
    static final int EDQUOT = 122;
    static final int EFBIG = 27;
    static final int EILSEQ = 84;

    private Errno() {
    }

    /** The positive errno for {@code error}. */
    static int of(Throwable error) {
        if (error instanceof FsError e) {
            return e.errno;
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
            int cause = of(error.getCause());
            if (cause != EIO) {
                return cause;
            }
        }
        return EIO;
    }
}

package io.chunkfs.store;

import java.nio.file.FileSystemException;
import jnr.constants.platform.Errno;

/**
 * A failed system call, with the errno it returned. Java 17's {@code IOException}s carry no errno, and
 * their messages are {@code strerror} text in the process's locale; code that needs the errno (the FUSE
 * layer answers with it) reads {@link #errno()} instead of parsing words.
 */
public class PosixException extends FileSystemException {
    private static final long serialVersionUID = 1L;

    private final int errno;

    public PosixException(String call, String file, int errno) {
        super(file, null, call + ": " + describe(errno));
        this.errno = errno;
    }

    /** The positive errno of the failed call. */
    public int errno() {
        return errno;
    }

    /** The errno's description in English (never the process locale), or its number. */
    public static String describe(int errno) {
        Errno known = Errno.valueOf(errno);
        return known == null || known == Errno.__UNKNOWN_CONSTANT__ ? "errno " + errno : known.description();
    }
}

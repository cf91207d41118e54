package io.chunkfs.fuse;

/** A refusal of the file system, carrying the errno a caller should see. */
final class FsError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    final int errno;

    FsError(int errno, String why) {
        super(why, null, false, false);
        this.errno = errno;
    }
}

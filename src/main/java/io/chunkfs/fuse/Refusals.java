package io.chunkfs.fuse;

/**
 * The one policy for what a refused operation answers. A read-only mount answers EROFS to every change, before
 * any other reason; a writable one says why the mount refuses (EPERM: fixed by design, EACCES: read-only by mode,
 * as the kernel would answer a non-root caller of a 0444 file). Every refusal of the node handlers outside the
 * tree comes from here; the tree's own answers are the errno Linux gives for the same call.
 */
final class Refusals {
    private final boolean readOnly;

    Refusals(boolean readOnly) {
        this.readOnly = readOnly;
    }

    boolean readOnly() {
        return readOnly;
    }

    /** Fails a change on a read-only mount; otherwise returns. */
    void requireWritable() {
        if (readOnly) {
            throw new FsError(Errno.EROFS, "mounted read-only");
        }
    }

    /** Writing to a node whose mode is read-only (a chunk, a folder): EACCES, which lets touch(1) fall back. */
    FsError readOnlyHere() {
        return new FsError(readOnly ? Errno.EROFS : Errno.EACCES, "read-only here");
    }

    /** A change the fixed part of the mount never allows ({@code why} says which): EPERM, or EROFS if read-only. */
    FsError fixed(String why) {
        return new FsError(readOnly ? Errno.EROFS : Errno.EPERM, why);
    }

    /** A rename other than within incoming/: EPERM, but a too-long target name says so first. */
    FsError rename(NodeHandler target) {
        requireWritable();
        boolean tooLong = target instanceof MissingNode missing && missing.errno() == Errno.ENAMETOOLONG;
        return new FsError(
                tooLong ? Errno.ENAMETOOLONG : Errno.EPERM, "only entries of incoming/ can be renamed, within it");
    }

    /** An extended attribute change outside the tree: programs fall back quietly on EOPNOTSUPP. */
    FsError attributesFixed() {
        requireWritable();
        return new FsError(Errno.EOPNOTSUPP, "attributes are fixed");
    }

    /** A node that does not exist: ENOENT, or why the path cannot name anything (ENAMETOOLONG). */
    static FsError missing(Node node) {
        return new FsError(node instanceof Node.Nothing nothing ? nothing.errno() : Errno.ENOENT, "no such file");
    }

    static FsError isFolder() {
        return new FsError(Errno.EISDIR, "a folder");
    }

    static FsError notFolder() {
        return new FsError(Errno.ENOTDIR, "not a folder");
    }
}

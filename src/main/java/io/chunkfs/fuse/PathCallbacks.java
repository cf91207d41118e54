package io.chunkfs.fuse;

import jnr.ffi.Pointer;
import jnr.ffi.annotations.Delegate;
import jnr.ffi.types.dev_t;
import jnr.ffi.types.gid_t;
import jnr.ffi.types.mode_t;
import jnr.ffi.types.off_t;
import jnr.ffi.types.size_t;
import jnr.ffi.types.uid_t;

/**
 * The shapes of the libfuse 2.9 {@code fuse_operations} callbacks as {@link ChunkFs} binds them: every path and
 * name as the raw pointer libfuse passes, so that a name is its bytes (jnr-fuse's own callbacks decode paths to
 * Strings, which loses every byte that is not UTF-8). Each interface is one callback; {@link FuseAbi#SLOTS} says
 * where in {@code fuse_operations} it goes.
 */
final class PathCallbacks {
    private PathCallbacks() {}

    /** getattr. */
    public interface PathPointer {
        @Delegate
        int call(Pointer path, Pointer pointer);
    }

    /** readlink, listxattr. */
    public interface PathBuffer {
        @Delegate
        int call(Pointer path, Pointer buffer, @size_t long size);
    }

    /** mknod. */
    public interface PathModeDevice {
        @Delegate
        int call(Pointer path, @mode_t long mode, @dev_t long device);
    }

    /** mkdir, chmod. */
    public interface PathMode {
        @Delegate
        int call(Pointer path, @mode_t long mode);
    }

    /** unlink, rmdir. */
    public interface OnePath {
        @Delegate
        int call(Pointer path);
    }

    /** symlink, rename, link, removexattr. */
    public interface TwoPaths {
        @Delegate
        int call(Pointer from, Pointer to);
    }

    /** chown. */
    public interface PathOwner {
        @Delegate
        int call(Pointer path, @uid_t long uid, @gid_t long gid);
    }

    /** truncate. */
    public interface PathSize {
        @Delegate
        int call(Pointer path, @off_t long size);
    }

    /** open, flush, release, utimens. */
    public interface PathInfo {
        @Delegate
        int call(Pointer path, Pointer info);
    }

    /** read, write. */
    public interface PathData {
        @Delegate
        int call(Pointer path, Pointer buffer, @size_t long size, @off_t long offset, Pointer info);
    }

    /** fsync, fsyncdir. */
    public interface PathSync {
        @Delegate
        int call(Pointer path, int dataOnly, Pointer info);
    }

    /** setxattr. */
    public interface SetXattr {
        @Delegate
        int call(Pointer path, Pointer name, Pointer value, @size_t long size, int flags);
    }

    /** getxattr. */
    public interface GetXattr {
        @Delegate
        int call(Pointer path, Pointer name, Pointer value, @size_t long size);
    }

    /** readdir. */
    public interface ReadDir {
        @Delegate
        int call(Pointer path, Pointer buffer, Pointer filler, @off_t long offset, Pointer info);
    }

    /** create. */
    public interface PathModeInfo {
        @Delegate
        int call(Pointer path, @mode_t long mode, Pointer info);
    }

    /** ftruncate. */
    public interface PathSizeInfo {
        @Delegate
        int call(Pointer path, @off_t long size, Pointer info);
    }

    /** fgetattr. */
    public interface PathPointerInfo {
        @Delegate
        int call(Pointer path, Pointer pointer, Pointer info);
    }
}

package io.chunkfs.store;

/**
 * What {@link Namespace#setAttributes} changes: each field that is not null. Times are nanoseconds since the
 * epoch. The ctime becomes the namespace's now, as on Linux.
 */
public record AttributeChange(Integer mode, Long uid, Long gid, Long atime, Long mtime) {
    public AttributeChange {
        if (mode != null && (mode & ~Entry.MODE_BITS) != 0) {
            throw new IllegalArgumentException("not 12 permission bits: 0" + Integer.toOctalString(mode));
        }
    }

    public static AttributeChange mode(int mode) {
        return new AttributeChange(mode, null, null, null, null);
    }

    public static AttributeChange owner(Long uid, Long gid) {
        return new AttributeChange(null, uid, gid, null, null);
    }

    public static AttributeChange times(Long atime, Long mtime) {
        return new AttributeChange(null, null, null, atime, mtime);
    }
}

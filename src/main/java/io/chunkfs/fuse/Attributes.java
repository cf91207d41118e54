package io.chunkfs.fuse;

import io.chunkfs.store.ChunkInfo;
import java.time.Instant;

/**
 * What getattr answers for one node, without the owner (the same for every node, see {@link
 * MountedStore}). A file's ctime is its mtime; a folder's times are the mount's start.
 *
 * @param folder   a folder, else a regular file
 * @param mode     permission bits
 * @param links    the link count
 * @param size     bytes; 0 for a folder
 * @param accessed the atime
 * @param modified the mtime (and ctime)
 */
record Attributes(boolean folder, int mode, int links, long size, Instant accessed, Instant modified) {
    static Attributes folder(int mode, int links, Instant mountedAt) {
        return new Attributes(true, mode, links, 0, mountedAt, mountedAt);
    }

    static Attributes file(int mode, long size, Instant accessed, Instant modified) {
        return new Attributes(false, mode, 1, size, accessed, modified);
    }

    static Attributes file(int mode, ChunkInfo chunk) {
        return file(
                mode,
                chunk.size(),
                chunk.lastAccessTime().toInstant(),
                chunk.lastModifiedTime().toInstant());
    }
}

package io.chunkfs.store;

import java.nio.file.attribute.FileTime;

/**
 * Which file a chunk's name shows, and whether it changed: any write, truncation, rename or replacement
 * gives a new ctime or inode, so a chunk verified under one identity is trusted only while its name still
 * shows that identity. All chunks of a store are on one file system (the prefix folders are opened once),
 * so the inode needs no device beside it.
 */
record ChunkIdentity(long inode, FileTime ctime, long size) {
    static ChunkIdentity of(FileStat stat) {
        return new ChunkIdentity(stat.inode(), stat.ctime(), stat.size());
    }

    /** The identity the chunk's name shows now, or null if nothing is there (gc may have set it aside). */
    static ChunkIdentity ofName(ChunkStore store, Digest digest) throws java.io.IOException {
        FileStat stat = store.statFile(digest);
        return stat == null || !stat.isRegularFile() ? null : of(stat);
    }
}

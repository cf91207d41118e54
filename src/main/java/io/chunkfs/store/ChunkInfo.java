package io.chunkfs.store;

import java.nio.file.attribute.FileTime;

/**
 * What the file system says about one chunk file.
 *
 * @param blocks 512-byte blocks it takes where it is kept (fewer than its size needs where it has holes)
 */
public record ChunkInfo(Digest digest, long size, FileTime lastAccessTime, FileTime lastModifiedTime, long blocks) {}

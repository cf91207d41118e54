package io.chunkfs.store;

import java.nio.file.attribute.FileTime;

/** What the file system says about one chunk file. */
public record ChunkInfo(Digest digest, long size, FileTime lastAccessTime, FileTime lastModifiedTime) {}

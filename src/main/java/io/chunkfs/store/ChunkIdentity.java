package io.chunkfs.store;

import java.nio.file.attribute.FileTime;

/**
 * Which version of a chunk a name shows, and whether it changed: any write, truncation, rename or
 * replacement gives a new {@code changed} time or {@code version}, so a chunk verified under one identity is
 * trusted only while its name still shows that identity. For the local backend the version is the inode and
 * {@code changed} the ctime (all chunks of a store are on one file system, so the inode needs no device).
 */
public record ChunkIdentity(long version, FileTime changed, long size) {}

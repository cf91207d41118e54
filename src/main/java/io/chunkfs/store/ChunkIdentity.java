package io.chunkfs.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Map;

/**
 * Which file a chunk's path names, and whether it changed: any write, truncation, rename or
 * replacement gives a new ctime or inode, so a chunk verified under one identity is trusted only
 * while its path still shows that identity.
 */
record ChunkIdentity(long device, long inode, FileTime ctime, long size) {
    private static final String ATTRIBUTES = "unix:dev,ino,ctime,size";

    /** The identity of the file at {@code path}, without following a link. */
    static ChunkIdentity of(Path path, Digest digest) throws IOException {
        Map<String, Object> attributes;
        try {
            attributes = Files.readAttributes(path, ATTRIBUTES, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            throw new ChunkNotFoundException(digest);
        }
        return new ChunkIdentity((Long) attributes.get("dev"), (Long) attributes.get("ino"),
                (FileTime) attributes.get("ctime"), (Long) attributes.get("size"));
    }

    /** The identity at {@code path}, or null if nothing is there (gc may have set it aside for a moment). */
    static ChunkIdentity ofOrNull(Path path, Digest digest) throws IOException {
        try {
            return of(path, digest);
        } catch (ChunkNotFoundException e) {
            return null;
        }
    }
}

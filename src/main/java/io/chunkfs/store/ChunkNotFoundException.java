package io.chunkfs.store;

import java.nio.file.NoSuchFileException;

/** The store holds no chunk with the asked digest. */
public final class ChunkNotFoundException extends NoSuchFileException {
    private static final long serialVersionUID = 1L;

    public ChunkNotFoundException(Digest digest) {
        super(digest.toString(), null, "no such chunk");
    }
}

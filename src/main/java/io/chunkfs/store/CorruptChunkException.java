package io.chunkfs.store;

import java.io.IOException;

/** A chunk's bytes do not hash to its name: it changed or was damaged behind the store's back. */
public final class CorruptChunkException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient Digest digest;

    public CorruptChunkException(Digest digest, Digest actual) {
        super("chunk " + digest + " is corrupt: its bytes hash to " + actual + " (run 'chunkfs verify')");
        this.digest = digest;
    }

    /** The chunk whose bytes did not match its name. */
    public Digest digest() {
        return digest;
    }
}

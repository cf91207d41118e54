package io.chunkfs.store.s3;

import java.io.IOException;

/** A request to the object store failed after its retries; the message says which and why, in one line. */
public final class ObjectStoreException extends IOException {
    private static final long serialVersionUID = 1L;

    ObjectStoreException(String message, Throwable cause) {
        super(message, cause);
    }
}

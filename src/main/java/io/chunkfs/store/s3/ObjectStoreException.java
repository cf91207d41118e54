package io.chunkfs.store.s3;

import io.chunkfs.store.StorageException;

/** A request to the object store failed after its retries; the message says which and why, in one line. */
public final class ObjectStoreException extends StorageException {
    private static final long serialVersionUID = 1L;

    ObjectStoreException(String message, Throwable cause) {
        super(message, cause);
    }
}

package io.chunkfs.store;

import java.io.IOException;

/**
 * The place chunks are kept failed (an object store refused a request or did not answer in time), and the
 * message says which request and why in one line: callers log that line, not a stack trace, since the cause
 * is outside this program.
 */
public class StorageException extends IOException {
    private static final long serialVersionUID = 1L;

    public StorageException(String message, Throwable cause) {
        super(message, cause);
    }
}

package io.chunkfs.store;

import java.io.IOException;

/** The store cannot do what was asked, for a reason that one line explains (bad layout, lock held). */
public class StoreException extends IOException {
    private static final long serialVersionUID = 1L;

    public StoreException(String message) {
        super(message);
    }
}

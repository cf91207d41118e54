package io.chunkfs.fuse;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The files open through the mount, by the number the kernel passes back with each call on them.
 * Numbers are never reused within a mount. Thread-safe: callbacks open, use and release handles on
 * many threads at once.
 */
final class OpenHandles {
    private static final Logger LOG = Logger.getLogger(ChunkFs.class.getName());

    private final Map<Long, Handle> handles = new ConcurrentHashMap<>();
    private final AtomicLong nextNumber = new AtomicLong(1);

    /** Registers {@code handle}; returns its number. */
    long add(Handle handle) {
        long number = nextNumber.getAndIncrement();
        handles.put(number, handle);
        return number;
    }

    /** The handle with {@code number}, or null if there is none. */
    Handle find(long number) {
        return handles.get(number);
    }

    /** The handle with {@code number}; EBADF if there is none. */
    Handle get(long number) {
        Handle handle = handles.get(number);
        if (handle == null) {
            throw new FsError(Errno.EBADF, "unknown file handle");
        }
        return handle;
    }

    /** Forgets the handle with {@code number} and returns it, or null if there was none. */
    Handle remove(long number) {
        return handles.remove(number);
    }

    /** Open handles: {chunks and receipts read by digest, files of incoming/ being written or read}. */
    int[] counts() {
        int[] counts = new int[2];
        for (Handle handle : handles.values()) {
            counts[handle instanceof ChunkHandle ? 0 : 1]++;
        }
        return counts;
    }

    /**
     * After a lazy unmount release never comes for files still open: commits what every one holds,
     * then closes them all and forgets them. Failures are logged; the unmount goes on.
     */
    void closeAllAtUnmount() {
        for (Handle handle : handles.values()) {
            handle.commitAtUnmount();
        }
        for (Handle handle : handles.values()) {
            try {
                handle.closeAtUnmount();
            } catch (IOException e) {
                LOG.log(Level.WARNING, "closing a file at unmount failed", e);
            }
        }
        handles.clear();
    }
}

package io.chunkfs.store.local;

import java.io.IOException;
import java.io.InterruptedIOException;

/**
 * Group commit for one sync action (an fsync of a folder): a caller returns once a sync that
 * started after its call has finished, and callers arriving while a sync runs share the next one
 * instead of queueing a sync each. Its fields are guarded by its monitor, a leaf lock that is never held while
 * the action runs.
 */
final class GroupSync {
    interface Action {
        void run() throws IOException;
    }

    private final Action action;
    private long requested;
    private long completed;
    private boolean running;
    private IOException failure;
    private long failedUpTo;

    GroupSync(Action action) {
        this.action = action;
    }

    void sync() throws IOException {
        long ticket;
        synchronized (this) {
            ticket = ++requested;
        }
        while (true) {
            long target;
            synchronized (this) {
                while (running && completed < ticket) {
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new InterruptedIOException("interrupted while waiting for a folder sync");
                    }
                }
                if (completed >= ticket) {
                    if (failure != null && failedUpTo >= ticket) {
                        throw new IOException("sync failed: " + failure.getMessage(), failure);
                    }
                    return;
                }
                running = true;
                target = requested;
            }
            IOException error = null;
            try {
                action.run();
            } catch (IOException e) {
                error = e;
            }
            synchronized (this) {
                running = false;
                completed = target;
                if (error != null) {
                    failure = error;
                    failedUpTo = target;
                }
                notifyAll();
            }
        }
    }
}

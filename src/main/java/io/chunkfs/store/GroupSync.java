package io.chunkfs.store;

import java.io.IOException;
import java.io.InterruptedIOException;

/**
 * Group commit for one sync action (an fsync of a folder): a caller returns once a sync that
 * started after its call has finished, and callers arriving while a sync runs share the next one
 * instead of queueing a sync each. Its fields are guarded by its monitor, a leaf lock that is never held while
 * the action runs.
 */
public final class GroupSync {
    public interface Action {
        void run() throws IOException;
    }

    private final Action action;
    private long requested;
    private long completed;
    private boolean running;
    private IOException failure;
    private long failedUpTo;

    public GroupSync(Action action) {
        this.action = action;
    }

    /**
     * The failure of the run a caller shared, as this caller's own exception; one that carries an errno keeps it,
     * so that a full disk is still ENOSPC to whoever waited for the run.
     */
    private static IOException shared(IOException failure) {
        IOException mine = failure instanceof PosixException posix
                ? new PosixException("sync", posix.getFile(), posix.errno())
                : new IOException("sync failed: " + failure.getMessage());
        mine.initCause(failure);
        return mine;
    }

    public void sync() throws IOException {
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
                        throw shared(failure);
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

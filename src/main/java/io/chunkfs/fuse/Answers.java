package io.chunkfs.fuse;

import io.chunkfs.store.CorruptChunkException;
import io.chunkfs.store.StorageException;
import java.io.IOException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The one place where what a callback did becomes what the kernel hears: its result, or the
 * negative errno of whatever it threw. Counts every error for {@code chunkfs status}, logs the
 * unexpected ones (EIO) with their cause, and never lets anything escape to the kernel, which would
 * take it as success.
 */
final class Answers {
    private static final Logger LOG = Logger.getLogger(ChunkFs.class.getName());

    private final MountStats stats;

    Answers(MountStats stats) {
        this.stats = stats;
    }

    @FunctionalInterface
    interface Operation {
        int run() throws IOException;
    }

    /**
     * Logs a failure no caller hears of in full: a {@link StorageException} as its one line (the backend explained
     * it, and the cause is outside this program), anything else with its stack trace.
     */
    static void logFailure(String failure, Exception e) {
        if (e instanceof StorageException) {
            LOG.warning(failure + ": " + e.getMessage());
        } else {
            LOG.log(Level.WARNING, failure, e);
        }
    }

    /**
     * Runs the callback {@code what} on {@code where} (a path or node, for the log only; may be null).
     *
     * @return what {@code operation} returned, or minus the errno of what it threw
     */
    int answer(String what, Object where, Operation operation) {
        try {
            return operation.run();
        } catch (FsError e) {
            int errno = Errno.forCall(what, e.errno);
            stats.answered(what, errno);
            return -errno;
        } catch (IOException | RuntimeException e) {
            int errno = Errno.forCall(what, Errno.of(e));
            if (e instanceof StorageException || errno == Errno.EIO) {
                logFailure(what + " " + shown(where) + " failed", e);
            }
            if (e instanceof CorruptChunkException corrupt) {
                stats.verifyFailed(corrupt.digest());
            }
            stats.answered(what, errno);
            return -errno;
        } catch (Error e) {
            // Anything that escapes a callback would reach the kernel as success: answer EIO instead.
            LOG.log(Level.SEVERE, what + " " + shown(where) + " failed", e);
            stats.answered(what, Errno.EIO);
            return -Errno.EIO;
        }
    }

    private static String shown(Object where) {
        return where instanceof Node.Tree tree ? Node.INCOMING + "/" + tree.shown() : String.valueOf(where);
    }
}

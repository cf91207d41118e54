package io.chunkfs.fuse;

import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;
import jnr.ffi.LibraryLoader;
import jnr.ffi.LibraryOption;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;

/**
 * The process's limit on open file descriptors. Every open chunk handle of the mount holds one
 * descriptor, so the soft limit (1024 by default on most systems) caps how many chunks readers can
 * hold open at once; the hard limit is what an unprivileged process may raise it to.
 */
final class DescriptorLimit {
    private static final Logger LOG = Logger.getLogger(DescriptorLimit.class.getName());
    /** {@code RLIMIT_NOFILE} on Linux (x86_64 and aarch64 alike). */
    private static final int RLIMIT_NOFILE = 7;
    /** {@code RLIM_INFINITY}: all bits set in the unsigned 64-bit {@code rlim_t}. */
    private static final long RLIM_INFINITY = -1L;

    private static final AtomicBoolean REPORTED = new AtomicBoolean();

    public interface LibC {
        /** {@code struct rlimit} is two {@code rlim_t} (unsigned 64-bit): current (soft), then maximum (hard). */
        int getrlimit(int resource, @Out long[] limit);

        int setrlimit(int resource, @In long[] limit);
    }

    private static final class Holder {
        static final LibC LIBC = LibraryLoader.create(LibC.class)
                .option(LibraryOption.SaveError, true)
                .load("c");
        static final Runtime RUNTIME = Runtime.getRuntime(LIBC);
    }

    private DescriptorLimit() {}

    /** Prepares the mount process for many open chunks; called once at mount start. */
    static void atMountStart() {
        raiseSoftToHard();
        // The first log record with a time stamp loads the time zone rules from a file (tzdb.dat). Loaded
        // when descriptors have run out, that fails, and the class stays broken for the life of the
        // process: every later log call would throw. Load them now, while a descriptor is free.
        var unused = java.time.ZoneId.systemDefault().getRules();
    }

    /**
     * Raises the soft limit to the hard limit. HotSpot does so by itself (-XX:+MaxFDLimit, on by default),
     * but not every JVM does, nor HotSpot with -XX:-MaxFDLimit; failing leaves the limit as it was.
     */
    private static void raiseSoftToHard() {
        long[] limit = current();
        if (limit == null || limit[0] == limit[1]) {
            return;
        }
        long[] wanted = {limit[1], limit[1]};
        if (Holder.LIBC.setrlimit(RLIMIT_NOFILE, wanted) != 0) {
            LOG.warning(String.format(
                    Locale.ROOT,
                    "cannot raise the open file limit from %s to %s (errno %d)",
                    render(limit[0]),
                    render(limit[1]),
                    Holder.RUNTIME.getLastError()));
        }
    }

    /**
     * Logs, once per process, that a request failed because descriptors ran out, with the limits: it is a
     * configuration problem the owner has to see, but logging every failed request would flood the log
     * exactly when thousands of handles are open.
     */
    static void reportExhausted(int errno) {
        if (!REPORTED.compareAndSet(false, true)) {
            return;
        }
        long[] limit = current();
        String limits = limit == null ? "unknown" : "soft " + render(limit[0]) + ", hard " + render(limit[1]);
        String message = errno == Errno.ENFILE
                ? "the system's open file table is full (ENFILE, see /proc/sys/fs/file-max); this process's limit: "
                        + limits + " (logged once)"
                : "this process ran out of file descriptors (EMFILE; each open chunk holds one); limit: " + limits
                        + " (raise the hard limit, e.g. LimitNOFILE= for a service; logged once)";
        try {
            LOG.warning(message);
        } catch (RuntimeException | Error e) {
            // The first log record may need a file (SimpleFormatter reads tzdb.dat) and there is no descriptor
            // left: say it without the logger rather than let the error escape a FUSE callback.
            System.err.println("chunkfs: " + message);
        }
    }

    /** {soft, hard}, or null if they cannot be read. */
    private static long[] current() {
        long[] limit = new long[2];
        return Holder.LIBC.getrlimit(RLIMIT_NOFILE, limit) == 0 ? limit : null;
    }

    private static String render(long value) {
        return value == RLIM_INFINITY ? "unlimited" : Long.toUnsignedString(value);
    }
}

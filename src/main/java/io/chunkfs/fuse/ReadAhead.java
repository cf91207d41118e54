package io.chunkfs.fuse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.logging.Logger;

/**
 * Widens the kernel's read-ahead window for this mount from 128 KiB to {@value #KIB} KiB. A first read of a
 * chunk is hashed whole at open and then served from the page cache the hash filled, one 128 KiB read
 * request at a time (libfuse 2 cannot ask for larger ones): with a 128 KiB window the kernel keeps one request
 * in flight, so the reader and the mount's callback threads take turns; a wider window keeps a few in flight
 * and lets them work side by side. The kernel offers 128 KiB at mount time and libfuse 2's INIT reply can
 * only lower it ({@code -o max_readahead}), so the window is set afterwards, on the mount's
 * backing-device-info ({@code /sys/class/bdi/MAJOR:MINOR/read_ahead_kb}), which only root may write: for
 * any other user the mount keeps the kernel's 128 KiB and says so in the log at FINE. The setting lives and
 * dies with the mount.
 */
final class ReadAhead {
    private static final Logger LOG = Logger.getLogger(ReadAhead.class.getName());
    /** Four 128 KiB requests in flight; wider windows measured no faster on two cores. */
    static final int KIB = 512;

    private ReadAhead() {}

    /**
     * Widens the window of the mount at {@code mountPoint}, which must be live. Best effort: nothing here
     * fails the mount.
     */
    static void widen(Path mountPoint) {
        Path setting = null;
        try {
            // A stat of the mount's root waits for the kernel to finish INIT, which would otherwise set the
            // window back to what libfuse answered; it also names the mount's device.
            setting = settingOf((Long) Files.getAttribute(mountPoint, "unix:dev"));
            Files.writeString(setting, Integer.toString(KIB));
        } catch (IOException | RuntimeException e) {
            String where = setting == null ? mountPoint.toString() : setting.toString();
            LOG.fine(() -> "read-ahead window left at the kernel's default (" + where + ": " + e.getMessage() + ")");
        }
    }

    /** Where the kernel keeps the read-ahead window of the device {@code dev} (a {@code st_dev}). */
    static Path settingOf(long dev) {
        return Path.of("/sys/class/bdi", major(dev) + ":" + minor(dev), "read_ahead_kb");
    }

    /** glibc's {@code major()}: bits 8-19 and 32-43 of a {@code dev_t}. */
    static long major(long dev) {
        return ((dev >>> 8) & 0xfffL) | ((dev >>> 32) & ~0xfffL);
    }

    /** glibc's {@code minor()}: bits 0-7 and 20-31 of a {@code dev_t}. */
    static long minor(long dev) {
        return (dev & 0xffL) | ((dev >>> 12) & ~0xffL & 0xffffffffL);
    }
}

package io.chunkfs.store;

import java.util.Locale;

/** How hard an insert works to make a chunk durable, as Proxmox Backup Server's {@code sync-level}. */
public enum SyncLevel {
    /** No syncing at all: for tests and scratch stores. A crash may lose recent chunks. */
    NONE,
    /**
     * No per-chunk fsync; the whole file system is synced ({@code syncfs}) on demand, on close of the
     * store and periodically. A crash may lose chunks since the last sync, and may leave a file at a
     * digest path whose bytes never reached the disk: the next start checks every chunk changed since
     * the dead process's last sync (see {@code Recovery}).
     */
    FILESYSTEM,
    /** The default: every chunk is fsynced before its rename, and its folder after it. */
    FILE;

    /** Parses {@code none}, {@code filesystem} or {@code file}, ignoring case. */
    public static SyncLevel parse(String text) {
        try {
            return valueOf(text.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown sync level '" + text + "' (expected file, filesystem or none)");
        }
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}

package io.chunkfs.store.local;

import io.chunkfs.store.StoreException;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * The file system's idea of now, which is what atimes are compared against, checked on the way: a probe file
 * {@code .chunks/.atime-probe} gets an old atime, is touched, and must then show a fresh one close to the clock.
 */
final class AtimeProbe {
    private static final String NAME = ".atime-probe";

    private final StoreLayout layout;
    private final StoreFolders folders;
    private final Clock clock;

    AtimeProbe(StoreLayout layout, StoreFolders folders, Clock clock) {
        this.layout = layout;
        this.folders = folders;
        this.clock = clock;
    }

    /**
     * @throws StoreException if touching a file does not move its atime here (gc would see every chunk unused)
     */
    Instant now() throws IOException {
        Syscalls sys = folders.sys;
        try {
            sys.create(folders.chunks, NAME, folders.fileMode).close();
        } catch (FileAlreadyExistsException e) {
            // left by an earlier collection
        }
        long old = 1_000_000_000L; // 2001-09-09; the mtime keeps it, which tells observers the probe is set
        sys.setTimes(folders.chunks, NAME, old, 0, old, 0);
        sys.setTimes(folders.chunks, NAME, 0, Posix.UTIME_NOW, 0, Posix.UTIME_OMIT);
        FileStat probe = sys.stat(folders.chunks, NAME);
        if (probe == null || !probe.isRegularFile()) {
            throw new StoreException("the atime probe " + layout.atimeProbe() + " vanished or is not a file");
        }
        Instant atime = probe.atime().toInstant();
        Instant now = clock.instant();
        if (atime.getEpochSecond() == old || Duration.between(atime, now).abs().compareTo(Duration.ofMinutes(5)) > 0) {
            throw new StoreException("touching a file does not set its atime on the file system of "
                    + layout.chunksDir() + " (atime is " + atime + ", clock says " + now
                    + "): refusing to collect garbage, since every chunk would look unused");
        }
        return atime;
    }
}

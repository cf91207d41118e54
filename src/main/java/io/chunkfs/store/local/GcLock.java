package io.chunkfs.store.local;

import io.chunkfs.store.PosixException;
import io.chunkfs.store.StoreException;
import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The store's exclusive gc lock: a POSIX lock on {@code STORE/.lock}, plus a set of the lock files this JVM
 * holds, since POSIX locks belong to the process (closing a second descriptor of the file would drop a lock a
 * collection of this JVM holds, so it is never opened twice). Lock order: {@link #RUNNING} first, then the file
 * lock; nothing else is taken while adding to the set. A conversion of an earlier release's store holds the same
 * lock ({@link #lockToConvert}).
 */
final class GcLock {
    private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(GcLock.class.getName());

    /** Lock files held by collections of this JVM. */
    private static final Set<Path> RUNNING = ConcurrentHashMap.newKeySet();

    private final StoreLayout layout;
    private final StoreFolders folders;

    GcLock(StoreLayout layout, StoreFolders folders) {
        this.layout = layout;
        this.folders = folders;
    }

    /**
     * Takes the lock until the returned lease is closed.
     *
     * @throws StoreException if another collection holds it, or the lock file is missing
     */
    Closeable lock() throws IOException {
        Path lockFile = layout.lockFile();
        // Checked before the lock file is opened: see the class comment.
        if (!RUNNING.add(lockFile)) {
            throw alreadyRunning();
        }
        FileChannel channel = null;
        try {
            try {
                channel = folders.sys.openReadWrite(folders.root, ".lock");
            } catch (NoSuchFileException | PosixException e) {
                throw new StoreException("store " + layout.root() + " is damaged: missing lock file " + lockFile);
            }
            FileLock lock = channel.tryLock();
            if (lock == null) {
                throw alreadyRunning();
            }
            FileChannel held = channel;
            return () -> {
                try {
                    held.close();
                } finally {
                    RUNNING.remove(lockFile);
                }
            };
        } catch (IOException | RuntimeException e) {
            try {
                if (channel != null) {
                    channel.close();
                }
            } finally {
                RUNNING.remove(lockFile);
            }
            throw e;
        }
    }

    /**
     * Takes the lock for a conversion of the store to format 3 ({@link TreeConversion}) until the returned lease is
     * closed, waiting as long as another conversion (in this JVM or another process) or a collection holds it: an
     * earlier release's collection changes {@code receipts/} while it holds it, and two conversions must not run
     * at once. A collection of this release never holds it while a conversion is due (it opens the store, and so
     * converts it, first).
     */
    Closeable lockToConvert() throws IOException {
        Path lockFile = layout.lockFile();
        boolean said = false;
        while (!RUNNING.add(lockFile)) {
            if (!said) {
                LOG.info(() -> "waiting for another conversion or garbage collection of " + layout.root() + " in this"
                        + " process");
                said = true;
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted while waiting for the lock of " + lockFile);
            }
        }
        FileChannel channel = null;
        try {
            try {
                channel = folders.sys.openReadWrite(folders.root, ".lock");
            } catch (NoSuchFileException | PosixException e) {
                throw new StoreException("store " + layout.root() + " is damaged: missing lock file " + lockFile);
            }
            if (channel.tryLock() == null) {
                LOG.info(() -> "waiting for another process's conversion or garbage collection of " + layout.root()
                        + " to end (it holds " + lockFile + ")");
                channel.lock();
            }
            FileChannel held = channel;
            return () -> {
                try {
                    held.close();
                } finally {
                    RUNNING.remove(lockFile);
                }
            };
        } catch (IOException | RuntimeException e) {
            try {
                if (channel != null) {
                    channel.close();
                }
            } finally {
                RUNNING.remove(lockFile);
            }
            throw e;
        }
    }

    /**
     * At the start of a store: if a sweep died (its marker is there) and no collection runs now, puts back every
     * chunk it had set aside, durably, then drops the marker.
     *
     * @return how many chunks were put back
     */
    int restoreAfterCrash(SetAside setAside) throws IOException {
        if (!setAside.sweepDied()) {
            return 0;
        }
        Path lockFile = layout.lockFile();
        if (!RUNNING.add(lockFile)) {
            return 0; // a collection of this JVM runs: it puts them back itself
        }
        try (FileChannel channel = folders.sys.openReadWrite(folders.root, ".lock");
                FileLock lock = channel.tryLock()) {
            if (lock == null) {
                return 0;
            }
            int restored = 0;
            for (int prefix = 0; prefix < StoreLayout.PREFIXES; prefix++) {
                restored += setAside.restoreAll(folders.prefix(prefix));
            }
            setAside.sweepDone();
            return restored;
        } finally {
            RUNNING.remove(lockFile);
        }
    }

    private StoreException alreadyRunning() {
        return new StoreException("another garbage collection is running on " + layout.root());
    }
}

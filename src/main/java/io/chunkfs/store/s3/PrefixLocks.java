package io.chunkfs.store.s3;

import io.chunkfs.store.ChunkBackend;
import java.io.Closeable;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * One lock per prefix, across threads and processes, between what makes an object matter and what deletes
 * it: an insert (the PUT and the local commit that follows) and a touch that learns of an object hold it shared;
 * a sweep holds its prefix exclusively from its LIST until its deletes returned. So a sweep never deletes an
 * object that an insert just found there (412) and is about to point a local entry at, in this process or
 * another.
 *
 * <p>Across processes: byte {@code prefix} of the file {@code .s3/locks}, with {@code fcntl} locks through
 * {@link FileChannel#lock}. Those belong to the process, so within one process a read-write lock per prefix
 * comes first and the first shared holder takes the file lock for all of them, the last one releases it.
 * For the same reason one instance serves every store opened on the same folder in this JVM
 * ({@link #open}): a JVM may not hold two overlapping locks on one file.
 */
final class PrefixLocks implements Closeable {
    /** The instance of each lock file in this JVM, and how many opens share it. @GuardedBy("OPEN") */
    private static final java.util.Map<Path, PrefixLocks> OPEN = new java.util.HashMap<>();

    private final Path path;
    private final FileChannel file;
    private final Prefix[] prefixes = new Prefix[ChunkBackend.PREFIXES];
    /** @GuardedBy("OPEN") */
    private int users;

    private static final class Prefix {
        final ReentrantReadWriteLock inProcess = new ReentrantReadWriteLock();
        /** Holders of the shared lock in this process. @GuardedBy("this") */
        int sharedHolders;
        /** The file lock held for them or for the exclusive holder. @GuardedBy("this") */
        FileLock held;
    }

    /** The locks of {@code lockFile}, shared with every other open of it in this JVM; close each open once. */
    static PrefixLocks open(Path lockFile) throws IOException {
        Path key = lockFile.toAbsolutePath().normalize();
        synchronized (OPEN) {
            PrefixLocks locks = OPEN.get(key);
            if (locks == null) {
                locks = new PrefixLocks(key);
                OPEN.put(key, locks);
            }
            locks.users++;
            return locks;
        }
    }

    private PrefixLocks(Path lockFile) throws IOException {
        this.path = lockFile;
        FileChannel opened;
        try {
            opened = FileChannel.open(
                    lockFile, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (java.nio.file.AccessDeniedException e) {
            // Another user's store, opened to read: shared locks need only read access.
            opened = FileChannel.open(lockFile, StandardOpenOption.READ);
        }
        this.file = opened;
        for (int i = 0; i < prefixes.length; i++) {
            prefixes[i] = new Prefix();
        }
    }

    /** Holds {@code prefix} shared until the returned handle is closed. */
    Closeable shared(int prefix) throws IOException {
        Prefix p = prefixes[prefix];
        p.inProcess.readLock().lock();
        try {
            synchronized (p) {
                if (p.sharedHolders == 0) {
                    p.held = file.lock(prefix, 1, true);
                }
                p.sharedHolders++;
            }
        } catch (IOException | RuntimeException e) {
            p.inProcess.readLock().unlock();
            throw e;
        }
        return () -> {
            try {
                synchronized (p) {
                    if (--p.sharedHolders == 0) {
                        p.held.release();
                        p.held = null;
                    }
                }
            } finally {
                p.inProcess.readLock().unlock();
            }
        };
    }

    /** Holds {@code prefix} exclusively until the returned handle is closed. */
    Closeable exclusive(int prefix) throws IOException {
        Prefix p = prefixes[prefix];
        try {
            p.inProcess.writeLock().lockInterruptibly();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for prefix " + prefix);
        }
        try {
            synchronized (p) {
                p.held = file.lock(prefix, 1, false);
            }
        } catch (IOException | RuntimeException e) {
            p.inProcess.writeLock().unlock();
            throw e;
        }
        return () -> {
            try {
                synchronized (p) {
                    p.held.release();
                    p.held = null;
                }
            } finally {
                p.inProcess.writeLock().unlock();
            }
        };
    }

    @Override
    public void close() throws IOException {
        synchronized (OPEN) {
            if (--users > 0) {
                return;
            }
            OPEN.remove(path);
        }
        file.close();
    }
}

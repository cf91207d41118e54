package io.chunkfs.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * Re-hashes chunks on several threads. A chunk whose bytes do not match its name is renamed aside
 * to the first free {@code DIGEST.N.bad}; nothing is deleted, and the next insert of the same bytes
 * restores a good copy.
 */
public final class Verifier {
    /** For {@link #setAside}: whatever file the name shows. */
    static final long ANY_FILE = -1;
    /** What an open of a name that is not a regular file answers: EINVAL (FIFO, device), ELOOP (symlink), ENXIO. */
    private static final java.util.Set<Integer> NOT_A_CHUNK = java.util.Set.of(
            jnr.constants.platform.Errno.EINVAL.intValue(),
            jnr.constants.platform.Errno.ELOOP.intValue(),
            jnr.constants.platform.Errno.ENXIO.intValue());

    private static final int BUFFER = 1 << 20;

    private final StoreFolders folders;
    private final Syscalls sys;
    private final int threads;
    private final Progress progress;

    public Verifier(ChunkStore store, int threads, Progress progress) {
        this.folders = store.folders();
        this.sys = folders.sys;
        this.threads = Math.max(1, threads);
        this.progress = progress;
    }

    /** Verifies every chunk of the store. */
    public VerifyResult verifyAll() throws IOException {
        progress.phase("verify", StoreLayout.PREFIXES);
        List<Task> tasks = new ArrayList<>();
        for (int prefix = 0; prefix < StoreLayout.PREFIXES; prefix++) {
            Folder folder = folders.prefix(prefix);
            tasks.add(tally -> {
                // Straight from the folder entries: no digest is parsed per chunk.
                try (Stream<String> names = sys.list(folder)) {
                    names.filter(Digest::isValid).forEach(name -> tally.check(folder, name, null, false));
                }
                progress.advance(1);
            });
        }
        return run(tasks);
    }

    /** Verifies the given chunks; those the store does not hold are reported missing. */
    public VerifyResult verify(Iterator<Digest> digests) throws IOException {
        progress.phase("verify", -1);
        List<Digest> batch = new ArrayList<>();
        List<Task> tasks = new ArrayList<>();
        while (digests.hasNext()) {
            batch.add(digests.next());
            if (batch.size() == 1024 || !digests.hasNext()) {
                List<Digest> mine = List.copyOf(batch);
                batch.clear();
                tasks.add(tally -> {
                    for (Digest digest : mine) {
                        tally.check(folders.prefix(digest), digest.toString(), digest, true);
                    }
                    progress.advance(mine.size());
                });
            }
        }
        return run(tasks);
    }

    private interface Task {
        void run(Tally tally) throws IOException;
    }

    private VerifyResult run(List<Task> tasks) throws IOException {
        Tally tally = new Tally();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (Task task : tasks) {
                futures.add(pool.submit(() -> {
                    task.run(tally);
                    return null;
                }));
            }
            for (Future<?> future : futures) {
                future.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("verify interrupted");
        } catch (ExecutionException e) {
            Throwable cause =
                    e.getCause() instanceof UncheckedIOException ? e.getCause().getCause() : e.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            throw new IllegalStateException(cause);
        } finally {
            pool.shutdownNow();
            // The workers use the store's folder descriptors: none may outlive this call.
            try {
                pool.awaitTermination(1, java.util.concurrent.TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        List<Digest> bad = new ArrayList<>(tally.bad);
        List<Digest> missing = new ArrayList<>(tally.missing);
        Collections.sort(bad);
        Collections.sort(missing);
        return new VerifyResult(tally.checked.get(), tally.bytes.get(), bad, missing);
    }

    private final class Tally {
        final AtomicLong checked = new AtomicLong();
        final AtomicLong bytes = new AtomicLong();
        final List<Digest> bad = Collections.synchronizedList(new ArrayList<>());
        final List<Digest> missing = Collections.synchronizedList(new ArrayList<>());
        private final ThreadLocal<ByteBuffer> buffers =
                ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(BUFFER));
        private final ThreadLocal<MessageDigest> hashers = ThreadLocal.withInitial(Digest::newSha256);

        void check(Folder folder, String name, Digest digest, boolean reportMissing) {
            MessageDigest sha256 = hashers.get();
            sha256.reset();
            ByteBuffer buffer = buffers.get();
            long read = 0;
            Syscalls.OpenFile opened;
            try {
                opened = sys.openRead(folder, name);
            } catch (NoSuchFileException e) {
                if (reportMissing) {
                    missing.add(digest);
                }
                return;
            } catch (PosixException e) {
                if (!NOT_A_CHUNK.contains(e.errno())) {
                    // Out of descriptors, an I/O error: nothing is known about the chunk, so it stays.
                    throw new UncheckedIOException(e);
                }
                // Not a regular file (a FIFO, a socket, a device, a symlink planted at a chunk's name): as bad
                // as wrong bytes.
                bad.add(digest != null ? digest : Digest.parse(name));
                setAside(sys, folder, name, ANY_FILE);
                return;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            try (FileChannel channel = opened.channel()) {
                buffer.clear();
                for (int n; (n = channel.read(buffer)) >= 0; buffer.clear()) {
                    buffer.flip();
                    sha256.update(buffer);
                    read += n;
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            checked.incrementAndGet();
            bytes.addAndGet(read);
            Digest actual = Digest.of(sha256.digest());
            if (!actual.toString().equals(name)) {
                bad.add(digest != null ? digest : Digest.parse(name));
                setAside(sys, folder, name, opened.stat().inode());
            }
        }
    }

    /**
     * Sets the file {@code inode} at {@code name} aside under its first free {@code .N.bad} name, never
     * replacing one. If an insert has meanwhile put other (good) bytes under the name, those stay: the
     * name is moved aside once more and put back unless it still shows the damaged file.
     *
     * @param inode the damaged file, or {@link #ANY_FILE} for whatever the name shows
     * @return the name it got, or null if the damaged file was gone already (set aside by someone else)
     */
    static String setAside(Syscalls sys, Folder folder, String name, long inode) {
        try {
            for (int n = 0; ; n++) {
                String bad = name + "." + n + ".bad";
                try {
                    sys.link(folder, name, folder, bad);
                } catch (FileAlreadyExistsException e) {
                    continue;
                } catch (NoSuchFileException e) {
                    return null;
                }
                FileStat linked = sys.stat(folder, bad);
                if (inode != ANY_FILE && (linked == null || linked.inode() != inode)) {
                    sys.unlink(folder, bad);
                    return null;
                }
                String aside = name + GarbageCollector.ASIDE_SUFFIX;
                try {
                    sys.rename(folder, name, folder, aside);
                } catch (NoSuchFileException e) {
                    return bad;
                }
                FileStat moved = sys.stat(folder, aside);
                if (moved != null
                        && (inode == ANY_FILE
                                || moved.inode() == inode
                                || (linked != null && moved.inode() == linked.inode()))) {
                    sys.unlink(folder, aside);
                } else {
                    sys.rename(folder, aside, folder, name);
                }
                return bad;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

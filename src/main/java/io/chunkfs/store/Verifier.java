package io.chunkfs.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
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

/**
 * Re-hashes chunks on several threads. A chunk whose bytes do not match its name is renamed aside
 * to the first free {@code DIGEST.N.bad}; nothing is deleted, and the next insert of the same bytes
 * restores a good copy.
 */
public final class Verifier {
    private static final int BUFFER = 1 << 20;

    private final ChunkStore store;
    private final int threads;
    private final Progress progress;

    public Verifier(ChunkStore store, int threads, Progress progress) {
        this.store = store;
        this.threads = Math.max(1, threads);
        this.progress = progress;
    }

    /** Verifies every chunk of the store. */
    public VerifyResult verifyAll() throws IOException {
        progress.phase("verify", StoreLayout.PREFIXES);
        List<Task> tasks = new ArrayList<>();
        for (int prefix = 0; prefix < StoreLayout.PREFIXES; prefix++) {
            Path folder = store.layout().prefixDir(prefix);
            tasks.add(tally -> {
                // Straight from the folder entries: no digest is parsed or path rebuilt per chunk.
                try (DirectoryStream<Path> entries = Files.newDirectoryStream(folder)) {
                    for (Path entry : entries) {
                        String name = entry.getFileName().toString();
                        if (Digest.isValid(name)) {
                            tally.check(entry, name, null, false);
                        }
                    }
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
                        tally.check(store.layout().chunkPath(digest), digest.toString(), digest, true);
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
            Throwable cause = e.getCause() instanceof UncheckedIOException ? e.getCause().getCause() : e.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            throw new IllegalStateException(cause);
        } finally {
            pool.shutdownNow();
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
        private final ThreadLocal<ByteBuffer> buffers = ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(BUFFER));
        private final ThreadLocal<MessageDigest> hashers = ThreadLocal.withInitial(Digest::newSha256);

        void check(Path chunk, String name, Digest digest, boolean reportMissing) {
            MessageDigest sha256 = hashers.get();
            sha256.reset();
            ByteBuffer buffer = buffers.get();
            long read = 0;
            try (FileChannel channel = FileChannel.open(chunk, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
                buffer.clear();
                for (int n; (n = channel.read(buffer)) >= 0; buffer.clear()) {
                    buffer.flip();
                    sha256.update(buffer);
                    read += n;
                }
            } catch (NoSuchFileException e) {
                if (reportMissing) {
                    missing.add(digest);
                }
                return;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            checked.incrementAndGet();
            bytes.addAndGet(read);
            Digest actual = Digest.of(sha256.digest());
            if (!actual.toString().equals(name)) {
                bad.add(digest != null ? digest : Digest.parse(name));
                setAside(chunk);
            }
        }
    }

    /** Renames {@code chunk} to its first free {@code .N.bad} name, never replacing one. */
    static Path setAside(Path chunk) {
        try {
            for (int n = 0; ; n++) {
                Path bad = chunk.resolveSibling(chunk.getFileName() + "." + n + ".bad");
                try {
                    Files.createLink(bad, chunk);
                    Files.delete(chunk);
                    return bad;
                } catch (FileAlreadyExistsException e) {
                    // try the next number
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

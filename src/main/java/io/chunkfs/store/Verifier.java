package io.chunkfs.store;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * Re-hashes chunks on several threads (a pool named {@code chunkfs-verify}). A chunk whose bytes do not match
 * its name is quarantined by the backend ({@link ChunkBackend#quarantine}); nothing is deleted, and the next
 * insert of the same bytes restores a good copy. A {@link DamagedEntry damaged entry} (a folder, a FIFO, a socket,
 * a symlink at a digest path) is reported and quarantined the same way, and the verify goes on: it fails only
 * for what says nothing about a chunk (out of descriptors, an I/O error). A verify of every chunk also checks the
 * tree: it reports each name whose chunk the store does not hold ({@link VerifyResult#namesWithoutChunk}), and
 * changes nothing in the tree.
 */
public final class Verifier {
    private static final int BUFFER = 1 << 20;

    /** Digests the tree names, read at once: a page of {@link Namespace#namedDigests}. */
    private static final int TREE_PAGE = 1000;

    private final ChunkBackend backend;
    private final Namespace tree;
    private final int threads;
    private final Progress progress;
    /** Read remote copies ({@link #verifyAll(boolean)}). */
    private volatile boolean remote;

    public Verifier(ChunkStore store, int threads, Progress progress) {
        store.ensureOpen();
        this.backend = store.backend();
        this.tree = store.tree();
        this.threads = Math.max(1, threads);
        this.progress = progress;
    }

    /**
     * Verifies every chunk the store holds here (a cache: the chunks it has, not those it only knows of); with
     * {@code remote}, every chunk from where it is kept, bypassing any cache (a damaged remote copy is set
     * aside there: {@link ChunkBackend#quarantineRemote}). Then checks that the store holds every chunk the
     * tree names, and reports the names of those it does not ({@link VerifyResult#namesWithoutChunk}).
     */
    public VerifyResult verifyAll(boolean remote) throws IOException {
        if (remote && !backend.capabilities().contains(ChunkBackend.Capability.REMOTE_VERIFY)) {
            throw new StoreException("the store " + backend.location() + " keeps no remote copies to verify");
        }
        this.remote = remote;
        progress.phase("verify", ChunkBackend.PREFIXES);
        List<Task> tasks = new ArrayList<>();
        for (int prefix = 0; prefix < ChunkBackend.PREFIXES; prefix++) {
            int mine = prefix;
            tasks.add(tally -> {
                try (Stream<Digest> chunks = remote ? backend.list(mine) : backend.listResident(mine)) {
                    chunks.forEach(digest -> tally.check(digest, false));
                }
                progress.advance(1);
            });
        }
        VerifyResult chunks = run(tasks);
        return checkNames(chunks);
    }

    /** Verifies every chunk the store holds here; see {@link #verifyAll(boolean)}. */
    public VerifyResult verifyAll() throws IOException {
        return verifyAll(false);
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
                        tally.check(digest, true);
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
        ExecutorService pool = Executors.newFixedThreadPool(threads, new NamedThreads("verify"));
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
            throw new InterruptedIOException("verify interrupted");
        } catch (ExecutionException e) {
            Throwable cause =
                    e.getCause() instanceof UncheckedIOException ? e.getCause().getCause() : e.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            throw new IllegalStateException(cause);
        } finally {
            pool.shutdownNow();
            // The workers use the backend's open folders: none may outlive this call.
            try {
                pool.awaitTermination(1, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        List<Digest> bad = new ArrayList<>(tally.bad);
        List<Digest> missing = new ArrayList<>(tally.missing);
        List<DamagedEntry> entries = new ArrayList<>(tally.entries);
        Collections.sort(bad);
        Collections.sort(missing);
        entries.sort(Comparator.comparing(DamagedEntry::digest));
        return new VerifyResult(tally.checked.get(), tally.bytes.get(), bad, missing, entries, false, 0, List.of());
    }

    /**
     * {@code chunks} with the tree checked: every digest the tree names is looked for (a page at a time), after the
     * chunks were verified, so that a chunk just set aside as damaged counts as missing. Only if some are missing is
     * the tree walked, to find the paths of the names that refer to them; a chunk that came back meanwhile (an
     * insert of its bytes) is not reported.
     */
    private VerifyResult checkNames(VerifyResult chunks) throws IOException {
        progress.phase("check names", -1);
        long named = 0;
        Set<Digest> absent = new HashSet<>();
        Digest after = null;
        for (List<Digest> page; !(page = tree.namedDigests(after, TREE_PAGE)).isEmpty(); ) {
            for (Digest digest : page) {
                named++;
                if (!holds(digest)) {
                    absent.add(digest);
                }
            }
            progress.advance(page.size());
            after = page.get(page.size() - 1);
        }
        List<VerifyResult.NameWithoutChunk> names = new ArrayList<>();
        if (!absent.isEmpty()) {
            TreeWalk.walk(tree, (path, entry) -> {
                if (entry.type() == EntryType.REGULAR && absent.contains(entry.digest()) && !holds(entry.digest())) {
                    names.add(new VerifyResult.NameWithoutChunk(path, entry.digest()));
                }
            });
        }
        return new VerifyResult(
                chunks.checked(),
                chunks.bytes(),
                chunks.bad(),
                chunks.missing(),
                chunks.damagedEntries(),
                true,
                named,
                List.copyOf(names));
    }

    /** Whether a chunk (not a damaged entry) is at {@code digest}'s name, as the mount decides what to show. */
    private boolean holds(Digest digest) throws IOException {
        ChunkBackend.Entry entry = backend.stat(digest);
        return entry != null && entry.chunk();
    }

    private final class Tally {
        final AtomicLong checked = new AtomicLong();
        final AtomicLong bytes = new AtomicLong();
        final List<Digest> bad = Collections.synchronizedList(new ArrayList<>());
        final List<Digest> missing = Collections.synchronizedList(new ArrayList<>());
        final List<DamagedEntry> entries = Collections.synchronizedList(new ArrayList<>());
        private final ThreadLocal<ByteBuffer> buffers =
                ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(BUFFER));
        private final ThreadLocal<MessageDigest> hashers = ThreadLocal.withInitial(Digest::newSha256);

        void check(Digest digest, boolean reportMissing) {
            check(digest, reportMissing, true);
        }

        /** @param again whether to look once more if the name shows a chunk again after its open failed */
        private void check(Digest digest, boolean reportMissing, boolean again) {
            MessageDigest sha256 = hashers.get();
            sha256.reset();
            ByteBuffer buffer = buffers.get();
            long read = 0;
            ChunkBackend.Opened opened;
            try {
                opened = remote ? backend.openRemote(digest) : backend.openRead(digest);
            } catch (NoSuchFileException e) {
                if (reportMissing) {
                    missing.add(digest);
                }
                return;
            } catch (PosixException e) {
                if (!remote && damagedEntry(digest, e, reportMissing, again)) {
                    return;
                }
                // Out of descriptors, an I/O error: nothing is known about the chunk, so it stays.
                throw new UncheckedIOException(e);
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
            if (!Digest.of(sha256.digest()).equals(digest)) {
                bad.add(digest);
                quarantine(digest, opened.identity());
            }
        }

        /**
         * After the open of {@code digest} failed with {@code error}: if a damaged entry sits at its path (a folder,
         * a FIFO, a socket, a symlink, a device), reports it and sets it aside. Returns whether the chunk is dealt
         * with; false if the failure says nothing about it.
         */
        private boolean damagedEntry(Digest digest, PosixException error, boolean reportMissing, boolean again) {
            ChunkBackend.Entry entry;
            try {
                entry = backend.stat(digest);
            } catch (IOException e) {
                e.addSuppressed(error);
                throw new UncheckedIOException(e);
            }
            if (entry == null) {
                // Gone meanwhile (set aside or removed by someone else).
                if (reportMissing) {
                    missing.add(digest);
                }
                return true;
            }
            if (entry.chunk()) {
                if (!again) {
                    return false;
                }
                // A chunk an insert put there meanwhile, or one this process cannot open: look once more.
                check(digest, reportMissing, false);
                return true;
            }
            entries.add(DamagedEntry.setAside(backend, digest, entry));
            return true;
        }

        private void quarantine(Digest digest, ChunkIdentity identity) {
            try {
                if (remote) {
                    backend.quarantineRemote(digest);
                    return;
                }
                backend.quarantine(digest, identity);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}

package io.chunkfs.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

/**
 * Opens chunks for reading so that no byte of a damaged chunk is ever handed out. A SHA-256 proves
 * nothing until its last byte, so a chunk is hashed whole before its reader exists, unless this very
 * file (see {@link ChunkIdentity}) was verified before. A chunk that fails is counted, logged by
 * digest and set aside as {@code verify} does ({@code DIGEST.N.bad}), so that the next insert of its
 * bytes restores it; so is a {@link DamagedEntry damaged entry} at its path. Thread-safe.
 */
final class VerifiedReads {
    private static final Logger LOG = Logger.getLogger(VerifiedReads.class.getName());
    /** About 100 bytes each: 64 K files remembered cost a few MiB. */
    static final int REMEMBERED = 1 << 16;

    private final ChunkStore store;
    private final VerifiedChunks verified;
    private final AtomicLong damaged = new AtomicLong();
    /** Files being hashed right now: a second open of one waits for that verdict instead of hashing again. */
    private final ConcurrentHashMap<ChunkIdentity, CompletableFuture<Boolean>> hashing = new ConcurrentHashMap<>();

    VerifiedReads(ChunkStore store, int remembered) {
        this.store = store;
        this.verified = new VerifiedChunks(remembered);
    }

    /** How many damaged chunks (wrong bytes or a damaged entry) reads found since the store was opened. */
    long damagedFound() {
        return damaged.get();
    }

    /**
     * Opens {@code digest}; with {@code verify}, hashes it whole first unless it is known good.
     *
     * @throws CorruptChunkException if its bytes do not hash to its name, or a damaged entry (a folder, a FIFO,
     *                               ...) sits at its digest path (set aside then, in a writable store)
     */
    ChunkReader open(Digest digest, boolean verify) throws IOException {
        // The identity of the file opened (fstat of its descriptor), and whether the name still shows it.
        ChunkBackend.Opened opened;
        try {
            opened = store.openChunkFile(digest);
        } catch (PosixException e) {
            ChunkBackend.Entry entry = DamagedEntry.at(store.backend(), digest);
            if (entry == null) {
                throw e;
            }
            throw damaged(digest, entry);
        }
        FileChannel channel = opened.channel();
        try {
            ChunkIdentity after = opened.identity();
            boolean stable = after.equals(identityOfName(digest)) && channel.size() == after.size();
            if (stable && opened.verified()) {
                // Fetched and hashed on the way in by the backend: as good as hashed here.
                verified.add(after);
                return new ChunkReader(digest, channel, channel.size(), false);
            }
            boolean known = stable && verified.contains(after);
            if (known || !verify) {
                if (stable) {
                    verified.add(after);
                }
                return new ChunkReader(digest, channel, channel.size(), known);
            }
            CompletableFuture<Boolean> mine = new CompletableFuture<>();
            CompletableFuture<Boolean> other = stable ? hashing.putIfAbsent(after, mine) : null;
            if (other != null) {
                // Another open is hashing this very file (same inode, ctime, size): its verdict holds here.
                Boolean good = verdict(other);
                if (Boolean.TRUE.equals(good)) {
                    return new ChunkReader(digest, channel, channel.size(), false);
                }
                if (Boolean.FALSE.equals(good)) {
                    throw new CorruptChunkException(
                            digest,
                            "chunk " + digest + " is damaged (found by a read "
                                    + "at the same time); run 'chunkfs verify' to check the whole store");
                }
                mine = null;
            }
            try {
                WholeChunkHasher.Result result = WholeChunkHasher.hash(channel, channel.size(), store.readAhead());
                boolean good = result.digest().equals(digest);
                if (mine != null) {
                    mine.complete(good);
                }
                if (!good) {
                    throw failed(digest, result.digest(), stable ? after : null);
                }
                // Remember it only if nothing changed the file while it was hashed.
                if (stable && result.bytes() == after.size() && after.equals(identityOfName(digest))) {
                    verified.add(after);
                }
                return new ChunkReader(digest, channel, result.bytes(), false);
            } finally {
                if (mine != null) {
                    // A hash that failed to read has no verdict: whoever waits on it hashes on its own.
                    mine.complete(null);
                    hashing.remove(after, mine);
                }
            }
        } catch (IOException | RuntimeException | Error e) {
            // Errors too (direct buffer memory runs out under a small heap): the descriptor must not leak.
            channel.close();
            throw e;
        }
    }

    /** The identity the chunk's name shows now, or null if nothing is there (gc may have set it aside). */
    private ChunkIdentity identityOfName(Digest digest) throws IOException {
        ChunkBackend.Entry entry = store.entry(digest);
        return entry == null || !entry.chunk() ? null : entry.identity();
    }

    /** The verdict of another open's hash: true, false, or null if it could not read the file. */
    private static Boolean verdict(CompletableFuture<Boolean> other) throws IOException {
        try {
            return other.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while another read verified the chunk");
        } catch (ExecutionException e) {
            return null;
        }
    }

    /** A damaged entry at the chunk's path: counted and logged as a damaged chunk, and set aside if writable. */
    private CorruptChunkException damaged(Digest digest, ChunkBackend.Entry entry) {
        damaged.incrementAndGet();
        DamagedEntry found = store.options().readOnly()
                ? DamagedEntry.leftInPlace(store.backend(), digest, entry, "read-only store")
                : DamagedEntry.setAside(store.backend(), digest, entry);
        String message = found.describe() + "; refused to serve chunk " + digest
                + "; run 'chunkfs verify' to check the whole store";
        LOG.warning(message);
        return new CorruptChunkException(digest, message);
    }

    private CorruptChunkException failed(Digest digest, Digest actual, ChunkIdentity hashed) {
        damaged.incrementAndGet();
        String where = "left in place";
        if (store.options().readOnly()) {
            where = "left in place (read-only store)";
        } else if (hashed != null) {
            try {
                // Only the file that was hashed: not a good copy an insert put there meanwhile.
                String aside = store.quarantine(digest, hashed);
                where = aside == null ? "set aside by someone else meanwhile" : "set aside as " + aside;
            } catch (IOException | UncheckedIOException e) {
                where = "could not be set aside (" + e.getMessage() + ")";
            }
        }
        String message = "chunk " + digest + " is damaged: its bytes hash to " + actual + "; refused to serve it, "
                + where + "; run 'chunkfs verify' to check the whole store";
        LOG.warning(message);
        return new CorruptChunkException(digest, message);
    }
}

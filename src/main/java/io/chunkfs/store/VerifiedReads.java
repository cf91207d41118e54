package io.chunkfs.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

/**
 * Opens chunks for reading so that no byte of a damaged chunk is ever handed out. A SHA-256 proves
 * nothing until its last byte, so a chunk is hashed whole before its reader exists, unless this very
 * file (see {@link ChunkIdentity}) was verified before. A chunk that fails is counted, logged by
 * digest and set aside as {@code verify} does ({@code DIGEST.N.bad}), so that the next insert of its
 * bytes restores it. Thread-safe.
 */
final class VerifiedReads {
    private static final Logger LOG = Logger.getLogger(VerifiedReads.class.getName());
    /** About 100 bytes each: 64 K files remembered cost a few MiB. */
    static final int REMEMBERED = 1 << 16;

    private final ChunkStore store;
    private final VerifiedChunks verified;
    private final AtomicLong damaged = new AtomicLong();

    VerifiedReads(ChunkStore store, int remembered) {
        this.store = store;
        this.verified = new VerifiedChunks(remembered);
    }

    /** How many damaged chunks reads found since the store was opened. */
    long damagedFound() {
        return damaged.get();
    }

    /**
     * Opens {@code digest}; with {@code verify}, hashes it whole first unless it is known good.
     *
     * @throws CorruptChunkException if its bytes do not hash to its name (it is set aside then)
     */
    ChunkReader open(Digest digest, boolean verify) throws IOException {
        Path path = store.layout().chunkPath(digest);
        // stat, open, stat: if both show the same file, the open file is that file.
        ChunkIdentity before = ChunkIdentity.of(path, digest);
        FileChannel channel = store.openChunk(digest);
        try {
            ChunkIdentity after = ChunkIdentity.of(path, digest);
            boolean stable = before.equals(after) && channel.size() == after.size();
            boolean known = stable && verified.contains(after);
            if (known || !verify) {
                if (stable) {
                    verified.add(after);
                }
                return new ChunkReader(digest, channel, channel.size(), known);
            }
            WholeChunkHasher.Result result = WholeChunkHasher.hash(channel, after.size());
            if (!result.digest().equals(digest)) {
                throw failed(digest, result.digest(), path, stable ? after : null);
            }
            // Remember it only if nothing changed the file while it was hashed.
            if (stable && result.bytes() == after.size() && after.equals(ChunkIdentity.of(path, digest))) {
                verified.add(after);
            }
            return new ChunkReader(digest, channel, result.bytes(), false);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    private CorruptChunkException failed(Digest digest, Digest actual, Path path, ChunkIdentity hashed) {
        damaged.incrementAndGet();
        String where = "left in place";
        if (store.options().readOnly()) {
            where = "left in place (read-only store)";
        } else if (hashed != null) {
            try {
                // Only the file that was hashed: not a good copy an insert put there meanwhile.
                if (hashed.equals(ChunkIdentity.of(path, digest))) {
                    where = "set aside as " + Verifier.setAside(path).getFileName();
                }
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

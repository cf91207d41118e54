package io.chunkfs.store;

import java.io.IOException;
import java.util.logging.Logger;

/**
 * What becomes of finished bytes whose digest is known: a duplicate of a chunk already there (which is touched,
 * so that a running gc keeps it, and made durable as the sync level says), or a new chunk published under its
 * digest. A copy of the wrong size, or one the backend still suspects after a crash, is replaced, never trusted.
 *
 * <p>Holds no lock: two inserts of the same bytes may both publish, and the backend's publish is atomic, so the
 * second replaces the first with identical bytes.
 */
final class Dedup {
    private static final Logger LOG = Logger.getLogger(ChunkStore.class.getName());

    /** What an insert finds at a digest's name. */
    private enum Existing {
        NONE,
        SUSPECT,
        TOUCHED
    }

    private final ChunkBackend backend;
    private final SyncLevel syncLevel;

    Dedup(ChunkBackend backend, SyncLevel syncLevel) {
        this.backend = backend;
        this.syncLevel = syncLevel;
    }

    /**
     * If a good copy of {@code digest} is present, touches it (and makes it durable) and reports a duplicate;
     * otherwise null.
     */
    InsertResult duplicateOrNull(Digest digest, long size) throws IOException {
        return touchExisting(digest, size) == Existing.TOUCHED ? new InsertResult(digest, size, true, false) : null;
    }

    /**
     * Publishes finished staged bytes under their digest, or drops them if the chunk is already there. Under
     * {@link SyncLevel#FILE} the caller has forced the bytes; the backend makes the name durable.
     */
    InsertResult publish(String staged, Digest digest, long size) throws IOException {
        // Most inserts are of new chunks: publish without looking first (see the note on the touch below); only
        // when something is at the name already does it matter what.
        if (backend.publishIfAbsent(staged, digest, syncLevel)) {
            return new InsertResult(digest, size, false, false);
        }
        Existing existing = touchExisting(digest, size);
        if (existing == Existing.TOUCHED) {
            backend.discard(staged);
            return new InsertResult(digest, size, true, false);
        }
        boolean repaired = existing == Existing.SUSPECT;
        if (repaired) {
            LOG.warning(() -> "chunk " + digest + " on disk has the wrong size or is not yet verified after a crash:"
                    + " replacing it with good bytes");
        }
        // No touch needed: staged bytes are as new as their write session, and a collection's cutoff is never
        // later than the start of a session that was active while it ran.
        backend.publish(staged, digest, syncLevel);
        return new InsertResult(digest, size, false, repaired);
    }

    /**
     * Looks for {@code digest}. A good-sized copy is touched, so that a running gc keeps it, and made durable as
     * the sync level says before it counts: the insert that put it there may still be on its way to its fsyncs,
     * in this process or another.
     */
    private Existing touchExisting(Digest digest, long size) throws IOException {
        ChunkBackend.Entry entry = backend.stat(digest);
        if (entry == null) {
            return Existing.NONE;
        }
        if (!entry.chunk() || entry.size() != size || entry.suspect()) {
            return Existing.SUSPECT;
        }
        // A sweep may have set it aside since the look: then it counts as absent and is written again.
        if (!backend.touch(digest, false)) {
            return Existing.NONE;
        }
        if (!backend.makeDurable(digest, syncLevel)) {
            return Existing.NONE;
        }
        return Existing.TOUCHED;
    }
}

package io.chunkfs.store;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * A damaged entry: something other than a chunk at a digest path (a folder, a FIFO, a socket, a symlink, a
 * device). No chunk can be read from it, so it is as damaged as wrong bytes: {@link Verifier} and a writable
 * verified read set it aside as {@code DIGEST.N.bad} ({@link ChunkBackend#quarantine}), a garbage collection leaves
 * it where it is; each reports it with one of these.
 *
 * @param digest       the digest whose path it sits at
 * @param kind         what it is, in a word ({@link ChunkBackend.Entry#kind()}): "folder", "FIFO", "socket", ...
 * @param location     where it was found ({@link ChunkBackend#locate})
 * @param setAsideAs   the name it was set aside as, or null if it was not
 * @param notSetAside  why it was not set aside (null if it was)
 */
public record DamagedEntry(Digest digest, String kind, String location, String setAsideAs, String notSetAside) {
    /** One line for reports and logs: {@code damaged entry: a folder at the digest path P, set aside as N}. */
    public String describe() {
        return "damaged entry: a " + kind + " at the digest path " + location + ", "
                + (setAsideAs != null ? "set aside as " + setAsideAs : "not set aside: " + notSetAside);
    }

    /**
     * What sits at {@code digest}'s path if it is a damaged entry, else null (nothing there, or a chunk): asked
     * after an open of the chunk failed, to tell a damaged entry from a failure that says nothing of the chunk.
     */
    static ChunkBackend.Entry at(ChunkBackend backend, Digest digest) throws IOException {
        ChunkBackend.Entry entry = backend.stat(digest);
        return entry == null || entry.chunk() ? null : entry;
    }

    /** Sets the damaged entry {@code entry} at {@code digest} aside, and says what became of it; never throws. */
    static DamagedEntry setAside(ChunkBackend backend, Digest digest, ChunkBackend.Entry entry) {
        String location = backend.locate(digest);
        try {
            // Only the entry seen: a chunk an insert put there meanwhile stays.
            String aside = backend.quarantine(digest, entry.identity());
            return new DamagedEntry(
                    digest,
                    entry.kind(),
                    location,
                    aside,
                    aside == null ? "it was gone from its name meanwhile" : null);
        } catch (IOException | UncheckedIOException e) {
            return new DamagedEntry(
                    digest, entry.kind(), location, null, "could not set it aside (" + e.getMessage() + ")");
        }
    }

    /** The damaged entry {@code entry} at {@code digest}, left where it is because {@code why}. */
    static DamagedEntry leftInPlace(ChunkBackend backend, Digest digest, ChunkBackend.Entry entry, String why) {
        return new DamagedEntry(digest, entry.kind(), backend.locate(digest), null, why);
    }
}

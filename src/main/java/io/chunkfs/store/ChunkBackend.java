package io.chunkfs.store;

import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Where chunks live: the one seam between the store's logic (dedup, verification, gc marks and policy, in
 * {@link ChunkStore}, {@link GarbageCollector}, {@link Verifier}) and a place that keeps bytes under a digest.
 * What a name at a digest means (a chunk, a file set aside, a cache marker) is the backend's business only:
 * everything above sees chunks by {@link Digest}. The local folder backend is
 * {@code io.chunkfs.store.local.LocalBackend}. Implementations are thread-safe.
 *
 * <p>Failures throw {@link IOException}s; a missing chunk is {@link ChunkNotFoundException} where a chunk was
 * required, and a refused system call a {@link PosixException} carrying its errno (the FUSE layer answers with
 * it).
 */
public interface ChunkBackend extends Closeable {
    /** Chunks are spread over this many prefixes ({@link Digest#prefixIndex()}), listed one at a time. */
    int PREFIXES = 256;

    /** What the backend can do beyond the basics; the store's logic asks before relying on one. */
    enum Capability {
        /** A published chunk appears whole or not at all. */
        ATOMIC_RENAME,
        /** A touch moves a chunk's access time, so gc marks can live there. */
        USABLE_ATIME,
        /** Chunks can be re-read from a place other than a local cache (a remote verify): {@link #openRemote}. */
        REMOTE_VERIFY,
        /** The store folder is a bounded cache of chunks kept elsewhere: {@link #rebuildCache}, {@link #dropCache}. */
        CACHE
    }

    /**
     * What the backend says of the name at a digest.
     *
     * @param chunk    false if something other than a chunk sits at the name (a folder, a FIFO, a socket, a
     *                 symlink, a device): a {@link DamagedEntry damaged entry}
     * @param suspect  the backend cannot vouch for these bytes yet (a crash left them unchecked): an insert of
     *                 the same digest replaces them rather than trusting them
     * @param identity which version of the chunk this is; it changes with any write or replacement
     * @param kind     what sits at the name, in a word for messages: "file" for a chunk, else "folder", "FIFO",
     *                 "socket", "symlink", "device" (or "special file" if the backend cannot tell)
     * @param blocks   512-byte blocks the chunk takes where it is kept: fewer than its size needs where the file
     *                 system keeps its holes
     */
    record Entry(
            boolean chunk,
            long size,
            FileTime atime,
            FileTime mtime,
            ChunkIdentity identity,
            boolean suspect,
            String kind,
            long blocks) {
        /**
         * An entry whose kind the backend does not tell apart beyond chunk or not, taking the 512-byte blocks its
         * size needs.
         */
        public Entry(
                boolean chunk, long size, FileTime atime, FileTime mtime, ChunkIdentity identity, boolean suspect) {
            this(chunk, size, atime, mtime, identity, suspect, chunk ? "file" : "special file", (size + 511) / 512);
        }
    }

    /**
     * A chunk opened for reading, with the identity of what was opened.
     *
     * @param verified the backend hashed these very bytes against the digest just now (a cache that fetched
     *                 them, hashing as they arrived): a verified read need not hash them again
     */
    record Opened(FileChannel channel, ChunkIdentity identity, boolean verified) {
        public Opened(FileChannel channel, ChunkIdentity identity) {
            this(channel, identity, false);
        }
    }

    /** Bytes being written before they have a digest; {@code name} is the backend's handle for them. */
    record Staged(String name, FileChannel channel) {}

    /**
     * What one prefix holds, read in one pass: its chunks, how many quarantined copies ({@code DIGEST.N.bad}),
     * and what does not belong (each a line for the gc report). Chunks a sweep that died left aside are put
     * back on the way, and reported among the oddities.
     */
    record PrefixScan(List<Digest> chunks, long quarantined, List<String> oddities) {}

    /** The outcome of {@link #deleteIfUnusedSince}: the chunk was removed, kept (touched meanwhile), or gone. */
    enum Deletion {
        REMOVED,
        KEPT,
        GONE
    }

    /** Space where chunks go, in bytes, for the mount's statfs. */
    record Space(long total, long free, long usable) {}

    /** Who owns the store (its files are shown as theirs). */
    record Owner(int uid, int gid) {}

    /** What the backend says of {@code digest}, or null if nothing is at its name. */
    Entry stat(Digest digest) throws IOException;

    /**
     * Opens a chunk for reading, never through a symlink and never blocking on a FIFO planted at its name.
     *
     * @throws ChunkNotFoundException if there is none
     */
    Opened openRead(Digest digest) throws IOException;

    /**
     * Sets the chunk's access time to now and leaves its modification time alone; never creates anything.
     *
     * @param awaitSweep if a sweep holds the chunk aside right now, wait (bounded) for its verdict instead of
     *                   answering "missing" for a chunk that stays
     * @return false if there is no such chunk
     */
    boolean touch(Digest digest, boolean awaitSweep) throws IOException;

    /**
     * Makes an existing chunk (file and its folder entry) durable as {@code level} says: under {@link
     * SyncLevel#FILE} now, cheap when it already is; under {@link SyncLevel#FILESYSTEM} by the next store sync
     * ({@link #sync}), which must then cover it even if another process wrote it; under {@link SyncLevel#NONE}
     * not at all.
     *
     * @return false if the chunk is gone (only looked at under {@link SyncLevel#FILE})
     */
    boolean makeDurable(Digest digest, SyncLevel level) throws IOException;

    /** Starts new bytes, owned by this process's writer lease (a crash leaves them for cleanup). */
    Staged stage() throws IOException;

    /** Forces staged bytes to durable storage. */
    void force(FileChannel staged) throws IOException;

    /**
     * Publishes finished staged bytes (already closed) under {@code digest}, replacing what is there; durable
     * when this returns if {@code level} is {@link SyncLevel#FILE} (the bytes were forced by the caller).
     */
    void publish(String staged, Digest digest, SyncLevel level) throws IOException;

    /**
     * Publishes as {@link #publish} does unless something is at {@code digest}'s name already: false then, and
     * the staged bytes are left to the caller (to publish over it or discard). Most inserts are of new chunks, and
     * a backend that can refuse to replace in the same step saves the look this default takes first.
     */
    default boolean publishIfAbsent(String staged, Digest digest, SyncLevel level) throws IOException {
        if (stat(digest) != null) {
            return false;
        }
        publish(staged, digest, level);
        return true;
    }

    /** Drops staged bytes that will not be published. */
    void discard(String staged) throws IOException;

    /** The chunks of one prefix (0 … 255), read lazily; close the stream. */
    Stream<Digest> list(int prefix) throws IOException;

    /**
     * The chunks of one prefix whose bytes are at hand (what a cache holds, not what it only knows of): a local
     * verify reads these. All of them unless the backend is a cache.
     */
    default Stream<Digest> listResident(int prefix) throws IOException {
        return list(prefix);
    }

    /**
     * A sweep of one prefix starts; it ends when the returned handle closes. A backend may hold locks and batch
     * its deletes until then: every delete it answered {@link Deletion#REMOVED} is done when {@code close}
     * returns.
     */
    default Closeable sweepPrefix(int prefix) throws IOException {
        return () -> {};
    }

    /**
     * Opens a fresh copy of the chunk from where it is kept, bypassing any cache ({@link Capability#REMOTE_VERIFY}).
     *
     * @throws ChunkNotFoundException if there is none
     */
    default Opened openRemote(Digest digest) throws IOException {
        throw new UnsupportedOperationException("the store " + location() + " has no remote copies");
    }

    /**
     * Sets a damaged remote copy aside ({@code DIGEST.N.bad}) and drops it and any cached copy, so that the next
     * insert of its bytes stores a good one ({@link Capability#REMOTE_VERIFY}).
     *
     * @return where it went, or null if it was gone already
     */
    default String quarantineRemote(Digest digest) throws IOException {
        throw new UnsupportedOperationException("the store " + location() + " has no remote copies");
    }

    /**
     * Learns every chunk kept elsewhere that the cache has no entry for (after the cache was lost), leaving a
     * marker for each ({@link Capability#CACHE}).
     *
     * @return how many markers were made
     */
    default long rebuildCache(Progress progress) throws IOException {
        throw new UnsupportedOperationException("the store " + location() + " is not a cache");
    }

    /**
     * Empties the cache: every cached chunk that is stored elsewhere becomes a marker ({@link Capability#CACHE}).
     *
     * @return how many chunks were dropped
     */
    default long dropCache(Progress progress) throws IOException {
        throw new UnsupportedOperationException("the store " + location() + " is not a cache");
    }

    /** Reads one prefix for a sweep or a report; see {@link PrefixScan}. */
    PrefixScan scan(int prefix) throws IOException;

    /**
     * The sweep's guarded delete: removes the chunk only if its access time is still older than
     * {@code cutoffMillis} at the moment of removal, so that a touch racing the sweep keeps it.
     */
    Deletion deleteIfUnusedSince(Digest digest, long cutoffMillis) throws IOException;

    /**
     * The sweep's guarded delete given the access time its first look saw ({@code seen}): as
     * {@link #deleteIfUnusedSince(Digest, long)}, and the chunk is also kept if its access time is no longer
     * {@code seen}. A touch always changes it, whatever the clock says: a touch stamped before the cutoff (the
     * wall clock stepped back) still keeps the chunk. Backends that cannot tell ignore {@code seen}.
     */
    default Deletion deleteIfUnusedSince(Digest digest, long cutoffMillis, FileTime seen) throws IOException {
        return deleteIfUnusedSince(digest, cutoffMillis);
    }

    /**
     * Sets a damaged chunk or a {@link DamagedEntry damaged entry} aside (never deleting it) under a name no lookup
     * finds, so the next insert of its bytes restores a good copy. If {@code identity} is given, only that version
     * is set aside: good bytes an insert put there meanwhile stay.
     *
     * @return where it went (for messages), or null if it was gone already
     */
    String quarantine(Digest digest, ChunkIdentity identity) throws IOException;

    /**
     * One line to show at mount and {@code init} when the store's durability rests on a file system chunkfs
     * cannot vouch for (a FUSE file system), else empty.
     */
    default Optional<String> durabilityCaveat() {
        return Optional.empty();
    }

    /** Makes everything written so far durable; {@code started} is recorded as the last completed sync. */
    void sync(Instant started) throws IOException;

    /** Space left where chunks go. */
    Space space() throws IOException;

    /** Who owns the store. */
    Owner owner() throws IOException;

    /** Registers a write session starting now (a lease gc sees); returns its start in epoch milliseconds. */
    long beginWriter() throws IOException;

    /** Ends the lease {@link #beginWriter} returned. */
    void endWriter(long startMillis) throws IOException;

    /** The start of the oldest active writer in any process, if any. */
    OptionalLong oldestWriterStart() throws IOException;

    /** Removes staged bytes whose writer died; returns how many. */
    long removeLeftovers() throws IOException;

    /**
     * Takes the store's exclusive gc lock, held until the returned lease is closed.
     *
     * @throws StoreException if another collection holds it
     */
    Closeable lockForGc() throws IOException;

    /**
     * The backend's idea of now, which access times are compared against, checked on the way: a backend whose
     * touches do not move access times refuses here.
     */
    Instant markClock() throws IOException;

    /** A sweep starts deleting (under the gc lock): what it sets aside must survive a crash from now on. */
    void sweepStarting() throws IOException;

    /** The sweep finished normally. */
    void sweepDone() throws IOException;

    /** Starts background checks of what a crashed process left (if any); {@code check} verifies chunks. */
    void startRecovery(Recheck check);

    /** Verifies chunks for a backend's recovery. */
    interface Recheck {
        VerifyResult verify(List<Digest> suspects, Progress progress) throws IOException;
    }

    /** Counters for {@code stats} and {@code status} (name to value); empty if it keeps none. */
    Map<String, Long> counters();

    /** What this backend can do. */
    Set<Capability> capabilities();

    /** Where the store is, for messages and the status report. */
    String location();

    /** Where a chunk is, for messages. */
    String locate(Digest digest);
}

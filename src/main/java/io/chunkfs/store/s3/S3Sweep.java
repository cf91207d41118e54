package io.chunkfs.store.s3;

import io.chunkfs.store.ChunkBackend;
import io.chunkfs.store.ChunkBackend.Deletion;
import io.chunkfs.store.ChunkBackend.PrefixScan;
import io.chunkfs.store.Digest;
import io.chunkfs.store.local.LocalBackend;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Predicate;

/**
 * The S3 side of a gc sweep, one prefix at a time: the prefix's LIST (what the bucket holds, with
 * Last-Modified), the union of it and the cache folder for the collector to look at, and guarded deletes
 * (the local entry first, then the object, in DeleteObjects batches sent before the prefix's sweep ends).
 * The prefix is held exclusively ({@link PrefixLocks}) from the LIST to the last batch, so no insert finds an
 * object (412) that is about to go. Thread-safe: each prefix is swept by one thread, and what it listed is
 * published to the others ({@link S3Backend#stat} of any thread) through an {@link AtomicReferenceArray}.
 */
final class S3Sweep {
    /** Deletes per DeleteObjects request, as Proxmox Backup Server sends them. */
    private static final int DELETE_BATCH = 100;

    private final LocalBackend cache;
    private final S3Objects objects;
    private final ChunkKeys keys;
    private final PrefixLocks locks;
    private final ChunkCache lru;
    private final Predicate<Digest> queued;
    /** Throws unless this process may delete in the bucket now (its leases are valid). */
    private final LeaseCheck beforeDelete;

    /** A check made before every delete request. */
    interface LeaseCheck {
        void check() throws IOException;
    }
    /**
     * What the sweep of each prefix listed in the bucket, while it runs: set by the sweeping thread once its LIST
     * is complete, read by any thread (a listing is never changed after it is published, but for its pending deletes).
     */
    private final AtomicReferenceArray<Listing> listings = new AtomicReferenceArray<>(ChunkBackend.PREFIXES);

    /** What the sweep of one prefix found in the bucket, and the deletes it has yet to send. */
    private static final class Listing {
        final Map<Digest, S3Objects.Listed> remote = new LinkedHashMap<>();
        /** @GuardedBy("this") */
        final List<String> pending = new ArrayList<>();

        final List<String> foreign = new ArrayList<>();
        long quarantined;
    }

    S3Sweep(
            LocalBackend cache,
            S3Objects objects,
            ChunkKeys keys,
            PrefixLocks locks,
            ChunkCache lru,
            Predicate<Digest> queued,
            LeaseCheck beforeDelete) {
        this.beforeDelete = beforeDelete;
        this.cache = cache;
        this.objects = objects;
        this.keys = keys;
        this.locks = locks;
        this.lru = lru;
        this.queued = queued;
    }

    /** Starts the sweep of {@code prefix}: its lock and its LIST; closing the handle sends the last deletes. */
    Closeable start(int prefix) throws IOException {
        Closeable held = locks.exclusive(prefix);
        Listing listing = new Listing();
        try {
            String base = keys.prefix(prefix);
            for (S3Objects.Listed listed : objects.list(base)) {
                String name = listed.key().substring(base.length());
                if (Digest.isValid(name)) {
                    listing.remote.put(Digest.parse(name), listed);
                } else if (name.endsWith(".bad")) {
                    listing.quarantined++;
                } else {
                    listing.foreign.add("not a chunk, left alone: " + objects.url(listed.key()));
                }
            }
        } catch (IOException | RuntimeException e) {
            held.close();
            throw e;
        }
        listings.set(prefix, listing);
        return () -> {
            try {
                synchronized (listing) {
                    if (!listing.pending.isEmpty()) {
                        beforeDelete.check();
                        objects.delete(listing.pending);
                    }
                    listing.pending.clear();
                }
            } finally {
                listings.set(prefix, null);
                held.close();
            }
        };
    }

    /** The object a running sweep listed for {@code digest}, or null. */
    S3Objects.Listed listed(Digest digest) {
        Listing listing = listings.get(digest.prefixIndex());
        return listing == null ? null : listing.remote.get(digest);
    }

    /** The cache folder's view of a prefix, plus what the bucket holds while the prefix is swept. */
    PrefixScan scan(int prefix) throws IOException {
        PrefixScan local = cache.scan(prefix);
        Listing listing = listings.get(prefix);
        if (listing == null) {
            return local;
        }
        Set<Digest> chunks = new LinkedHashSet<>(local.chunks());
        chunks.addAll(listing.remote.keySet());
        List<String> oddities = new ArrayList<>(local.oddities());
        oddities.addAll(listing.foreign);
        return new PrefixScan(List.copyOf(chunks), local.quarantined() + listing.quarantined, oddities);
    }

    /**
     * Removes a chunk unused since {@code cutoffMillis} whose access time the sweep's first look saw as
     * {@code seen} (null: not known): the local entry first (guarded as on disk: kept if touched since the cutoff or
     * since that look), then the object, batched. An object written since the cutoff (an upload this cache has not
     * seen) stays, and so does a chunk still waiting in the upload queue.
     *
     * <p>Outside a sweep of its prefix (a caller of the seam on its own) the prefix is held exclusively from the
     * local look to the object's delete, as a sweep holds it: an insert that found the object (412) and is about to
     * name it locally finishes first, and its entry is then seen and kept.
     */
    Deletion deleteIfUnusedSince(Digest digest, long cutoffMillis, FileTime seen) throws IOException {
        int prefix = digest.prefixIndex();
        Listing listing = listings.get(prefix);
        if (listing != null) {
            return delete(digest, cutoffMillis, seen, listing);
        }
        try (Closeable held = locks.exclusive(prefix)) {
            // A sweep of this prefix in another thread ended before the lock was ours: none runs now.
            return delete(digest, cutoffMillis, seen, null);
        }
    }

    private Deletion delete(Digest digest, long cutoffMillis, FileTime seen, Listing listing) throws IOException {
        S3Objects.Listed remote = listing == null ? null : listing.remote.get(digest);
        // Last-Modified has whole seconds: the upload may have been up to a second after it.
        if (remote != null && remote.lastModified().toEpochMilli() + 1_000 >= cutoffMillis) {
            return Deletion.KEPT;
        }
        if (queued.test(digest)) {
            return Deletion.KEPT;
        }
        Deletion local =
                cache.stat(digest) == null ? Deletion.GONE : cache.deleteIfUnusedSince(digest, cutoffMillis, seen);
        if (local == Deletion.KEPT) {
            return Deletion.KEPT;
        }
        lru.dropped(digest);
        if (listing == null) {
            // Outside a sweep: the object goes at once (the caller holds the prefix).
            if (local == Deletion.REMOVED) {
                beforeDelete.check();
                objects.delete(List.of(keys.chunk(digest)));
            }
            return local;
        }
        if (remote == null) {
            return local;
        }
        synchronized (listing) {
            listing.pending.add(keys.chunk(digest));
            if (listing.pending.size() >= DELETE_BATCH) {
                beforeDelete.check();
                objects.delete(listing.pending);
                listing.pending.clear();
            }
        }
        return Deletion.REMOVED;
    }
}

package io.chunkfs.store.s3;

import io.chunkfs.store.ChunkBackend;
import io.chunkfs.store.ChunkBackend.Deletion;
import io.chunkfs.store.ChunkBackend.PrefixScan;
import io.chunkfs.store.Digest;
import io.chunkfs.store.local.LocalBackend;
import java.io.Closeable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The S3 side of a gc sweep, one prefix at a time: the prefix's LIST (what the bucket holds, with
 * Last-Modified), the union of it and the cache folder for the collector to look at, and guarded deletes
 * (the local entry first, then the object, in DeleteObjects batches sent before the prefix's sweep ends).
 * The prefix is held exclusively ({@link PrefixLocks}) from the LIST to the last batch, so no insert finds an
 * object (412) that is about to go. Thread-safe: each prefix is swept by one thread.
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
    /** What the sweep of each prefix listed in the bucket, while it runs. */
    private final Listing[] listings = new Listing[ChunkBackend.PREFIXES];

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
            Predicate<Digest> queued) {
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
        listings[prefix] = listing;
        return () -> {
            try {
                synchronized (listing) {
                    objects.delete(listing.pending);
                    listing.pending.clear();
                }
            } finally {
                listings[prefix] = null;
                held.close();
            }
        };
    }

    /** The object a running sweep listed for {@code digest}, or null. */
    S3Objects.Listed listed(Digest digest) {
        Listing listing = listings[digest.prefixIndex()];
        return listing == null ? null : listing.remote.get(digest);
    }

    /** The cache folder's view of a prefix, plus what the bucket holds while the prefix is swept. */
    PrefixScan scan(int prefix) throws IOException {
        PrefixScan local = cache.scan(prefix);
        Listing listing = listings[prefix];
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
     * Removes a chunk unused since {@code cutoffMillis}: the local entry first (guarded as on disk), then the
     * object, batched. An object written since the cutoff (an upload this cache has not seen) stays, and so
     * does a chunk still waiting in the upload queue.
     */
    Deletion deleteIfUnusedSince(Digest digest, long cutoffMillis) throws IOException {
        Listing listing = listings[digest.prefixIndex()];
        S3Objects.Listed remote = listing == null ? null : listing.remote.get(digest);
        // Last-Modified has whole seconds: the upload may have been up to a second after it.
        if (remote != null && remote.lastModified().toEpochMilli() + 1_000 >= cutoffMillis) {
            return Deletion.KEPT;
        }
        if (queued.test(digest)) {
            return Deletion.KEPT;
        }
        Deletion local = cache.stat(digest) == null ? Deletion.GONE : cache.deleteIfUnusedSince(digest, cutoffMillis);
        if (local == Deletion.KEPT) {
            return Deletion.KEPT;
        }
        lru.dropped(digest);
        if (listing == null) {
            // Outside a sweep (a caller of the seam on its own): the object goes at once, under the lock.
            if (local == Deletion.REMOVED) {
                try (Closeable held = locks.exclusive(digest.prefixIndex())) {
                    objects.delete(List.of(keys.chunk(digest)));
                }
            }
            return local;
        }
        if (remote == null) {
            return local;
        }
        synchronized (listing) {
            listing.pending.add(keys.chunk(digest));
            if (listing.pending.size() >= DELETE_BATCH) {
                objects.delete(listing.pending);
                listing.pending.clear();
            }
        }
        return Deletion.REMOVED;
    }
}

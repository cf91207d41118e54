package io.chunkfs.store.s3;

import io.chunkfs.store.Digest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Which chunks the store folder holds whole, in least-recently-used order, and how many bytes they take: what
 * eviction picks from. Markers are not in it. Rebuilt from the folder at start (ordered by access time), then
 * kept by the backend as chunks are read, written and evicted. Thread-safe: every method holds the monitor.
 */
final class ChunkCache {
    private final long limit;
    /** Access order: the eldest entry is the least recently used. @GuardedBy("this") */
    private final LinkedHashMap<Digest, Long> resident = new LinkedHashMap<>(1024, 0.75f, true);
    /** @GuardedBy("this") */
    private long bytes;
    /** @GuardedBy("this") */
    private long hits;
    /** @GuardedBy("this") */
    private long misses;

    ChunkCache(long limit) {
        this.limit = limit;
    }

    long limit() {
        return limit;
    }

    synchronized long bytes() {
        return bytes;
    }

    /** Records a chunk held whole, most recently used; {@code hit}: a read found it here. */
    synchronized void held(Digest digest, long size, boolean hit) {
        Long old = resident.put(digest, size);
        bytes += size - (old == null ? 0 : old);
        if (hit) {
            hits++;
        }
    }

    /** A read had to fetch the chunk. */
    synchronized void missed() {
        misses++;
    }

    /** The chunk is no longer held whole (evicted, removed, quarantined). */
    synchronized void dropped(Digest digest) {
        Long old = resident.remove(digest);
        if (old != null) {
            bytes -= old;
        }
    }

    /**
     * The least recently used chunks to evict so that the rest fits the limit, skipping those {@code pinned}
     * (queued for upload, just written) and leaving them in place; they leave the cache only when
     * {@link #dropped}.
     */
    synchronized List<Map.Entry<Digest, Long>> overflow(Predicate<Digest> pinned) {
        List<Map.Entry<Digest, Long>> victims = new ArrayList<>();
        long excess = bytes - limit;
        for (Map.Entry<Digest, Long> entry : resident.entrySet()) {
            if (excess <= 0) {
                break;
            }
            if (!pinned.test(entry.getKey())) {
                victims.add(Map.entry(entry.getKey(), entry.getValue()));
                excess -= entry.getValue();
            }
        }
        return victims;
    }

    /**
     * Starts over from what the folder holds, least recently used first; chunks recorded meanwhile keep their
     * place as the most recent.
     */
    synchronized void rebuilt(List<Map.Entry<Digest, Long>> found) {
        LinkedHashMap<Digest, Long> meanwhile = new LinkedHashMap<>(resident);
        resident.clear();
        bytes = 0;
        for (Map.Entry<Digest, Long> entry : found) {
            if (!meanwhile.containsKey(entry.getKey())) {
                resident.put(entry.getKey(), entry.getValue());
                bytes += entry.getValue();
            }
        }
        meanwhile.forEach((digest, size) -> {
            resident.put(digest, size);
            bytes += size;
        });
    }

    synchronized long hits() {
        return hits;
    }

    synchronized long misses() {
        return misses;
    }
}

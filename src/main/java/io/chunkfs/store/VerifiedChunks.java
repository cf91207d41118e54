package io.chunkfs.store;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The chunk files found good (or, with verification off, already served) by this process, as a
 * bounded set of {@link ChunkIdentity}s: the least recently used one is forgotten first, and a
 * forgotten chunk is only hashed again. Thread-safe.
 */
final class VerifiedChunks {
    private final Map<ChunkIdentity, Boolean> recent;

    VerifiedChunks(int capacity) {
        this.recent = new LinkedHashMap<>(Math.min(capacity, 1024), 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<ChunkIdentity, Boolean> eldest) {
                return size() > capacity;
            }
        };
    }

    synchronized boolean contains(ChunkIdentity identity) {
        return recent.get(identity) != null;
    }

    synchronized void add(ChunkIdentity identity) {
        recent.put(identity, Boolean.TRUE);
    }

    synchronized int size() {
        return recent.size();
    }
}

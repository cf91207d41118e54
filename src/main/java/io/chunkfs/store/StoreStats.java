package io.chunkfs.store;

import java.io.IOException;
import java.util.List;
import java.util.stream.Stream;

/**
 * Chunk count and bytes of a store, in total and per prefix folder.
 *
 * @param chunks         number of chunks
 * @param bytes          their total size
 * @param chunksByPrefix chunk count of each prefix folder 00 … ff
 */
public record StoreStats(long chunks, long bytes, long[] chunksByPrefix) {
    /** Counts through the seam: the chunks of each prefix, and the size the backend reports for each. */
    static StoreStats collect(ChunkBackend backend) throws IOException {
        long[] byPrefix = new long[ChunkBackend.PREFIXES];
        long chunks = 0;
        long bytes = 0;
        for (int prefix = 0; prefix < ChunkBackend.PREFIXES; prefix++) {
            List<Digest> names;
            try (Stream<Digest> listed = backend.list(prefix)) {
                names = listed.toList();
            }
            for (Digest digest : names) {
                ChunkBackend.Entry entry = backend.stat(digest);
                if (entry != null && entry.chunk()) {
                    byPrefix[prefix]++;
                    chunks++;
                    bytes += entry.size();
                }
            }
        }
        return new StoreStats(chunks, bytes, byPrefix);
    }

    /** The fewest chunks in one prefix folder. */
    public long minPerPrefix() {
        long min = Long.MAX_VALUE;
        for (long count : chunksByPrefix) {
            min = Math.min(min, count);
        }
        return min;
    }

    /** The most chunks in one prefix folder. */
    public long maxPerPrefix() {
        long max = 0;
        for (long count : chunksByPrefix) {
            max = Math.max(max, count);
        }
        return max;
    }
}

package io.chunkfs.store;

import java.io.IOException;

/**
 * Chunk count and bytes of a store, in total and per prefix folder.
 *
 * @param chunks         number of chunks
 * @param bytes          their total size
 * @param chunksByPrefix chunk count of each prefix folder 00 … ff
 */
public record StoreStats(long chunks, long bytes, long[] chunksByPrefix) {
    static StoreStats collect(ChunkStore store) throws IOException {
        StoreFolders folders = store.folders();
        long[] byPrefix = new long[StoreLayout.PREFIXES];
        long chunks = 0;
        long bytes = 0;
        for (int prefix = 0; prefix < StoreLayout.PREFIXES; prefix++) {
            Folder folder = folders.prefix(prefix);
            for (String name : store.chunkNames(prefix)) {
                FileStat stat = folders.sys.stat(folder, name);
                if (stat != null && stat.isRegularFile()) {
                    byPrefix[prefix]++;
                    chunks++;
                    bytes += stat.size();
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

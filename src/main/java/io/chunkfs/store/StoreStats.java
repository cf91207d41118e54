package io.chunkfs.store;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * Chunk count and bytes of a store, in total and per prefix folder.
 *
 * @param chunks         number of chunks
 * @param bytes          their total size
 * @param chunksByPrefix chunk count of each prefix folder 00 … ff
 */
public record StoreStats(long chunks, long bytes, long[] chunksByPrefix) {
    static StoreStats collect(ChunkStore store) throws IOException {
        long[] byPrefix = new long[StoreLayout.PREFIXES];
        long chunks = 0;
        long bytes = 0;
        for (int prefix = 0; prefix < StoreLayout.PREFIXES; prefix++) {
            try (DirectoryStream<Path> folder = Files.newDirectoryStream(store.layout().prefixDir(prefix))) {
                for (Path entry : folder) {
                    if (!Digest.isValid(entry.getFileName().toString())) {
                        continue;
                    }
                    try {
                        BasicFileAttributes attributes = Files.readAttributes(entry, BasicFileAttributes.class,
                                LinkOption.NOFOLLOW_LINKS);
                        if (attributes.isRegularFile()) {
                            byPrefix[prefix]++;
                            chunks++;
                            bytes += attributes.size();
                        }
                    } catch (NoSuchFileException e) {
                        // swept meanwhile
                    }
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

package io.chunkfs.store;

import java.time.Instant;
import java.util.List;

/**
 * What a garbage collection found and did.
 *
 * @param started         when the collection began, by the clock of the chunks' file system
 * @param cutoff          chunks last touched before this instant were removed
 * @param stopped         null if the sweep removed every chunk older than the cutoff; else why it stopped removing
 *                        before its end (one line: the file system's clock stepped back while it ran), and the
 *                        collection is not complete
 * @param marked          referenced digests touched in phase 1
 * @param markedMissing   referenced digests that were not in the store
 * @param treeRoots       whether the tree's names were roots ({@link Namespace#treeRoots()}): every chunk a name
 *                        refers to was touched in phase 1 too
 * @param treeMarked      chunks the tree names that were touched in phase 1 (0 unless {@code treeRoots})
 * @param treeMissing     digests the tree names that were not in the store (0 unless {@code treeRoots}); such a
 *                        name is removed at the end, as {@code removedReceipts} counts
 * @param chunksBefore    chunks on disk before the sweep
 * @param bytesBefore     their bytes
 * @param removedChunks   chunks removed
 * @param removedBytes    their bytes
 * @param keptChunks      chunks left
 * @param keptBytes       their bytes
 * @param pendingChunks   chunks kept only because a writer older than the margin is still active
 * @param badChunks       {@code .bad} files that verify set aside
 * @param removedTemps    temporary files of dead writers removed
 * @param removedReceipts names of the tree whose chunk was gone (removed by this collection, or set aside or
 *                        removed before it), removed
 * @param oddities        anything else found in the chunk folders, one line each
 * @param damagedEntries  damaged entries at digest paths (a folder, a FIFO, ...), left where they are
 */
public record GcResult(
        Instant started,
        Instant cutoff,
        String stopped,
        long marked,
        long markedMissing,
        boolean treeRoots,
        long treeMarked,
        long treeMissing,
        long chunksBefore,
        long bytesBefore,
        long removedChunks,
        long removedBytes,
        long keptChunks,
        long keptBytes,
        long pendingChunks,
        long badChunks,
        long removedTemps,
        long removedReceipts,
        List<String> oddities,
        List<DamagedEntry> damagedEntries) {}

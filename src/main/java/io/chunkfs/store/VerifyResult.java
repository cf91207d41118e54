package io.chunkfs.store;

import java.util.List;

/**
 * What a verify found.
 *
 * @param checked           chunks re-hashed
 * @param bytes             bytes read
 * @param bad               chunks whose bytes did not match their name; each was renamed aside to a
 *                          {@code .N.bad} file
 * @param missing           digests asked for that the store does not hold
 * @param damagedEntries    digest paths holding something other than a chunk (a folder, a FIFO, ...), each set
 *                          aside as a {@code .N.bad} entry where that could be done; sorted by digest
 * @param treeChecked       whether the tree's names were checked (a verify of every chunk checks them, one of given
 *                          digests does not)
 * @param namedChunks       distinct chunks the tree names, each looked for in the store (0 if not {@code
 *                          treeChecked})
 * @param namesWithoutChunk regular files of the tree whose chunk the store does not hold (removed behind its back,
 *                          set aside as damaged, lost in a crash), in the order of a {@link TreeWalk}; the mount
 *                          hides them and gc removes them
 */
public record VerifyResult(
        long checked,
        long bytes,
        List<Digest> bad,
        List<Digest> missing,
        List<DamagedEntry> damagedEntries,
        boolean treeChecked,
        long namedChunks,
        List<NameWithoutChunk> namesWithoutChunk) {

    /** A name of the tree whose chunk is missing: where it is in the tree, and the chunk it names. */
    public record NameWithoutChunk(TreePath path, Digest digest) {}

    /** Whether nothing was damaged or missing. */
    public boolean ok() {
        return bad.isEmpty() && missing.isEmpty() && damagedEntries.isEmpty() && namesWithoutChunk.isEmpty();
    }
}

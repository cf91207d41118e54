package io.chunkfs.store;

import java.util.List;

/**
 * What a verify found.
 *
 * @param checked         chunks re-hashed
 * @param bytes           bytes read
 * @param bad             chunks whose bytes did not match their name; each was renamed aside to a
 *                        {@code .N.bad} file
 * @param missing         digests asked for that the store does not hold
 * @param damagedEntries  digest paths holding something other than a chunk (a folder, a FIFO, ...), each set
 *                        aside as a {@code .N.bad} entry where that could be done; sorted by digest
 */
public record VerifyResult(
        long checked, long bytes, List<Digest> bad, List<Digest> missing, List<DamagedEntry> damagedEntries) {
    /** Whether nothing was damaged or missing. */
    public boolean ok() {
        return bad.isEmpty() && missing.isEmpty() && damagedEntries.isEmpty();
    }
}

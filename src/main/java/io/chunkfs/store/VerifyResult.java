package io.chunkfs.store;

import java.util.List;

/**
 * What a verify found.
 *
 * @param checked    chunks re-hashed
 * @param bytes      bytes read
 * @param bad        chunks whose bytes did not match their name; each was renamed aside to a
 *                   {@code .N.bad} file
 * @param missing    digests asked for that the store does not hold
 */
public record VerifyResult(long checked, long bytes, List<Digest> bad, List<Digest> missing) {
    public boolean ok() {
        return bad.isEmpty() && missing.isEmpty();
    }
}

package io.chunkfs.store;

/**
 * What an insert did.
 *
 * @param digest     the chunk's name
 * @param size       its length in bytes
 * @param duplicate  the store already held a good copy: nothing was written, the chunk was touched
 * @param repaired   the store held a copy of the wrong size (corrupt); it was replaced by these bytes
 */
public record InsertResult(Digest digest, long size, boolean duplicate, boolean repaired) {}

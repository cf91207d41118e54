package io.chunkfs.fuse;

/**
 * Who made a call, as libfuse's context says: what a new entry's owner becomes.
 *
 * @param uid the caller's user id
 * @param gid the caller's group id
 */
record Caller(long uid, long gid) {}

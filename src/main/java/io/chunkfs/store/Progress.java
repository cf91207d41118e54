package io.chunkfs.store;

/** Receives progress of a long run (a collection or a verify), for a progress bar. */
public interface Progress {
    Progress NONE = new Progress() {};

    /** A new phase begins; {@code total} steps, or -1 if unknown. */
    default void phase(String name, long total) {}

    /** {@code steps} more steps of the current phase are done. */
    default void advance(long steps) {}
}

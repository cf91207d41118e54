package io.chunkfs.fuse;

/** How the kernel may cache the pages of a file just opened. */
enum Caching {
    /** The kernel's default: pages are dropped at each open. */
    DEFAULT,
    /**
     * Pages are kept between opens ({@code keep_cache}): only for a chunk verified in this mount and
     * unchanged since, whose bytes cannot differ from what the kernel kept.
     */
    KEEP,
    /**
     * No page cache and no trust in the kernel's idea of the size ({@code direct_io}): for a receipt
     * opened for reading, whose inode is shared with a writer rewriting the same name, whose O_TRUNC
     * and writes would change what this reader sees. The handle reads its own chunk to its own end.
     */
    NONE
}

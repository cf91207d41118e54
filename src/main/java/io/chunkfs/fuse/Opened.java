package io.chunkfs.fuse;

/** A file just opened: its handle, and how the kernel may cache its pages. */
record Opened(Handle handle, Caching caching) {
    static Opened of(Handle handle) {
        return new Opened(handle, Caching.DEFAULT);
    }
}

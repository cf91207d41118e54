package io.chunkfs.store.local;

import java.nio.file.Path;

/**
 * An open folder of the store: every file of the store is reached relative to one of these, opened once,
 * never by resolving a path again, so that a folder swapped for a symlink behind the store's back
 * redirects nothing. {@code path} is where it was when opened, for messages only.
 */
final class Folder {
    final int fd;
    final Path path;

    Folder(int fd, Path path) {
        this.fd = fd;
        this.path = path;
    }

    /** Where {@code name} was in this folder when it was opened, for messages. */
    Path resolve(String name) {
        return path.resolve(name);
    }

    @Override
    public String toString() {
        return path.toString();
    }
}

package io.chunkfs.store.local;

import io.chunkfs.store.Digest;
import java.io.Closeable;
import java.io.IOException;

/**
 * The folders of one open store, each opened once at start and checked to be a real folder (not a
 * symlink): from then on every file of the store is reached relative to one of these, so swapping a
 * folder for a symlink while the store is open redirects nothing. Immutable after construction.
 */
final class StoreFolders implements Closeable {
    final Syscalls sys;
    final Folder root;
    final Folder chunks;
    final Folder tmp;
    final Folder writers;
    /**
     * An earlier release's {@code receipts/} (format versions 1 and 2, or what a conversion has not finished
     * removing); null if the store has none.
     */
    final Folder receipts;

    private final Folder[] prefixes;
    /** Modes for what the store creates: owner-only when the store folder is private (no group or other bits). */
    final int folderMode;

    final int chunkMode;
    final int fileMode;

    StoreFolders(
            Syscalls sys,
            Folder root,
            Folder chunks,
            Folder[] prefixes,
            Folder tmp,
            Folder writers,
            Folder receipts,
            boolean privateStore) {
        this.sys = sys;
        this.root = root;
        this.chunks = chunks;
        this.prefixes = prefixes;
        this.tmp = tmp;
        this.writers = writers;
        this.receipts = receipts;
        this.folderMode = privateStore ? 0700 : 0755;
        this.chunkMode = privateStore ? 0400 : 0444;
        this.fileMode = privateStore ? 0600 : 0644;
    }

    Folder prefix(int prefix) {
        return prefixes[prefix];
    }

    Folder prefix(Digest digest) {
        return prefixes[digest.prefixIndex()];
    }

    @Override
    public void close() throws IOException {
        IOException first = null;
        for (Folder folder : prefixes) {
            first = closeQuietly(folder, first);
        }
        for (Folder folder : new Folder[] {chunks, tmp, writers, receipts, root}) {
            first = closeQuietly(folder, first);
        }
        if (first != null) {
            throw first;
        }
    }

    private IOException closeQuietly(Folder folder, IOException first) {
        if (folder == null) {
            return first;
        }
        try {
            sys.close(folder);
            return first;
        } catch (IOException e) {
            return first == null ? e : first;
        }
    }
}

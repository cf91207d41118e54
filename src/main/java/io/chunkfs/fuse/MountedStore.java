package io.chunkfs.fuse;

import io.chunkfs.store.ChunkBackend;
import io.chunkfs.store.ChunkStore;
import io.chunkfs.store.SyncLevel;
import java.io.IOException;

/**
 * What the FUSE layer shows of where the store lives, asked of its backend through {@link ChunkStore}: the
 * owner every node shows, the space statfs reports, the location status shows; and the store sync that
 * fsync and unmount owe a deferred sync level.
 */
final class MountedStore {
    private final ChunkStore store;
    private final int uid;
    private final int gid;

    MountedStore(ChunkStore store) throws IOException {
        this.store = store;
        ChunkBackend.Owner owner = store.owner();
        this.uid = owner.uid();
        this.gid = owner.gid();
    }

    ChunkStore store() {
        return store;
    }

    /** The owner of the store's folder, which every node of the mount shows as its own. */
    int uid() {
        return uid;
    }

    int gid() {
        return gid;
    }

    /** The total, free and usable space of where the chunks are kept, in bytes. */
    ChunkBackend.Space space() throws IOException {
        return store.space();
    }

    /** Where the store is, as {@code chunkfs status} shows it. */
    String location() {
        return store.location();
    }

    /**
     * Makes every acknowledged chunk and every change of a name durable (fsync, fsyncdir): under sync=file the
     * chunks and written files' names are already, and this makes the other changes of names (renames, removals)
     * durable; under sync=filesystem this is the store sync that makes everything so. Nothing to do on a
     * read-only mount.
     */
    void syncIfDeferred() throws IOException {
        if (store.options().readOnly()) {
            return;
        }
        if (store.options().syncLevel() == SyncLevel.FILESYSTEM) {
            store.sync();
        } else if (store.options().syncLevel() == SyncLevel.FILE) {
            store.tree().sync();
        }
    }
}

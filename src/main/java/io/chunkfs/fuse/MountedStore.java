package io.chunkfs.fuse;

import io.chunkfs.store.ChunkStore;
import io.chunkfs.store.SyncLevel;
import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;

/**
 * The one place where the FUSE layer looks at where the store lives ({@link ChunkStore#root()}):
 * the owner every node shows, the space statfs reports, the location status shows. A store kept
 * elsewhere than in a local folder answers these here and nowhere else.
 */
final class MountedStore {
    private final ChunkStore store;
    private final int uid;
    private final int gid;

    /** The free and total space of the file system holding the store, in bytes. */
    record Space(long total, long unallocated, long usable) {}

    MountedStore(ChunkStore store) throws IOException {
        this.store = store;
        this.uid = (Integer) Files.getAttribute(store.root(), "unix:uid");
        this.gid = (Integer) Files.getAttribute(store.root(), "unix:gid");
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

    Space space() throws IOException {
        FileStore fileStore = Files.getFileStore(store.root());
        return new Space(fileStore.getTotalSpace(), fileStore.getUnallocatedSpace(), fileStore.getUsableSpace());
    }

    /** Where the store is, as {@code chunkfs status} shows it. */
    String location() {
        return store.root().toString();
    }

    /**
     * Makes every acknowledged chunk and receipt durable: under sync=file they are already, under
     * sync=filesystem this is the store sync that makes them so. Nothing to do on a read-only mount.
     */
    void syncIfDeferred() throws IOException {
        if (!store.options().readOnly() && store.options().syncLevel() == SyncLevel.FILESYSTEM) {
            store.sync();
        }
    }
}

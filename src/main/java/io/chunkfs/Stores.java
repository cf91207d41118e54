package io.chunkfs;

import io.chunkfs.store.ChunkStore;
import io.chunkfs.store.StoreOptions;
import io.chunkfs.store.local.LocalBackend;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Opens and creates stores: the one place that picks a backend for a store folder (today always the local
 * one), so that nothing above {@link ChunkStore} knows where chunks live.
 */
public final class Stores {
    private Stores() {}

    /**
     * Creates a store at {@code root} with all its folders; a valid store already there is left alone. A private
     * one has folders 0700 and chunks 0400, so that only its owner can read it.
     *
     * @return true if a new store was created
     * @throws io.chunkfs.store.StoreException if {@code root} is something other than an empty folder or a store
     */
    public static boolean init(Path root, boolean privateStore) throws IOException {
        return LocalBackend.init(root, privateStore);
    }

    /** Creates a shared store; see {@link #init(Path, boolean)}. */
    public static boolean init(Path root) throws IOException {
        return init(root, false);
    }

    /** Opens the store at {@code root}, checking its layout first. */
    public static ChunkStore open(Path root, StoreOptions options) throws IOException {
        LocalBackend backend = LocalBackend.open(root, options);
        return ChunkStore.open(backend, backend.receipts(), options);
    }

    /** Opens the store at {@code root} with {@link StoreOptions#defaults()}. */
    public static ChunkStore open(Path root) throws IOException {
        return open(root, StoreOptions.defaults());
    }
}

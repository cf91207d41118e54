package io.chunkfs.testing;

import io.chunkfs.Stores;
import io.chunkfs.store.ChunkStore;
import io.chunkfs.store.Digest;
import io.chunkfs.store.StoreOptions;
import io.chunkfs.store.SyncLevel;
import io.chunkfs.store.local.StoreLayout;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.stream.Stream;

/**
 * Stores for tests: one made in a temporary folder, and where the files of an open local store are ({@link
 * StorePaths} spells the layout).
 */
public final class TestStores {
    private TestStores() {}

    /** Creates a store in {@code dir/store} and opens it without fsyncs (fast; for tests that cut no power). */
    public static ChunkStore newStore(Path dir) throws IOException {
        return newStore(dir, SyncLevel.NONE);
    }

    /** Creates a store in {@code dir/store} and opens it with {@code level}. */
    public static ChunkStore newStore(Path dir, SyncLevel level) throws IOException {
        Path root = dir.resolve("store");
        Stores.init(root);
        return Stores.open(root, StoreOptions.defaults().withSyncLevel(level));
    }

    /** The folder of a local store. */
    public static Path root(ChunkStore store) {
        return Path.of(store.location());
    }

    /** The on-disk layout of a local store. */
    public static StoreLayout layout(ChunkStore store) {
        return new StoreLayout(root(store));
    }

    /** The file of a chunk in a local store. */
    public static Path chunkPath(ChunkStore store, Digest digest) {
        return StorePaths.chunk(root(store), digest);
    }

    /** Makes a chunk look untouched for an hour. */
    public static void age(ChunkStore store, Digest digest) throws IOException {
        Files.setAttribute(
                chunkPath(store, digest),
                "lastAccessTime",
                FileTime.from(Instant.now().minusSeconds(3600)));
    }

    /** How many entries a folder holds. */
    public static long countFiles(Path folder) throws IOException {
        try (Stream<Path> files = Files.list(folder)) {
            return files.count();
        }
    }
}

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
import java.util.Random;
import java.util.stream.Stream;

/** Where a test finds the files of a local store, and the test data it puts there: one helper for each. */
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

    /** The file of a chunk in the local store at {@code root}. */
    public static Path chunkPath(Path root, Digest digest) {
        return new StoreLayout(root).chunkPath(digest);
    }

    /** The file of a chunk in a local store. */
    public static Path chunkPath(ChunkStore store, Digest digest) {
        return layout(store).chunkPath(digest);
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

    /** {@code size} bytes from a seeded generator: the same seed gives the same bytes. */
    public static byte[] random(int size, long seed) {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }
}

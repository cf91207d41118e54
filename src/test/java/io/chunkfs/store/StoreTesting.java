package io.chunkfs.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Random;
import java.util.stream.Stream;

/** Shared helpers for the store tests. */
final class StoreTesting {
    private StoreTesting() {}

    static ChunkStore newStore(Path dir) throws IOException {
        return newStore(dir, SyncLevel.NONE);
    }

    static ChunkStore newStore(Path dir, SyncLevel level) throws IOException {
        Path root = dir.resolve("store");
        ChunkStore.init(root);
        return ChunkStore.open(root, StoreOptions.defaults().withSyncLevel(level));
    }

    static byte[] random(int size, long seed) {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    static Path path(ChunkStore store, Digest digest) {
        return store.layout().chunkPath(digest);
    }

    /** Makes a chunk look untouched for an hour. */
    static void age(ChunkStore store, Digest digest) throws IOException {
        Files.setAttribute(
                path(store, digest),
                "lastAccessTime",
                FileTime.from(Instant.now().minusSeconds(3600)));
    }

    static long countFiles(Path folder) throws IOException {
        try (Stream<Path> files = Files.list(folder)) {
            return files.count();
        }
    }
}

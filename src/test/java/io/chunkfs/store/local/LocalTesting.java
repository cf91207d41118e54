package io.chunkfs.store.local;

import io.chunkfs.store.ChunkStore;
import io.chunkfs.store.StoreOptions;
import java.io.IOException;
import java.nio.file.Path;

/** Opens a local store whose file-system calls go through a test's {@link Syscalls} (faults, power cuts). */
final class LocalTesting {
    private LocalTesting() {}

    static ChunkStore open(Path root, StoreOptions options, Syscalls sys) throws IOException {
        LocalBackend backend = LocalBackend.open(root, options, sys);
        return ChunkStore.open(backend, backend.openTree(), options);
    }
}

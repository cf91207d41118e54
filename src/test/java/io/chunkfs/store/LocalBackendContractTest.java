package io.chunkfs.store;

import io.chunkfs.store.local.LocalBackend;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The local folder backend against the seam's contract. */
class LocalBackendContractTest extends ChunkBackendContract {
    @TempDir
    Path dir;

    @Override
    protected ChunkBackend openEmpty() throws IOException {
        Path root = dir.resolve("store");
        LocalBackend.init(root, false);
        return LocalBackend.open(root, StoreOptions.defaults());
    }
}

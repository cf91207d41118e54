package io.chunkfs.store.s3;

import io.chunkfs.store.ChunkBackend;
import io.chunkfs.store.ChunkBackendContract;
import io.chunkfs.store.StoreOptions;
import io.chunkfs.store.local.LocalBackend;
import io.chunkfs.testing.S3TestServer;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/** The S3 backend (chunks in a bucket of S3Proxy on 127.0.0.1, the folder as cache) against the seam's contract. */
class S3BackendContractTest extends ChunkBackendContract {
    private static S3TestServer server;

    @TempDir
    Path dir;

    @TempDir
    static Path serverDir;

    @BeforeAll
    static void startServer() throws Exception {
        server = S3TestServer.start(serverDir);
    }

    @AfterAll
    static void stopServer() throws Exception {
        server.close();
    }

    @Override
    protected ChunkBackend openEmpty() throws IOException {
        Path root = dir.resolve("store");
        S3Settings settings =
                S3Settings.forUrl("s3://" + server.newBucket() + "/store", server.endpoint(), "us-east-1", 1 << 20);
        S3Backend.init(root, false, settings);
        return S3Backend.open(LocalBackend.openCache(root, StoreOptions.defaults()), StoreOptions.defaults());
    }
}

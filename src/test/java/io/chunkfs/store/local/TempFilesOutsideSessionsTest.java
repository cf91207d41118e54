package io.chunkfs.store.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkfs.store.ChunkBackend;
import io.chunkfs.store.Digest;
import io.chunkfs.store.StoreOptions;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Temporary files made outside any write session (an S3 fetch's staged copy, a cache marker) belong to a process
 * that a gc or a start-up in another process must see alive: its registration exists before the first temporary
 * name is handed out. The other process is a second backend on the same folder, with its own registration, as a
 * process has; {@link LocalBackend#open} removes what dead processes left, as {@code gc} does first.
 */
class TempFilesOutsideSessionsTest {
    @TempDir
    Path dir;

    /** The other process starting (or its gc): removes the temporary files of owners it does not see alive. */
    private void otherProcessCleansUp(Path root) throws IOException {
        try (LocalBackend other = LocalBackend.open(root, StoreOptions.defaults())) {
            other.removeLeftovers();
        }
    }

    @Test
    void aStagedFileMadeWithoutAWriteSessionSurvivesAnotherProcessesCleanUp() throws Exception {
        Path root = dir.resolve("store");
        LocalBackend.init(root, false);
        Digest digest = Digest.sha256("fetched".getBytes(StandardCharsets.UTF_8));
        try (LocalBackend fetcher = LocalBackend.openCache(root, StoreOptions.defaults())) {
            // A fetch: staged bytes in .tmp, no write session.
            ChunkBackend.Staged staged = fetcher.stage();
            try (var channel = staged.channel()) {
                channel.write(ByteBuffer.wrap("fetched".getBytes(StandardCharsets.UTF_8)));
            }
            otherProcessCleansUp(root);
            assertTrue(Files.exists(fetcher.stagedPath(staged.name())), "the download in flight is still there");
            fetcher.publish(staged.name(), digest, io.chunkfs.store.SyncLevel.NONE);
            assertTrue(fetcher.stat(digest) != null, "published");
        }
    }

    @Test
    void aMarkerBeingPlacedSurvivesAnotherProcessesCleanUp() throws Exception {
        Path root = dir.resolve("store");
        LocalBackend.init(root, false);
        CountDownLatch atLink = new CountDownLatch(1);
        CountDownLatch goOn = new CountDownLatch(1);
        // Real system calls; the first link (the marker's temporary file to its name) waits for the test.
        Syscalls pausing = (Syscalls) Proxy.newProxyInstance(
                Syscalls.class.getClassLoader(), new Class<?>[] {Syscalls.class}, (proxy, method, args) -> {
                    if (method.getName().equals("link") && atLink.getCount() > 0) {
                        atLink.countDown();
                        assertTrue(goOn.await(30, TimeUnit.SECONDS));
                    }
                    try {
                        return method.invoke(LinuxSyscalls.INSTANCE, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        Digest digest = Digest.sha256("only in the object store".getBytes(StandardCharsets.UTF_8));
        try (LocalBackend cache = LocalBackend.open(root, StoreOptions.defaults(), pausing)) {
            CompletableFuture<Boolean> placed = CompletableFuture.supplyAsync(() -> {
                try {
                    return cache.placeMarker(digest, 1234);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            try {
                assertTrue(atLink.await(30, TimeUnit.SECONDS), "the marker is made, about to get its name");
                otherProcessCleansUp(root);
            } finally {
                goOn.countDown();
            }
            assertTrue(placed.get(30, TimeUnit.SECONDS), "the marker got its name");
            assertEquals(0, cache.stat(digest).size());
        }
    }
}

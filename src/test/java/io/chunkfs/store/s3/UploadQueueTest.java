package io.chunkfs.store.s3;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkfs.store.Digest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UploadQueueTest {
    @TempDir
    Path dir;

    /**
     * The AWS SDK turns an interrupt during a request into an exception and clears the flag: close() must stop
     * the worker all the same, not wait for it to retry until its 30 s are up. The queue file stays.
     */
    @Test
    void closeStopsAWorkerWhoseInterruptWasSwallowed() throws Exception {
        CountDownLatch uploading = new CountDownLatch(1);
        UploadQueue queue = new UploadQueue(dir.resolve("queue"), 8, 1, digest -> {
            uploading.countDown();
            try {
                Thread.sleep(60_000);
            } catch (InterruptedException e) {
                throw new IOException("sleep interrupted"); // as the SDK does: the flag is gone
            }
        });
        Digest digest = Digest.sha256("queued".getBytes(StandardCharsets.UTF_8));
        assertTrue(queue.record(digest, false));
        queue.start(digest);
        assertTrue(uploading.await(10, TimeUnit.SECONDS));
        long start = System.nanoTime();
        queue.close();
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(millis < 5_000, "close took " + millis + " ms");
        assertTrue(Files.exists(dir.resolve("queue").resolve(digest.toString())), "the queue file stays");
    }
}

package io.chunkfs.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkfs.Stores;
import io.chunkfs.store.ChunkStore;
import io.chunkfs.store.Digest;
import io.chunkfs.store.StoreOptions;
import io.chunkfs.testing.Await;
import io.chunkfs.testing.Shell;
import io.chunkfs.testing.StorePaths;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The mount under a running garbage collection and with files larger than its heap. */
class MountUnderLoadIT {
    @TempDir
    Path dir;

    @Test
    void writesAndTouchesDuringGcSurviveIt() throws Exception {
        try (MountFixture fixture = new MountFixture(dir).mount("sync=none")) {
            int old = 1500;
            List<Digest> digests = new ArrayList<>();
            try (ChunkStore store = Stores.open(
                    fixture.store, StoreOptions.defaults().withSyncLevel(io.chunkfs.store.SyncLevel.NONE))) {
                for (int i = 0; i < old; i++) {
                    digests.add(store.insertChunk(("old-" + i).getBytes(StandardCharsets.UTF_8))
                            .digest());
                }
            }
            Path chunks = StorePaths.chunks(fixture.store);
            for (Digest digest : digests) {
                Files.setAttribute(
                        chunks.resolve(digest.prefix()).resolve(digest.toString()),
                        "lastAccessTime",
                        FileTime.from(Instant.now().minusSeconds(3600)));
            }
            Path probe = chunks.resolve(".atime-probe");
            Instant launched = Instant.now();
            Process gc = new ProcessBuilder(
                            "java",
                            "-jar",
                            Shell.JAR,
                            "-s",
                            fixture.store.toString(),
                            "gc",
                            "--margin",
                            "0s",
                            "--mark",
                            "-",
                            "--json")
                    .redirectError(ProcessBuilder.Redirect.INHERIT)
                    .start();
            // gc has taken its start time once its probe shows the old mtime it sets and a touch after the launch.
            Await.until(Duration.ofSeconds(60), "gc to take its start time", () -> {
                assertTrue(gc.isAlive(), "gc exited early");
                return Files.exists(probe)
                        && Files.getLastModifiedTime(probe).toMillis() == 1_000_000_000_000L
                        && ((FileTime) Files.getAttribute(probe, "lastAccessTime"))
                                .toInstant()
                                .isAfter(launched.minusSeconds(1));
            });
            // Mark every third chunk, leave the rest of the marking open while the mount writes and touches.
            OutputStream marks = gc.getOutputStream();
            for (int i = 0; i < old; i += 3) {
                marks.write((digests.get(i) + "\n").getBytes(StandardCharsets.UTF_8));
            }
            marks.flush();
            StringBuilder script = new StringBuilder();
            for (int i = 1; i < old; i += 3) {
                script.append("printf 'old-")
                        .append(i)
                        .append("' > incoming/re")
                        .append(i)
                        .append('\n');
            }
            fixture.sh(script.toString()).ok();
            marks.close(); // the sweep starts now; keep writing and touching while it runs
            StringBuilder during = new StringBuilder();
            for (int i = 0; i < 200; i++) {
                during.append("printf 'new-")
                        .append(i)
                        .append("' > incoming/new")
                        .append(i)
                        .append('\n');
            }
            fixture.sh(during.toString()).ok();
            assertTrue(gc.waitFor(120, TimeUnit.SECONDS));
            String summary = new String(gc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, gc.exitValue(), summary);

            try (ChunkStore store = Stores.open(fixture.store)) {
                for (int i = 0; i < old; i++) {
                    boolean keep = i % 3 != 2;
                    assertEquals(
                            keep,
                            store.contains(digests.get(i)),
                            "old-" + i + (keep ? " was marked or re-inserted" : " was not used"));
                }
                for (int i = 0; i < 200; i++) {
                    assertTrue(
                            store.contains(Digest.sha256(("new-" + i).getBytes(StandardCharsets.UTF_8))), "new-" + i);
                }
            }
            assertTrue(summary.contains("\"removed_chunks\":" + (old / 3)), summary);
            assertTrue(fixture.verify().ok());
        }
    }

    @Test
    void aFileOfSeveralGibDoesNotNeedHeap() throws Exception {
        try (MountFixture fixture = new MountFixture(dir).mountWithJvm(List.of("-Xmx64m"), "sync=filesystem")) {
            long gib = 3;
            fixture.sh("dd if=/dev/zero of=incoming/big bs=1M count=" + (gib * 1024) + " status=none")
                    .ok();
            MessageDigest sha256 = Digest.newSha256();
            byte[] zeros = new byte[1 << 20];
            for (long i = 0; i < gib * 1024; i++) {
                sha256.update(zeros);
            }
            String expected = Digest.of(sha256.digest()).toString();
            assertEquals(
                    expected,
                    fixture.sh("getfattr --only-values -n user.chunkfs.digest incoming/big")
                            .ok()
                            .out());
            assertEquals(gib << 30, Files.size(StorePaths.chunk(fixture.store, expected)));
            assertTrue(fixture.process().isAlive(), "the mount survived with a 64 MiB heap");
            assertFalse(Files.readString(fixture.log).contains("OutOfMemoryError"));
        }
    }
}

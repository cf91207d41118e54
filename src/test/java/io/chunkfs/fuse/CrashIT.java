package io.chunkfs.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkfs.store.Digest;
import io.chunkfs.store.VerifyResult;
import io.chunkfs.testing.Await;
import io.chunkfs.testing.Shell;
import io.chunkfs.testing.StorePaths;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 of the mount while writers copy and a collection runs loses nothing that was acknowledged.
 * One round in the normal suite; {@code -Dsoak=30m} repeats rounds for that long.
 */
class CrashIT {
    @TempDir
    Path dir;

    @Test
    void killDuringWritesAndGc() throws Exception {
        long deadline = System.currentTimeMillis()
                + io.chunkfs.cli.DurationConverter.parse(System.getProperty("soak", "0s"))
                        .toMillis();
        try (MountFixture fixture = new MountFixture(dir).mount()) {
            int round = 0;
            do {
                crashOnce(fixture, round++);
            } while (System.currentTimeMillis() < deadline);
        }
    }

    private void crashOnce(MountFixture fixture, int round) throws Exception {
        Path done = Files.createDirectories(dir.resolve("done-" + round));
        // 8 writers; each records a file's name only after its cp exited 0.
        String writer = "i=0; while :; do i=$((i+1)); f=" + dir + "/src-r" + round + "w$W-$i; "
                + "head -c $(( (RANDOM % 200 + 1) * 1024 )) /dev/urandom > $f; "
                + "cp $f incoming/r" + round + "w$W-$i && echo r" + round + "w$W-$i >> " + done + "/$W || exit 0; done";
        List<Process> writers = startWriters(fixture, writer, 8);
        Process gc = new ProcessBuilder(
                        "bash",
                        "-c",
                        "while :; do java -jar " + Shell.JAR + " -s " + fixture.store
                                + " gc --margin 1h > /dev/null || exit 1; done")
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("gc.log").toFile())
                .start();
        // Let some files through, then kill the mount mid-flight.
        killMountOnceAcknowledged(fixture, writers, done, 100);
        gc.destroy();
        gc.waitFor(30, TimeUnit.SECONDS);
        fixture.awaitMounted(false);

        List<String> acknowledged = acknowledged(done);
        assertTrue(acknowledged.size() >= 100);
        for (String name : acknowledged) {
            Digest digest = Digest.sha256(Files.readAllBytes(dir.resolve("src-" + name)));
            Path chunk = StorePaths.chunk(fixture.store, digest);
            assertTrue(Files.isRegularFile(chunk, LinkOption.NOFOLLOW_LINKS), "chunk of acknowledged " + name);
            Path receipt = fixture.store.resolve("receipts").resolve(name);
            assertEquals(
                    digest.toString(),
                    Files.readSymbolicLink(receipt).getFileName().toString(),
                    "receipt of acknowledged " + name);
        }
        VerifyResult verify = fixture.verify();
        assertTrue(verify.bad().isEmpty(), "no partial chunk at any digest path: " + verify.bad());

        // The next mount just works, and start-up removes what the killed process left in .tmp.
        fixture.mount();
        fixture.sh("echo after > incoming/after && cat incoming/after").ok();
        try (Stream<Path> temps = Files.list(fixture.store.resolve(".tmp"))) {
            assertEquals(0, temps.count(), "leftover temporary files are removed at the next start");
        }
    }

    /**
     * Writers copying identical bytes under different names, kill -9 of the mount, then the page cache
     * dropped: every acknowledged file's chunk and receipt is there, read back from disk with the right bytes.
     */
    @Test
    void killDuringIdenticalWritesThenDropCaches() throws Exception {
        Path sources = Files.createDirectories(dir.resolve("same"));
        for (int i = 0; i < 16; i++) {
            Files.write(
                    sources.resolve("s" + i),
                    io.chunkfs.testing.Shell.class
                            .getName()
                            .repeat(100 + i * 37)
                            .getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        Path done = Files.createDirectories(dir.resolve("done-same"));
        try (MountFixture fixture = new MountFixture(dir).mount()) {
            String writer = "i=0; while :; do i=$((i+1)); s=$((i % 16)); " + "cp " + sources
                    + "/s$s incoming/w$W-$i && echo \"w$W-$i s$s\" >> " + done + "/$W || exit 0; done";
            List<Process> writers = startWriters(fixture, writer, 6);
            killMountOnceAcknowledged(fixture, writers, done, 200);
            fixture.awaitMounted(false);
            Shell.run(dir, Map.of(), List.of("bash", "-c", "sync; echo 3 > /proc/sys/vm/drop_caches"), 60)
                    .ok();

            List<String> acknowledged = acknowledged(done);
            assertTrue(acknowledged.size() >= 200);
            for (String line : acknowledged) {
                String[] parts = line.split(" ");
                byte[] bytes = Files.readAllBytes(sources.resolve(parts[1]));
                Digest digest = Digest.sha256(bytes);
                Path chunk = StorePaths.chunk(fixture.store, digest);
                assertTrue(
                        java.util.Arrays.equals(bytes, Files.readAllBytes(chunk)), "chunk of acknowledged " + parts[0]);
                Path receipt = fixture.store.resolve("receipts").resolve(parts[0]);
                assertEquals(
                        digest.toString(),
                        Files.readSymbolicLink(receipt).getFileName().toString(),
                        "receipt of acknowledged " + parts[0]);
            }
            assertTrue(fixture.verify().bad().isEmpty());
        }
    }

    /** Starts {@code count} shell loops running {@code script} in the mount, each with its number in $W. */
    private static List<Process> startWriters(MountFixture fixture, String script, int count)
            throws java.io.IOException {
        List<Process> writers = new java.util.ArrayList<>();
        for (int w = 0; w < count; w++) {
            ProcessBuilder builder = new ProcessBuilder("bash", "-c", script).directory(fixture.mnt.toFile());
            builder.environment().put("W", Integer.toString(w));
            writers.add(builder.redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start());
        }
        return writers;
    }

    /**
     * Once the writers acknowledged {@code count} files in {@code done}, kills the mount with -9 and waits for
     * it and the writers to end. The acknowledgements are lines in files: polled, as no event announces them.
     */
    private void killMountOnceAcknowledged(MountFixture fixture, List<Process> writers, Path done, int count)
            throws Exception {
        Await.until(Duration.ofMinutes(5), count + " acknowledged writes", () -> {
            assertTrue(writers.get(0).isAlive(), "writers died early");
            return countLines(done) >= count;
        });
        Shell.run(dir, Map.of(), List.of("kill", "-9", Long.toString(fixture.pid())), 10)
                .ok();
        assertTrue(fixture.process().waitFor(30, TimeUnit.SECONDS));
        for (Process process : writers) {
            assertTrue(process.waitFor(60, TimeUnit.SECONDS), "writers stop once the mount is gone");
        }
    }

    /** Every line the writers wrote to their files in {@code done}, each after a cp that exited 0. */
    private static List<String> acknowledged(Path done) throws java.io.IOException {
        List<String> lines = new java.util.ArrayList<>();
        try (Stream<Path> files = Files.list(done)) {
            for (Path file : files.toList()) {
                lines.addAll(Files.readAllLines(file));
            }
        }
        return lines;
    }

    private static long countLines(Path done) throws Exception {
        long lines = 0;
        try (Stream<Path> files = Files.list(done)) {
            for (Path file : files.toList()) {
                lines += Files.readAllLines(file).size();
            }
        }
        return lines;
    }
}

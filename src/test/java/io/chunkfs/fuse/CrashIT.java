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
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
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
        List<Integer> gcExits;
        try (GcLoop gc = new GcLoop(fixture.store, dir.resolve("gc.log"))) {
            // Kill the mount only once a collection has run to its end beside the writers.
            Await.until(Duration.ofMinutes(2), "a gc ran to its end", () -> {
                assertTrue(gc.exits().stream().allMatch(exit -> exit == 0), () -> "a gc failed: " + gcLog());
                return !gc.exits().isEmpty();
            });
            // Let some files through, then kill the mount mid-flight.
            killMountOnceAcknowledged(fixture, writers, done, 100);
            gcExits = gc.stop();
        }
        assertTrue(
                !gcExits.isEmpty() && gcExits.stream().allMatch(exit -> exit == 0),
                () -> "every gc exited 0: " + gcExits + "; gc.log: " + gcLog());
        awaitUnmounted(fixture);

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

    /**
     * Collections one after another ({@code gc --margin 1h}, each in its own JVM, output appended to {@code log}),
     * started from a thread of this JVM: stopping waits for the one running to end, so no gc outlives its round
     * (one left running would hold the gc lock, and the next round's first gc would fail), and each exit status is
     * kept. Closing without {@link #stop} kills the running one.
     */
    private static final class GcLoop implements AutoCloseable {
        private final List<Integer> exits = new java.util.concurrent.CopyOnWriteArrayList<>();
        private final AtomicBoolean stopping = new AtomicBoolean();
        private final AtomicReference<Process> running = new AtomicReference<>();
        private final java.util.concurrent.CompletableFuture<Void> loop;

        GcLoop(Path store, Path log) {
            loop = java.util.concurrent.CompletableFuture.runAsync(() -> {
                try {
                    while (!stopping.get()) {
                        Process gc = new ProcessBuilder(
                                        "java", "-jar", Shell.JAR, "-s", store.toString(), "gc", "--margin", "1h")
                                .redirectErrorStream(true)
                                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                                .start();
                        running.set(gc);
                        exits.add(gc.waitFor());
                    }
                } catch (java.io.IOException | InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
        }

        /** The exit status of each collection that ended so far. */
        List<Integer> exits() {
            return List.copyOf(exits);
        }

        /** Lets the running collection end, starts no other; returns every exit status. */
        List<Integer> stop() throws Exception {
            stopping.set(true);
            loop.get(3, TimeUnit.MINUTES);
            return exits();
        }

        @Override
        public void close() {
            stopping.set(true);
            Process gc = running.get();
            if (gc != null && gc.isAlive()) {
                gc.destroyForcibly();
            }
        }
    }

    /**
     * Waits for auto_unmount to take the killed mount away. It once took longer than a minute in CI; should it
     * again, the failure says what was still running (fusermount's watcher, gc, writers) and in which wait.
     */
    private void awaitUnmounted(MountFixture fixture) throws Exception {
        try {
            fixture.awaitMounted(false);
        } catch (AssertionError e) {
            String processes = Shell.run(
                            dir,
                            Map.of(),
                            List.of(
                                    "bash",
                                    "-c",
                                    "ps -eo pid,ppid,stat,wchan:32,args | grep -E 'fusermount|chunkfs|cp '"),
                            10)
                    .out();
            throw new AssertionError(e.getMessage() + "\nprocesses:\n" + processes, e);
        }
    }

    private String gcLog() {
        try {
            return Files.readString(dir.resolve("gc.log"));
        } catch (java.io.IOException e) {
            return e.toString();
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

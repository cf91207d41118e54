package io.chunkfs.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkfs.store.Digest;
import io.chunkfs.store.VerifyResult;
import io.chunkfs.testing.Await;
import io.chunkfs.testing.Shell;
import io.chunkfs.testing.StorePaths;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 of the mount while writers copy, rename and remove files and collections run loses nothing that was
 * acknowledged. Three seeded rounds in the normal suite; {@code -Dsoak=30m} repeats rounds for that long.
 */
class CrashIT {
    private static final long SEED = 20261207;
    private static final int ROUNDS = 3;
    private static final int WRITERS = 6;

    @TempDir
    Path dir;

    /**
     * Round after round on one store: writers each copy files in (cp), rename (mv) and remove (rm) their own,
     * logging each step before it starts and once it returned, beside a loop of collections; the mount is killed
     * with -9 at a seeded point. Then the store holds, for each writer, exactly the names of every step that
     * returned (and maybe of the one it was in when the mount died): a killed process loses nothing, whatever was
     * made durable, since what it wrote is in the page cache. Every name has its chunk with the file's bytes,
     * verify finds nothing damaged, and the next mount just works.
     */
    @Test
    void killDuringWritesRenamesRemovalsAndGc() throws Exception {
        long deadline = System.currentTimeMillis()
                + io.chunkfs.cli.DurationConverter.parse(System.getProperty("soak", "0s"))
                        .toMillis();
        Random rounds = new Random(SEED);
        try (MountFixture fixture = new MountFixture(dir).mount()) {
            Map<String, Digest> names = new TreeMap<>();
            int round = 0;
            do {
                names = crashOnce(fixture, round++, rounds.nextLong(), names);
            } while (round < ROUNDS || System.currentTimeMillis() < deadline);
        }
    }

    private Map<String, Digest> crashOnce(MountFixture fixture, int round, long seed, Map<String, Digest> before)
            throws Exception {
        Random random = new Random(seed);
        int killAfter = 60 + random.nextInt(120);
        String where = "round " + round + " (seed " + seed + ", kill after " + killAfter + " steps)";
        Path done = Files.createDirectories(dir.resolve("done-" + round));
        Path sources = Files.createDirectories(dir.resolve("src-" + round));
        // Each writer's choices follow its seed ($RANDOM); each step is logged before ("do ...") and after ("ok").
        String writer = "RANDOM=$SEED; i=0; names=(); log=" + done + "/$W\n"
                + "while :; do i=$((i+1)); op=$((RANDOM % 10)); n=r" + round + "w$W-$i\n"
                + "  if [ $op -lt 6 ] || [ ${#names[@]} -eq 0 ]; then\n"
                + "    f=" + sources + "/$n; head -c $(( (RANDOM % 200 + 1) * 1024 )) /dev/urandom > $f\n"
                + "    echo \"do put $n $f\" >> $log; cp $f incoming/$n || exit 0; names+=($n)\n"
                + "  elif [ $op -lt 8 ]; then\n"
                + "    k=$((RANDOM % ${#names[@]})); a=${names[$k]}\n"
                + "    echo \"do mv $a $n\" >> $log; mv incoming/$a incoming/$n || exit 0; names[$k]=$n\n"
                + "  else\n"
                + "    k=$((RANDOM % ${#names[@]})); a=${names[$k]}\n"
                + "    echo \"do rm $a\" >> $log; rm incoming/$a || exit 0\n"
                + "    names=(\"${names[@]:0:$k}\" \"${names[@]:$((k+1))}\")\n"
                + "  fi\n"
                + "  echo ok >> $log\n"
                + "done\n";
        List<Process> writers = new java.util.ArrayList<>();
        for (int w = 0; w < WRITERS; w++) {
            writers.add(startWriter(fixture, writer, w, Map.of("SEED", Integer.toString(1 + random.nextInt(32767)))));
        }
        List<Integer> gcExits;
        try (GcLoop gc = new GcLoop(fixture.store, dir.resolve("gc.log"))) {
            // Kill the mount only once a collection has run to its end beside the writers.
            Await.until(Duration.ofMinutes(2), "a gc ran to its end", () -> {
                assertTrue(gc.exits().stream().allMatch(exit -> exit == 0), () -> "a gc failed: " + gcLog());
                return !gc.exits().isEmpty();
            });
            killMountOnceAcknowledged(fixture, writers, () -> countLines(done, "ok"::equals) >= killAfter);
            gcExits = gc.stop();
        }
        assertTrue(
                !gcExits.isEmpty() && gcExits.stream().allMatch(exit -> exit == 0),
                () -> "every gc exited 0: " + gcExits + "; gc.log: " + gcLog());
        boolean autoUnmounted = awaitUnmountedOrDead(fixture);

        Map<String, Digest> names = fixture.receipts();
        Map<String, Digest> others = new TreeMap<>(names);
        others.keySet().removeIf(name -> name.startsWith("r" + round + "w"));
        assertEquals(before, others, where + ": the names of earlier rounds");
        int acknowledged = 0;
        List<String> inFlight = new java.util.ArrayList<>();
        for (int w = 0; w < WRITERS; w++) {
            String prefix = "r" + round + "w" + w + "-";
            Map<String, Digest> mine = new TreeMap<>(names);
            mine.keySet().removeIf(name -> !name.startsWith(prefix));
            WriterLog log = WriterLog.replay(done.resolve(Integer.toString(w)));
            acknowledged += log.steps();
            if (log.pending() != null) {
                inFlight.add(log.pending().replaceFirst(" /.*", "")
                        + (mine.equals(log.alternative()) && !log.alternative().equals(log.expected())
                                ? " (done)"
                                : ""));
            }
            assertTrue(
                    mine.equals(log.expected()) || mine.equals(log.alternative()) || mine.equals(log.created()),
                    where + ", writer " + w + ": names " + mine + ", expected those of every step that returned, "
                            + log.expected() + (log.pending() == null ? "" : ", with or without " + log.pending()));
        }
        assertTrue(acknowledged >= killAfter, where + ": " + acknowledged + " steps returned");
        System.out.printf(
                java.util.Locale.ROOT,
                "kill -9 of the mount, %s: %d steps returned, %d in flight (%s), %d names%s%n",
                where,
                acknowledged,
                inFlight.size(),
                String.join("; ", inFlight),
                names.size(),
                autoUnmounted ? "" : "; auto_unmount left a dead mount");
        for (Map.Entry<String, Digest> name : names.entrySet()) {
            Path chunk = StorePaths.chunk(fixture.store, name.getValue());
            assertTrue(Files.isRegularFile(chunk, LinkOption.NOFOLLOW_LINKS), where + ": chunk of " + name.getKey());
        }
        VerifyResult verify = fixture.verify();
        assertTrue(verify.bad().isEmpty(), where + ": no partial chunk at any digest path: " + verify.bad());

        // The next mount just works, and start-up removes what the killed process left in .tmp.
        remount(fixture);
        fixture.sh("echo after > incoming/after-" + round + " && cat incoming/after-" + round)
                .ok();
        try (Stream<Path> temps = Files.list(fixture.store.resolve(".tmp"))) {
            assertEquals(0, temps.count(), "leftover temporary files are removed at the next start");
        }
        names.put("after-" + round, Digest.sha256(("after\n").getBytes(StandardCharsets.UTF_8)));
        return names;
    }

    /**
     * One writer's log: the names after every step that returned ({@code expected}), and after the step it was in
     * when the mount died too ({@code alternative}; the same if it was in none); {@code created} has the file that
     * step was writing under a new name as open(2) made it, empty (as on ext4, a file being written when the
     * power went may come back empty).
     */
    private record WriterLog(
            Map<String, Digest> expected,
            Map<String, Digest> alternative,
            Map<String, Digest> created,
            String pending,
            int steps) {
        static WriterLog replay(Path log) throws java.io.IOException {
            Map<String, Digest> names = new TreeMap<>();
            String pending = null;
            int steps = 0;
            for (String line : Files.exists(log) ? Files.readAllLines(log) : List.<String>of()) {
                if (line.equals("ok")) {
                    apply(names, pending);
                    pending = null;
                    steps++;
                } else {
                    pending = line.substring("do ".length());
                }
            }
            Map<String, Digest> alternative = new TreeMap<>(names);
            apply(alternative, pending);
            Map<String, Digest> created = new TreeMap<>(names);
            if (pending != null && pending.startsWith("put ") && !names.containsKey(pending.split(" ")[1])) {
                created.put(pending.split(" ")[1], Digest.sha256(new byte[0]));
            }
            return new WriterLog(names, alternative, created, pending, steps);
        }

        private static void apply(Map<String, Digest> names, String step) throws java.io.IOException {
            if (step == null) {
                return;
            }
            String[] words = step.split(" ");
            switch (words[0]) {
                case "put" -> names.put(words[1], Digest.sha256(Files.readAllBytes(Path.of(words[2]))));
                case "mv" -> names.put(words[2], names.remove(words[1]));
                case "rm" -> names.remove(words[1]);
                default -> throw new IllegalStateException(step);
            }
        }
    }

    /**
     * Writers copying identical bytes under different names, kill -9 of the mount, then the page cache
     * dropped: every acknowledged file's chunk and name is there, read back from disk with the right bytes.
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
            awaitUnmountedOrDead(fixture);
            Shell.run(dir, Map.of(), List.of("bash", "-c", "sync; echo 3 > /proc/sys/vm/drop_caches"), 60)
                    .ok();

            List<String> acknowledged = acknowledged(done);
            assertTrue(acknowledged.size() >= 200);
            Map<String, Digest> names = fixture.receipts();
            for (String line : acknowledged) {
                String[] parts = line.split(" ");
                byte[] bytes = Files.readAllBytes(sources.resolve(parts[1]));
                Digest digest = Digest.sha256(bytes);
                Path chunk = StorePaths.chunk(fixture.store, digest);
                assertTrue(
                        java.util.Arrays.equals(bytes, Files.readAllBytes(chunk)), "chunk of acknowledged " + parts[0]);
                assertEquals(digest, names.get(parts[0]), "name of acknowledged " + parts[0]);
            }
            assertTrue(fixture.verify().bad().isEmpty());
        }
    }

    /** Starts {@code count} shell loops running {@code script} in the mount, each with its number in $W. */
    private static List<Process> startWriters(MountFixture fixture, String script, int count)
            throws java.io.IOException {
        List<Process> writers = new java.util.ArrayList<>();
        for (int w = 0; w < count; w++) {
            writers.add(startWriter(fixture, script, w, Map.of()));
        }
        return writers;
    }

    /** Starts a shell loop running {@code script} in the mount, with its number in $W and {@code environment}. */
    private static Process startWriter(MountFixture fixture, String script, int w, Map<String, String> environment)
            throws java.io.IOException {
        ProcessBuilder builder = new ProcessBuilder("bash", "-c", script).directory(fixture.mnt.toFile());
        builder.environment().put("W", Integer.toString(w));
        builder.environment().putAll(environment);
        return builder.redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
    }

    /**
     * Once the writers acknowledged {@code count} files in {@code done}, kills the mount with -9 and waits for
     * it and the writers to end. The acknowledgements are lines in files: polled, as no event announces them.
     */
    private void killMountOnceAcknowledged(MountFixture fixture, List<Process> writers, Path done, int count)
            throws Exception {
        killMountOnceAcknowledged(fixture, writers, () -> countLines(done, line -> true) >= count);
    }

    /** Once {@code acknowledged} holds, kills the mount with -9 and waits for it and the writers to end. */
    private void killMountOnceAcknowledged(
            MountFixture fixture, List<Process> writers, java.util.concurrent.Callable<Boolean> acknowledged)
            throws Exception {
        Await.until(Duration.ofMinutes(5), "acknowledged writes", () -> {
            assertTrue(writers.get(0).isAlive(), "writers died early");
            return acknowledged.call();
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
     * Waits for the killed mount to go. auto_unmount's watcher (fusermount) unmounts it once the mount process is
     * gone, but only if opening the mount point then fails with ENOTCONN, and it looks once, when the process's
     * control socket closes. That can be before the process's /dev/fuse descriptor is closed and the connection
     * aborted, and an open in that moment fails otherwise (as a request in flight does: ECONNABORTED): the watcher
     * then exits and leaves a dead mount (seen here in about one kill of ten, under load). The next chunkfs mount
     * clears a dead mount (Mounter.checkMountPoint), so a mount that stays must be dead, and {@link #remount}
     * checks that the next mount serves. Returns whether auto_unmount took the mount away.
     */
    private boolean awaitUnmountedOrDead(MountFixture fixture) throws Exception {
        // The watcher unmounts within milliseconds when it does; the mount's attributes stay cached for 1 s.
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (fixture.isMounted()) {
            if (System.nanoTime() > deadline) {
                try {
                    Files.readAttributes(fixture.mnt, java.nio.file.attribute.BasicFileAttributes.class);
                } catch (java.nio.file.FileSystemException e) {
                    assertTrue(
                            String.valueOf(e.getMessage()).contains("Transport endpoint is not connected"),
                            "the mount left behind is dead: " + e);
                    System.out.println("auto_unmount left a dead mount behind: the next mount clears it");
                    return false;
                }
                if (!fixture.isMounted()) {
                    return true;
                }
                String processes = Shell.run(
                                dir,
                                Map.of(),
                                List.of(
                                        "bash",
                                        "-c",
                                        "ps -eo pid,ppid,stat,wchan:32,args | grep -E 'fusermount|chunkfs|cp '; "
                                                + "echo holders of /dev/fuse or the mount:; "
                                                + "ls -l /proc/[0-9]*/fd /proc/[0-9]*/cwd 2>/dev/null"
                                                + " | grep -E '/dev/fuse|" + fixture.mnt + "'"),
                                10)
                        .out();
                throw new AssertionError("the killed mount still answers; processes:\n" + processes);
            }
            Thread.sleep(20);
        }
        return true;
    }

    /** Mounts again (clearing a dead mount left behind, see {@link #awaitUnmountedOrDead}) and waits until it serves. */
    private static void remount(MountFixture fixture) throws Exception {
        fixture.mount();
        // With a dead mount left behind, the mount table showed a chunkfs mount at once: wait for the new one.
        Await.until(MountFixture.READY, "the next mount serves incoming/", () -> {
            if (!fixture.process().isAlive()) {
                throw new AssertionError("the next mount exited: " + Files.readString(fixture.log));
            }
            return Files.isDirectory(fixture.mnt.resolve("incoming"));
        });
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

    private static long countLines(Path done, java.util.function.Predicate<String> counted) throws Exception {
        long lines = 0;
        try (Stream<Path> files = Files.list(done)) {
            for (Path file : files.toList()) {
                lines += Files.readAllLines(file).stream().filter(counted).count();
            }
        }
        return lines;
    }
}

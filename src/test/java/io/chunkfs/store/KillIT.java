package io.chunkfs.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.chunkfs.Stores;
import io.chunkfs.testing.Receipts;
import io.chunkfs.testing.Shell;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code kill -9} of a process writing, replacing, renaming and removing files and running collections on a store
 * ({@link KillWorkload}), at seeded random points, round after round on the same store: after each kill the store
 * opens, holds exactly the names of every step the process saw return (and maybe the one it was in), each naming
 * a chunk that is there with its bytes, no collection ever removed a name's chunk, and {@code chunkfs verify}
 * finds nothing damaged or missing. A killed process loses nothing it acknowledged, whatever the sync level: its
 * writes are in the kernel's page cache, so this checks the order and atomicity of what the store does (a name
 * only for a published chunk, one transaction per change, a sweep cut short put back), not its fsyncs (see
 * {@code CrashTest} for power cuts).
 */
class KillIT {
    private static final long SEED = 20261207;
    private static final int ROUNDS = 8;

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(
            value = SyncLevel.class,
            names = {"FILE", "FILESYSTEM"})
    void killNineLosesNothingThatReturned(SyncLevel level) throws Exception {
        Path store = dir.resolve("store");
        Stores.init(store);
        Random rounds = new Random(SEED + level.ordinal());
        Map<String, Digest> names = new TreeMap<>();
        int steps = 0;
        int duringGc = 0;
        int inFlight = 0;
        long removed = 0;
        for (int round = 0; round < ROUNDS; round++) {
            long seed = rounds.nextLong();
            int killAfter = 5 + rounds.nextInt(150);
            boolean waitForGc = rounds.nextBoolean();
            String where = "round " + round + " (seed " + seed + ", kill after " + killAfter + " steps"
                    + (waitForGc ? " once a collection runs" : "") + ")";
            Path log = dir.resolve("round-" + round + ".log");
            Process child = start(store, level, seed, round, log);
            try {
                awaitKillPoint(child, log, killAfter, waitForGc, where);
            } finally {
                // SIGKILL: the process gets no chance to do anything more.
                child.destroyForcibly();
                assertTrue(child.waitFor(30, TimeUnit.SECONDS), where + ": the killed process is gone");
            }
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            Model model = Model.replay(names, lines, where);
            steps += model.steps;
            duringGc += model.gcRunning ? 1 : 0;
            inFlight += model.pending != null ? 1 : 0;
            removed += model.removedChunks;
            names = check(store, model, where);
        }
        System.out.printf(
                Locale.ROOT,
                "kill -9, sync=%s: %d rounds, %d steps returned, %d kills during a step, %d during a collection,"
                        + " %d chunks removed by collections, %d names at the end%n",
                level.name().toLowerCase(Locale.ROOT),
                ROUNDS,
                steps,
                inFlight,
                duringGc,
                removed,
                names.size());
    }

    private Process start(Path store, SyncLevel level, long seed, int round, Path log) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                // Quick to start: this JVM is killed within seconds.
                "-XX:TieredStopAtLevel=1",
                "-cp",
                System.getProperty("java.class.path"),
                KillWorkload.class.getName(),
                store.toString(),
                level.name(),
                Long.toString(seed),
                Integer.toString(round)));
        return new ProcessBuilder(command)
                .redirectOutput(log.toFile())
                .redirectError(ProcessBuilder.Redirect.appendTo(
                        dir.resolve("workload.err").toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .start();
    }

    /**
     * Waits until the process acknowledged {@code steps} steps and, if {@code duringGc}, until a collection is
     * running: the log is polled, as nothing announces a line.
     */
    private static void awaitKillPoint(Process child, Path log, int steps, boolean duringGc, String where)
            throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            if (!child.isAlive()) {
                fail(where + ": the workload exited with " + child.exitValue() + "; log: " + Files.readString(log));
            }
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            long acknowledged = lines.stream().filter("w ok"::equals).count();
            String lastGc = null;
            for (String line : lines) {
                if (line.startsWith("g ")) {
                    lastGc = line;
                }
            }
            if (lastGc != null && lastGc.startsWith("g failed")) {
                fail(where + ": a collection failed: " + lastGc);
            }
            if (acknowledged >= steps && (!duringGc || "g do".equals(lastGc))) {
                return;
            }
            if (System.nanoTime() > deadline) {
                fail(where + ": no kill point within 60 s; log ends "
                        + lines.subList(Math.max(0, lines.size() - 5), lines.size()));
            }
            Thread.sleep(2);
        }
    }

    /**
     * What the killed process's log says the names must be: {@link #expected} after every step that returned, or
     * {@link #alternative} if the step it was in (if any) went through too.
     */
    private record Model(
            Map<String, Digest> expected,
            Map<String, Digest> alternative,
            String pending,
            int steps,
            boolean gcRunning,
            long removedChunks) {
        static Model replay(Map<String, Digest> before, List<String> lines, String where) {
            Map<String, Digest> names = new TreeMap<>(before);
            String pending = null;
            int steps = 0;
            boolean gcRunning = false;
            long removedChunks = 0;
            for (String line : lines) {
                if (line.equals("w ok")) {
                    apply(names, pending);
                    pending = null;
                    steps++;
                } else if (line.startsWith("w do ")) {
                    assertEquals(null, pending, where + ": a step began before the last one returned");
                    pending = line.substring("w do ".length());
                } else if (line.equals("g do")) {
                    gcRunning = true;
                } else if (line.startsWith("g ok ")) {
                    gcRunning = false;
                    removedChunks += Long.parseLong(line.split(" ")[2]);
                    assertEquals(
                            "0",
                            line.split(" ")[3],
                            where + ": a collection removed names whose chunk it removed: " + line);
                } else if (!line.isEmpty()) {
                    fail(where + ": the workload said " + line);
                }
            }
            Map<String, Digest> alternative = new TreeMap<>(names);
            apply(alternative, pending);
            return new Model(names, alternative, pending, steps, gcRunning, removedChunks);
        }

        private static void apply(Map<String, Digest> names, String step) {
            if (step == null) {
                return;
            }
            String[] words = step.split(" ");
            switch (words[0]) {
                case "put" -> names.put(words[1], Digest.parse(words[2]));
                case "mv" -> names.put(words[2], names.remove(words[1]));
                case "rm" -> names.remove(words[1]);
                case "sync" -> {}
                default -> throw new IllegalStateException(step);
            }
        }
    }

    /** Opens the store the killed process left and checks it; returns its names. */
    private static Map<String, Digest> check(Path store, Model model, String where) throws Exception {
        Map<String, Digest> names = new TreeMap<>();
        try (ChunkStore opened = Stores.open(store)) {
            for (Receipts.Receipt receipt : Receipts.of(opened).list()) {
                names.put(receipt.name(), receipt.digest());
            }
            assertTrue(
                    names.equals(model.expected()) || names.equals(model.alternative()),
                    where + ": the names after the kill " + difference(names, model.expected())
                            + " differ from those of every step that returned"
                            + (model.pending() == null ? "" : " (with or without '" + model.pending() + "')"));
            for (Map.Entry<String, Digest> name : names.entrySet()) {
                // A verified read: the whole chunk is hashed first.
                byte[] bytes = opened.loadChunk(name.getValue());
                assertEquals(name.getValue(), Digest.sha256(bytes), where + ": the chunk of " + name.getKey());
            }
        }
        // The CLI opens it too, and re-hashes every chunk: nothing damaged, nothing missing.
        Shell.Result verify = Shell.run(
                store.getParent(),
                Map.of(),
                List.of("java", "-XX:TieredStopAtLevel=1", "-jar", Shell.JAR, "-s", store.toString(), "verify"),
                120);
        assertEquals(0, verify.exit(), where + ": chunkfs verify: " + verify.out() + verify.err());
        assertTrue(verify.out().contains(" 0 bad, 0 damaged entries, 0 missing"), where + ": " + verify.out());
        return names;
    }

    /** What {@code actual} has that {@code expected} has not, and the other way round, for a message. */
    private static String difference(Map<String, Digest> actual, Map<String, Digest> expected) {
        Map<String, Digest> extra = new TreeMap<>();
        actual.forEach((name, digest) -> {
            if (!digest.equals(expected.get(name))) {
                extra.put(name, digest);
            }
        });
        Map<String, Digest> missing = new TreeMap<>();
        expected.forEach((name, digest) -> {
            if (!digest.equals(actual.get(name))) {
                missing.put(name, digest);
            }
        });
        return "(unexpected " + extra + ", missing " + missing + ")";
    }
}

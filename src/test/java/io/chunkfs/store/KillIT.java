package io.chunkfs.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.chunkfs.Stores;
import io.chunkfs.testing.Shell;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code kill -9} of a process writing, replacing, renaming, hard-linking and removing files in nested folders,
 * making, renaming and removing folders, and running collections on a store ({@link KillWorkload}), at seeded random
 * points, round after round on the same store: after each kill the store opens, its tree is whole (link counts add
 * up) and is exactly the tree of every step the process saw return (and maybe the one it was in): the same folders,
 * every file at its path naming its chunk, which is there with its bytes, and names of one inode exactly where hard
 * links made them; no collection ever removed a name's chunk, and {@code chunkfs verify} finds nothing damaged or
 * missing. A killed process loses nothing it acknowledged, whatever the sync level: its
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
        Tree names = Tree.empty();
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
                        + " %d chunks removed by collections, %d files (%d with hard links) in %d folders at the end%n",
                level.name().toLowerCase(Locale.ROOT),
                ROUNDS,
                steps,
                inFlight,
                duringGc,
                removed,
                names.files().size(),
                names.linked(),
                names.folders().size());
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
     * A tree as this test sees it: every folder's path, every regular file's path with its chunk, and which paths
     * name one inode (each path's inode group: equal for the names of one inode). Paths start with {@code /}.
     */
    record Tree(SortedSet<String> folders, SortedMap<String, Digest> files, Map<String, String> inodes) {
        static Tree empty() {
            return new Tree(new TreeSet<>(), new TreeMap<>(), new HashMap<>());
        }

        Tree copy() {
            return new Tree(new TreeSet<>(folders), new TreeMap<>(files), new HashMap<>(inodes));
        }

        /** The tree a store holds; fails the test where it is not a whole tree. */
        static Tree of(Namespace namespace) throws IOException {
            Tree tree = empty();
            NamespaceWalk.check(namespace).byPath().forEach((path, entry) -> {
                if (entry.isFolder()) {
                    tree.folders.add(path);
                } else if (entry.type() == EntryType.REGULAR) {
                    tree.files.put(path, entry.digest());
                    tree.inodes.put(path, "inode " + entry.inode());
                } else {
                    throw new AssertionError(path + " is neither a folder nor a regular file: " + entry);
                }
            });
            return tree;
        }

        /** The paths that name each inode with more than one name. */
        Set<Set<String>> hardLinks() {
            Map<String, Set<String>> byInode = new HashMap<>();
            inodes.forEach((path, inode) ->
                    byInode.computeIfAbsent(inode, key -> new TreeSet<>()).add(path));
            Set<Set<String>> linked = new HashSet<>();
            byInode.values().stream().filter(paths -> paths.size() > 1).forEach(linked::add);
            return linked;
        }

        long linked() {
            return hardLinks().stream().mapToLong(Set::size).sum();
        }

        boolean sameAs(Tree other) {
            return folders.equals(other.folders)
                    && files.equals(other.files)
                    && hardLinks().equals(other.hardLinks());
        }

        /** Applies one step of the log ({@code w do ...} without its prefix); {@code id} names a new inode. */
        void apply(String step, String id) {
            String[] words = step.split(" ");
            switch (words[0]) {
                case "put" -> {
                    files.put(words[1], Digest.parse(words[2]));
                    inodes.put(words[1], id);
                }
                case "mv" -> {
                    String from = words[1];
                    String to = words[2];
                    // Onto another name of the same inode (or itself) a rename does nothing.
                    if (!inodes.get(from).equals(inodes.get(to))) {
                        files.put(to, files.remove(from));
                        inodes.put(to, inodes.remove(from));
                    }
                }
                case "ln" -> {
                    files.put(words[2], files.get(words[1]));
                    inodes.put(words[2], inodes.get(words[1]));
                }
                case "rm" -> {
                    files.remove(words[1]);
                    inodes.remove(words[1]);
                }
                case "mkdir" -> folders.add(words[1]);
                case "rmdir" -> folders.remove(words[1]);
                case "mvdir" -> {
                    String from = words[1];
                    String to = words[2];
                    SortedSet<String> movedFolders = new TreeSet<>();
                    for (String folder : folders) {
                        movedFolders.add(moved(folder, from, to));
                    }
                    folders.clear();
                    folders.addAll(movedFolders);
                    SortedMap<String, Digest> movedFiles = new TreeMap<>();
                    files.forEach((path, digest) -> movedFiles.put(moved(path, from, to), digest));
                    files.clear();
                    files.putAll(movedFiles);
                    Map<String, String> movedInodes = new HashMap<>();
                    inodes.forEach((path, inode) -> movedInodes.put(moved(path, from, to), inode));
                    inodes.clear();
                    inodes.putAll(movedInodes);
                }
                case "sync" -> {}
                default -> throw new IllegalStateException(step);
            }
        }

        private static String moved(String path, String from, String to) {
            return path.equals(from) || path.startsWith(from + "/") ? to + path.substring(from.length()) : path;
        }

        @Override
        public String toString() {
            return "folders " + folders + ", files " + files + ", hard links " + hardLinks();
        }
    }

    /**
     * What the killed process's log says the tree must be: {@link #expected} after every step that returned, or
     * {@link #alternative} if the step it was in (if any) went through too.
     */
    private record Model(
            Tree expected, Tree alternative, String pending, int steps, boolean gcRunning, long removedChunks) {
        static Model replay(Tree before, List<String> lines, String where) {
            Tree tree = before.copy();
            String pending = null;
            int steps = 0;
            boolean gcRunning = false;
            long removedChunks = 0;
            int line = 0;
            for (String text : lines) {
                line++;
                if (text.equals("w ok")) {
                    if (pending != null) {
                        tree.apply(pending, where + " line " + line);
                    }
                    pending = null;
                    steps++;
                } else if (text.startsWith("w do ")) {
                    assertEquals(null, pending, where + ": a step began before the last one returned");
                    pending = text.substring("w do ".length());
                } else if (text.equals("g do")) {
                    gcRunning = true;
                } else if (text.startsWith("g ok ")) {
                    gcRunning = false;
                    removedChunks += Long.parseLong(text.split(" ")[2]);
                    assertEquals(
                            "0",
                            text.split(" ")[3],
                            where + ": a collection removed names whose chunk it removed: " + text);
                } else if (!text.isEmpty()) {
                    fail(where + ": the workload said " + text);
                }
            }
            Tree alternative = tree.copy();
            if (pending != null) {
                alternative.apply(pending, where + " the last step");
            }
            return new Model(tree, alternative, pending, steps, gcRunning, removedChunks);
        }
    }

    /** Opens the store the killed process left and checks it; returns its tree. */
    private static Tree check(Path store, Model model, String where) throws Exception {
        Tree tree;
        try (ChunkStore opened = Stores.open(store)) {
            try {
                tree = Tree.of(opened.tree());
            } catch (AssertionError e) {
                throw new AssertionError(where + ": the tree after the kill is not whole: " + e.getMessage(), e);
            }
            assertTrue(
                    tree.sameAs(model.expected()) || tree.sameAs(model.alternative()),
                    where + ": the tree after the kill " + difference(tree, model.expected())
                            + " differs from that of every step that returned"
                            + (model.pending() == null ? "" : " (with or without '" + model.pending() + "')"));
            for (Map.Entry<String, Digest> file : tree.files().entrySet()) {
                // A verified read: the whole chunk is hashed first.
                byte[] bytes = opened.loadChunk(file.getValue());
                assertEquals(file.getValue(), Digest.sha256(bytes), where + ": the chunk of " + file.getKey());
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
        assertTrue(verify.out().contains(" 0 names without their chunk"), where + ": " + verify.out());
        return tree;
    }

    /** What {@code actual} has that {@code expected} has not, and the other way round, for a message. */
    private static String difference(Tree actual, Tree expected) {
        return "(files " + difference(actual.files(), expected.files()) + "; folders unexpected "
                + difference(actual.folders(), expected.folders()) + ", missing "
                + difference(expected.folders(), actual.folders()) + "; hard links " + actual.hardLinks()
                + ", expected " + expected.hardLinks() + ")";
    }

    private static SortedSet<String> difference(Set<String> from, Set<String> minus) {
        SortedSet<String> left = new TreeSet<>(from);
        left.removeAll(minus);
        return left;
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

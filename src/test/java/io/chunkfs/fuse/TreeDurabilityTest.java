package io.chunkfs.fuse;

import static io.chunkfs.fuse.MountlessTree.CALLER;
import static io.chunkfs.fuse.MountlessTree.cString;
import static io.chunkfs.testing.TestBytes.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.chunkfs.Stores;
import io.chunkfs.store.ChunkStore;
import io.chunkfs.store.Digest;
import io.chunkfs.store.Entry;
import io.chunkfs.store.EntryType;
import io.chunkfs.store.Namespace;
import io.chunkfs.store.NamespaceWalk;
import io.chunkfs.store.Progress;
import io.chunkfs.store.SyncLevel;
import io.chunkfs.store.Verifier;
import io.chunkfs.store.VerifyResult;
import io.chunkfs.store.local.PowerCutStore;
import io.chunkfs.testing.CrashFolders;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tree's durability promises (README, "Durability"; {@link Namespace}) kept by the mount's node handlers, under
 * simulated power cuts: the store runs through {@code CrashingSyscalls} and {@code CrashingTree} ({@link
 * PowerCutStore}), the test drives {@code incoming/} as {@link ChunkFs} does ({@link MountlessTree}; fsyncdir through
 * ChunkFs's raw-pointer callback), and the store folder and tree database a power cut after a chosen call leaves are
 * written out and opened. Under sync=file: when a written file's close returns, its chunk, its name and every
 * change of the tree before it are durable; any other change (mkdir, rename, link, symlink, mknod, chmod, setxattr,
 * unlink, rmdir) is durable at the next such close or fsyncdir; a name never points at a chunk that was not
 * durable first.
 */
class TreeDurabilityTest {
    private static final long SEED = 20260423;
    private static final Logger STORE_LOG = Logger.getLogger("io.chunkfs.store");
    private static final int S_IFIFO = 0010000;

    @TempDir
    Path dir;

    private Path crashes;

    @BeforeEach
    void makeCrashFolder() throws IOException {
        crashes = CrashFolders.create(dir, "chunkfs-tree-crash");
    }

    @AfterEach
    void removeCrashFolder() throws IOException {
        CrashFolders.delete(crashes);
    }

    @BeforeAll
    static void quiet() {
        STORE_LOG.setLevel(Level.SEVERE);
    }

    @AfterAll
    static void loud() {
        STORE_LOG.setLevel(null);
    }

    /**
     * Item by item, with a strict power cut (only what was made durable survives) right where each promise applies:
     * the close of a file written in folders just made; changes with no close after them, then an fsyncdir; a folder
     * renamed with a written file in it, then the close of another file.
     */
    @Test
    void aCloseOrAnFsyncdirMakesTheTreeSoFarDurable() throws Exception {
        Run run = new Run();
        byte[] bytes = random(5000, 1);
        Digest digest = Digest.sha256(bytes);
        run.step("mkdir -p a/b", false, () -> {
            run.node("/incoming/a").makeFolder(0755, CALLER);
            run.node("/incoming/a/b").makeFolder(0755, CALLER);
        });
        long created = run.writeFile("write a/b/f", "/incoming/a/b/f", bytes, true);

        run.step("chmod 0600 a/b/f", false, () -> run.node("/incoming/a/b/f").changeMode(0600));
        run.step("mv a/b/f a/g", false, () -> run.node("/incoming/a/b/f").renameTo(run.node("/incoming/a/g")));
        run.step("ln a/g a/b/h", false, () -> run.node("/incoming/a/g").linkTo(run.node("/incoming/a/b/h")));
        run.step(
                "ln -s b/h a/s",
                false,
                () -> run.node("/incoming/a/s").makeSymlink("b/h".getBytes(StandardCharsets.UTF_8), CALLER));
        run.step(
                "setfattr -n user.k -v v a",
                false,
                () -> run.node("/incoming/a").setXattr("user.k", "v".getBytes(StandardCharsets.UTF_8), 0));
        long changed = run.power.calls();
        run.step("fsyncdir incoming/a", true, () -> assertEquals(0, run.fs.fsyncdir(cString("/incoming/a"), 0, null)));
        long synced = run.power.calls();

        run.step("mkdir d", false, () -> run.node("/incoming/d").makeFolder(0755, CALLER));
        run.step("mv a/b d/b2", false, () -> run.node("/incoming/a/b").renameTo(run.node("/incoming/d/b2")));
        long moved = run.power.calls();
        byte[] other = random(700, 2);
        run.writeFile("write z", "/incoming/z", other, true);
        long closed = run.power.calls();
        run.close();

        // The close of a/b/f: its folders, its name with its chunk's digest, and the chunk.
        run.check(PowerCutStore.Cut.strict(created), state -> {
            assertEquals(EntryType.FOLDER, state.entry("/a").type(), "mkdir a before the close is durable");
            assertEquals(EntryType.FOLDER, state.entry("/a/b").type(), "mkdir a/b before the close is durable");
            Entry f = state.entry("/a/b/f");
            assertEquals(digest, f.digest(), "the closed file names its chunk");
            assertEquals(bytes.length, f.size());
            assertArrayEquals(bytes, state.store.loadChunk(digest), "the chunk of the closed file is durable");
        });
        // Changes with no close after them: no durability point of their own (the precondition of the next check).
        run.check(
                PowerCutStore.Cut.strict(changed),
                state -> assertEquals(
                        run.stateAfter("write a/b/f"),
                        state.tree,
                        "chmod, mv, ln, ln -s and setfattr wait for the next durability point"));
        // fsyncdir makes them durable.
        run.check(PowerCutStore.Cut.strict(synced), state -> {
            assertFalse(state.tree.containsKey("/a/b/f"), "mv a/b/f a/g is durable: " + state.tree.keySet());
            Entry g = state.entry("/a/g");
            assertEquals(digest, g.digest());
            assertEquals(0600, g.mode(), "chmod is durable");
            Entry h = state.entry("/a/b/h");
            assertEquals(g.inode(), h.inode(), "ln is durable: one inode");
            assertEquals(2, h.links(), "with two names");
            assertArrayEquals(
                    "b/h".getBytes(StandardCharsets.UTF_8), state.entry("/a/s").target(), "ln -s is durable");
            assertArrayEquals(
                    "v".getBytes(StandardCharsets.UTF_8),
                    state.store
                            .tree()
                            .xattr(state.entry("/a").inode(), "user.k")
                            .orElseThrow(),
                    "setfattr is durable");
            assertEquals(run.stateAfter("fsyncdir incoming/a"), state.tree, "everything before fsyncdir is durable");
        });
        // A folder moved with a written file in it: not durable by itself, durable at the next close of a file.
        run.check(
                PowerCutStore.Cut.strict(moved),
                state -> assertTrue(
                        state.tree.containsKey("/a/b/h") && !state.tree.containsKey("/d"),
                        "mkdir d and mv a/b d/b2 wait for the next durability point: " + state.tree.keySet()));
        run.check(PowerCutStore.Cut.strict(closed), state -> {
            assertFalse(state.tree.containsKey("/a/b"), "mv a/b d/b2 is durable: " + state.tree.keySet());
            Entry h = state.entry("/d/b2/h");
            assertEquals(digest, h.digest(), "the file moved with its folder keeps its chunk");
            assertEquals(state.entry("/a/g").inode(), h.inode());
            assertArrayEquals(bytes, state.store.loadChunk(h.digest()));
            assertEquals(Digest.sha256(other), state.entry("/z").digest());
            assertEquals(run.stateAfter("write z"), state.tree, "everything before the close of z is durable");
        });
        assertEquals(List.of(), run.power.violations(), "names only for durable chunks; promised durability points");
    }

    /**
     * Every power cut, strict and adversarial (a random prefix of each folder's pending changes and of the
     * database's commits since its last durability point kept), of a run through every kind of change of the tree:
     * nested folders, files written, rewritten in place and through a hard link, hard links, symlinks, a FIFO,
     * renames of files between folders and of folders, modes, attributes, removals. Each crash state opens; {@code
     * verify} finds no damaged chunk and no name whose chunk is missing; the tree is whole (link counts add up) and
     * is the tree after some step of the run, no older than the last durability point before the cut.
     */
    @Test
    void everyPowerCutLeavesATreeOfDurableChunksNoOlderThanTheLastDurabilityPoint() throws Exception {
        Run run = new Run();
        byte[] f1 = random(3000, 11);
        byte[] f2 = random(4100, 12);
        byte[] f3 = random(900, 13);
        byte[] f4 = random(2500, 14);
        run.step("mkdir a", false, () -> run.node("/incoming/a").makeFolder(0755, CALLER));
        run.step("mkdir a/b", false, () -> run.node("/incoming/a/b").makeFolder(0755, CALLER));
        run.step("mkdir a/b/c", false, () -> run.node("/incoming/a/b/c").makeFolder(0700, CALLER));
        run.writeFile("write a/b/c/f", "/incoming/a/b/c/f", f1, true);
        run.step("ln a/b/c/f a/l", false, () -> run.node("/incoming/a/b/c/f").linkTo(run.node("/incoming/a/l")));
        run.step("mkdir e", false, () -> run.node("/incoming/e").makeFolder(0755, CALLER));
        run.writeFile("write e/g (same bytes)", "/incoming/e/g", f1, true);
        run.step("mv a/b/c/f e/f2", false, () -> run.node("/incoming/a/b/c/f").renameTo(run.node("/incoming/e/f2")));
        run.writeFile("write e/g again", "/incoming/e/g", f2, false);
        run.step("ln e/g a/b/g2", false, () -> run.node("/incoming/e/g").linkTo(run.node("/incoming/a/b/g2")));
        run.writeFile("write through a/b/g2", "/incoming/a/b/g2", f3, false);
        run.step(
                "ln -s ../e/g a/s",
                false,
                () -> run.node("/incoming/a/s").makeSymlink("../e/g".getBytes(StandardCharsets.UTF_8), CALLER));
        run.step("mkfifo a/b/c/p", false, () -> run.node("/incoming/a/b/c/p").makeNode(S_IFIFO | 0644, 0, CALLER));
        run.step("chmod 0640 a/l", false, () -> run.node("/incoming/a/l").changeMode(0640));
        run.step(
                "setfattr a/b",
                false,
                () -> run.node("/incoming/a/b").setXattr("user.note", "x".getBytes(StandardCharsets.UTF_8), 0));
        run.step("fsyncdir incoming", true, () -> assertEquals(0, run.fs.fsyncdir(cString("/incoming"), 0, null)));
        run.step("mv a e/a2", false, () -> run.node("/incoming/a").renameTo(run.node("/incoming/e/a2")));
        run.step("rm e/a2/l", false, () -> run.node("/incoming/e/a2/l").unlink());
        run.step("rm e/a2/b/c/p", false, () -> run.node("/incoming/e/a2/b/c/p").unlink());
        run.step("rmdir e/a2/b/c", false, () -> run.node("/incoming/e/a2/b/c").removeFolder());
        run.writeFile("write e/a2/b/h", "/incoming/e/a2/b/h", f4, true);
        run.step("mv e/f2 top", false, () -> run.node("/incoming/e/f2").renameTo(run.node("/incoming/top")));
        run.step("ln top e/a2/top2", false, () -> run.node("/incoming/top").linkTo(run.node("/incoming/e/a2/top2")));
        run.step("rm e/g", false, () -> run.node("/incoming/e/g").unlink());
        run.writeFile("write e/a2/b/h again (same bytes as top)", "/incoming/e/a2/b/h", f1, false);
        run.step(
                "mv e/a2/b/g2 e/a2/b/g3",
                false,
                () -> run.node("/incoming/e/a2/b/g2").renameTo(run.node("/incoming/e/a2/b/g3")));
        run.close();

        assertEquals(List.of(), run.power.violations(), "names only for durable chunks; promised durability points");
        Set<String> seen = new HashSet<>();
        int states = 0;
        int checked = 0;
        Set<String> stepsSeen = new HashSet<>();
        for (long cut : run.power.cuts()) {
            if (cut < run.steps.get(0).end()) {
                continue;
            }
            List<PowerCutStore.Cut> variants = List.of(
                    PowerCutStore.Cut.strict(cut),
                    new PowerCutStore.Cut(cut, SEED * 31 + cut, null),
                    new PowerCutStore.Cut(cut, SEED * 37 + cut, SEED * 41 + cut),
                    new PowerCutStore.Cut(cut, null, SEED * 43 + cut));
            int[] allowed = run.allowed(cut);
            for (PowerCutStore.Cut variant : variants) {
                states++;
                if (!seen.add(run.power.fingerprint(variant) + " " + allowed[0] + "-" + allowed[1])) {
                    continue;
                }
                checked++;
                run.check(variant, state -> {
                    String step = run.matchingStep(state.tree, allowed, variant);
                    stepsSeen.add(step);
                });
            }
        }
        System.out.printf(
                java.util.Locale.ROOT,
                "tree durability: %d steps, %d calls, %d crash states, %d distinct checked, %d distinct trees%n",
                run.steps.size(),
                run.power.calls(),
                states,
                checked,
                stepsSeen.size());
        assertTrue(stepsSeen.size() > run.steps.size() / 2, "the cuts reach most steps: " + stepsSeen);
    }

    // ---- a run ----

    /** A step of a run: what it did, the cut points at which it started and returned, the tree after it. */
    private record Step(String what, long start, long end, boolean durable, SortedMap<String, String> tree) {}

    /** A crash state opened: its store, and its tree as {@link #describe} gives it. */
    private static final class State {
        final ChunkStore store;
        final SortedMap<String, String> tree;
        final NamespaceWalk.Tree walked;

        State(ChunkStore store) throws IOException {
            this.store = store;
            this.walked = NamespaceWalk.check(store.tree());
            this.tree = describe(store.tree(), walked);
        }

        Entry entry(String path) {
            Entry entry = walked.byPath().get(path);
            if (entry == null) {
                fail(path + " is not in the tree: " + walked.byPath().keySet());
            }
            return entry;
        }
    }

    @FunctionalInterface
    private interface StateCheck {
        void check(State state) throws Exception;
    }

    @FunctionalInterface
    private interface Body {
        void run() throws Exception;
    }

    /** A store under power cuts, the node handlers over it, and the steps taken. */
    private final class Run {
        final PowerCutStore power;
        final MountlessTree tree;
        final ChunkFs fs;
        final List<Step> steps = new ArrayList<>();

        Run() throws Exception {
            Path root = dir.resolve("store");
            Stores.init(root);
            power = PowerCutStore.open(root, SyncLevel.FILE, crashes);
            tree = MountlessTree.of(root, power.store());
            fs = new ChunkFs(power.store());
            step("opened", true, () -> {});
        }

        NodeHandler node(String path) {
            return tree.node(path);
        }

        /**
         * Writes {@code bytes} as the whole file {@code path} and closes it, step {@code what} (durable); if {@code
         * create}, the file is made first, a step of its own (an empty file: a change of the tree like any other),
         * else opened with O_TRUNC.
         */
        long writeFile(String what, String path, byte[] bytes, boolean create) throws Exception {
            Handle[] handle = new Handle[1];
            if (create) {
                step(what + " (create)", false, () -> handle[0] = node(path).create(0644, CALLER));
            } else {
                handle[0] = node(path).open(true, true).handle();
            }
            return step(what, true, () -> {
                try {
                    MountlessTree.write(handle[0], bytes, 0);
                    handle[0].flush();
                } finally {
                    handle[0].release();
                }
            });
        }

        /** Does a step; {@code durable} if its return promises the tree so far durable (a close, an fsyncdir). */
        long step(String what, boolean durable, Body body) throws Exception {
            // A tick on either side: the tree's changes make no call of the store's port, and a power cut must be
            // able to fall between two steps that make none.
            long start = power.tick();
            body.run();
            long end = power.tick();
            steps.add(new Step(what, start, end, durable, describe(power.store().tree(), null)));
            return end;
        }

        SortedMap<String, String> stateAfter(String what) {
            return steps.stream()
                    .filter(step -> step.what().equals(what))
                    .findFirst()
                    .orElseThrow()
                    .tree();
        }

        void close() throws IOException {
            power.close();
        }

        /**
         * The steps whose trees a power cut after {@code cut} may leave, first to last: from the last durable step
         * that returned by then to the last that started by then.
         */
        int[] allowed(long cut) {
            int first = 0;
            int last = 0;
            for (int i = 0; i < steps.size(); i++) {
                Step step = steps.get(i);
                if (step.durable() && step.end() <= cut) {
                    first = i;
                }
                if (step.start() <= cut) {
                    last = i;
                }
            }
            return new int[] {first, last};
        }

        /** The step among {@code allowed} whose tree {@code tree} is, or a failure. */
        String matchingStep(SortedMap<String, String> tree, int[] allowed, PowerCutStore.Cut cut) {
            for (int i = allowed[1]; i >= allowed[0]; i--) {
                if (steps.get(i).tree().equals(tree)) {
                    return steps.get(i).what();
                }
            }
            for (int i = 0; i < steps.size(); i++) {
                if (steps.get(i).tree().equals(tree)) {
                    fail(cut + ": the tree is the one after step " + i + " ("
                            + steps.get(i).what()
                            + "), not one after steps " + allowed[0] + " ("
                            + steps.get(allowed[0]).what() + ") to "
                            + allowed[1] + " (" + steps.get(allowed[1]).what() + ")");
                }
            }
            fail(cut + ": the tree is none a step of the run left: " + tree + "; expected at least "
                    + steps.get(allowed[0]).tree());
            return null;
        }

        /**
         * Opens the state {@code cut} leaves and checks what every crash state must be (it opens, verify finds
         * nothing damaged and no name without its chunk), then {@code check}.
         */
        void check(PowerCutStore.Cut cut, StateCheck check) throws Exception {
            Path crashed = crashes.resolve("state");
            ChunkStore store;
            try {
                store = power.openCrashState(cut, crashed);
            } catch (IOException | RuntimeException e) {
                throw new AssertionError(cut + ": the store does not open: " + e, e);
            }
            try (store) {
                VerifyResult verified = new Verifier(store, 1, Progress.NONE).verifyAll();
                assertTrue(verified.treeChecked(), cut + ": verify checked the tree");
                assertEquals(List.of(), verified.namesWithoutChunk(), cut + ": names whose chunk is missing");
                assertEquals(List.of(), verified.bad(), cut + ": damaged chunks");
                State state;
                try {
                    state = new State(store);
                } catch (AssertionError e) {
                    throw new AssertionError(cut + ": " + e.getMessage(), e);
                }
                for (Entry entry : state.walked.byPath().values()) {
                    if (entry.type() == EntryType.REGULAR) {
                        assertEquals(
                                entry.digest(),
                                Digest.sha256(store.loadChunk(entry.digest())),
                                cut + ": the chunk of inode " + entry.inode());
                    }
                }
                try {
                    check.check(state);
                } catch (AssertionError e) {
                    throw new AssertionError(cut + ": " + e.getMessage(), e);
                }
            } finally {
                CrashFolders.delete(crashed);
            }
        }
    }

    /**
     * The tree as text, path by path (the root as {@code /}): type, inode, mode, owner, size, links, digest or
     * target or device, mtime and ctime (atime left out), and the extended attributes.
     */
    private static SortedMap<String, String> describe(Namespace tree, NamespaceWalk.Tree walked) throws IOException {
        NamespaceWalk.Tree whole = walked != null ? walked : NamespaceWalk.check(tree);
        Map<String, Entry> all = new HashMap<>(whole.byPath());
        all.put("/", whole.inodes().get(Namespace.ROOT));
        SortedMap<String, String> described = new TreeMap<>();
        for (Map.Entry<String, Entry> named : all.entrySet()) {
            Entry entry = named.getValue();
            StringBuilder text = new StringBuilder()
                    .append(entry.type())
                    .append(" #")
                    .append(entry.inode())
                    .append(" 0")
                    .append(Integer.toOctalString(entry.mode()))
                    .append(' ')
                    .append(entry.uid())
                    .append(':')
                    .append(entry.gid())
                    .append(" size ")
                    .append(entry.size())
                    .append(" links ")
                    .append(entry.links())
                    .append(" mtime ")
                    .append(entry.mtime())
                    .append(" ctime ")
                    .append(entry.ctime());
            if (entry.digest() != null) {
                text.append(' ').append(entry.digest());
            }
            if (entry.target() != null) {
                text.append(" -> ").append(new String(entry.target(), StandardCharsets.UTF_8));
            }
            if (entry.device() != 0) {
                text.append(" dev ").append(entry.device());
            }
            for (String name : tree.xattrNames(entry.inode())) {
                text.append(' ')
                        .append(name)
                        .append('=')
                        .append(HexFormat.of()
                                .formatHex(tree.xattr(entry.inode(), name).orElseThrow()));
            }
            described.put(named.getKey(), text.toString());
        }
        return described;
    }
}

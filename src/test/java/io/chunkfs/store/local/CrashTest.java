package io.chunkfs.store.local;

import static io.chunkfs.testing.TestBytes.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.chunkfs.Stores;
import io.chunkfs.store.ChunkStore;
import io.chunkfs.store.Digest;
import io.chunkfs.store.GarbageCollector;
import io.chunkfs.store.GcResult;
import io.chunkfs.store.Progress;
import io.chunkfs.store.StagedChunk;
import io.chunkfs.store.StoreException;
import io.chunkfs.store.StoreOptions;
import io.chunkfs.store.SyncLevel;
import io.chunkfs.store.Verifier;
import io.chunkfs.store.VerifyResult;
import io.chunkfs.store.WriteSession;
import io.chunkfs.testing.CrashFolders;
import io.chunkfs.testing.Receipts;
import io.chunkfs.testing.StorePaths;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Power cuts, simulated: each scenario runs against a store whose calls go through {@link CrashingSyscalls} and
 * whose tree goes through {@link CrashingTree}, then the file tree and the tree's database a power cut would leave
 * after each chosen call are written out and opened for real. Every crash state must open; every chunk and
 * receipt acknowledged as durable before the cut must be there with the right bytes; under sync=file no name may
 * point at a chunk that is missing or damaged (and no name may be committed before its chunk is durable), under
 * sync=filesystem once gc's removal of names of missing chunks ran; after recovery no digest path may hold wrong
 * bytes; and an insert of a damaged chunk's bytes must heal it. Strict states drop everything not made durable;
 * adversarial ones keep a random prefix of each folder's pending changes, and of the database's commits since its
 * last durability point.
 */
class CrashTest {
    private static final long SEED = 20261126;

    /** Crash states are full of what start-up logs about (leftovers, recovery): keep the test output readable. */
    private static final Logger STORE_LOG = Logger.getLogger("io.chunkfs.store");

    /** Where crash states are written out, by the hundred: tmpfs when there is one, which makes that 5-10x cheaper. */
    @TempDir
    Path dir;

    private Path crashes;

    @BeforeEach
    void makeCrashFolder() throws IOException {
        crashes = CrashFolders.create(dir, "chunkfs-crash");
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

    /** Item 3: a store whose creation returned opens after any later cut; an earlier cut leaves a creatable one. */
    @Test
    void initIsDurableWhenItReturns() throws Exception {
        Path root = dir.resolve("store");
        Files.createDirectory(root);
        CrashingSyscalls sys = new CrashingSyscalls(root);
        new StoreLayout(root).create(sys, false);
        long done = sys.calls();
        TreeSet<Long> cuts = sys.changePoints();
        cuts.add(done);
        Set<String> seen = new HashSet<>();
        int states = 0;
        for (long cut : cuts) {
            for (int variant = 0; variant <= 1; variant++) {
                CrashingSyscalls.CrashState state = sys.crashState(cut, seeded(cut, variant));
                states++;
                if (!seen.add(state.fingerprint() + (cut >= done))) {
                    continue;
                }
                Path crashed = crashes.resolve("state");
                state.writeTo(crashed);
                String where = describe(cut, variant);
                try (ChunkStore store = Stores.open(crashed)) {
                    store.insertChunk(random(10, (int) cut));
                } catch (StoreException e) {
                    if (cut >= done) {
                        fail(where + ": a store whose creation returned does not open: " + e.getMessage(), e);
                    }
                    // Cut during creation: creating again must finish the job.
                    Stores.init(crashed);
                    try (ChunkStore store = Stores.open(crashed)) {
                        store.insertChunk(random(10, (int) cut));
                    }
                }
                CrashFolders.delete(crashed);
            }
        }
        report("init", sys, states, seen.size());
    }

    /** Item 1, deterministic: the second of two identical inserts returns while the first is between its rename and its folder fsync. */
    @Test
    void aDuplicateInsertAcknowledgesOnlyADurableChunk() throws Exception {
        Scenario scenario = new Scenario(SyncLevel.FILE);
        byte[] data = random(5000, 1);
        Digest digest = scenario.ledger.chunk(data);
        AtomicBoolean fired = new AtomicBoolean();
        Thread first = Thread.currentThread();
        scenario.sys.afterCall(call -> {
            if (Thread.currentThread() == first
                    && call.op().equals("rename")
                    && call.folder() != null
                    && call.folder().startsWith(".chunks/")
                    && fired.compareAndSet(false, true)) {
                // The first insert has renamed its chunk into place but not yet fsynced the folder.
                CompletableFuture<Void> second = CompletableFuture.runAsync(() -> scenario.insert(data));
                second.orTimeout(30, TimeUnit.SECONDS).join();
            }
        });
        scenario.insert(data);
        scenario.sys.afterCall(call -> {});
        assertTrue(fired.get(), "the second insert ran between the first's rename and folder fsync");
        scenario.close();
        int states = check(scenario, allCuts(scenario), 2);
        report("identical inserts, interleaved", scenario, states);
        assertTrue(Files.exists(StorePaths.chunk(scenario.root, digest)));
    }

    /** Item 1 and inserts at large: three threads inserting mostly the same bytes in the same order, at once. */
    @ParameterizedTest
    @MethodSource("levels")
    void concurrentInsertsLoseNothingAcknowledged(SyncLevel level, boolean syncfsPersistsNothing) throws Exception {
        Scenario scenario = new Scenario(level, syncfsPersistsNothing);
        List<byte[]> shared = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            shared.add(random(1000 + i, 100 + i));
        }
        // Widens the window between a rename into a chunk folder and that folder's fsync, so that other threads
        // find the chunk there: a perturbation of the schedule, not a wait for anything.
        scenario.sys.afterCall(call -> {
            if (call.op().equals("rename")
                    && call.folder() != null
                    && call.folder().startsWith(".chunks/")) {
                LockSupport.parkNanos(2_000_000);
            }
        });
        int threads = 3;
        CyclicBarrier start = new CyclicBarrier(threads);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                workers.add(pool.submit(() -> {
                    start.await(30, TimeUnit.SECONDS);
                    for (int i = 0; i < shared.size(); i++) {
                        scenario.insert(shared.get(i));
                        if (i % 3 == thread) {
                            scenario.insert(random(700 + i, 1000 * thread + i));
                        }
                        if (level == SyncLevel.FILESYSTEM && thread == 0 && i % 2 == 1) {
                            scenario.sync();
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> worker : workers) {
                worker.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        scenario.close();
        int states = check(scenario, allCuts(scenario), 1);
        report("concurrent inserts, " + scenario.describe(), scenario, states);
    }

    /**
     * Item 5: under sync=filesystem a chunk is renamed into place before its bytes are durable, so a crash can
     * leave an empty or zero-filled file at its digest path; recovery must set it aside and an insert heal it.
     */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void filesystemLevelRecoversDamagedChunks(boolean syncfsPersistsNothing) throws Exception {
        Scenario scenario = new Scenario(SyncLevel.FILESYSTEM, syncfsPersistsNothing);
        for (int i = 0; i < 6; i++) {
            byte[] data = random(3000 + i, 200 + i);
            Digest digest = scenario.ledger.chunk(data);
            try (WriteSession session = scenario.store.beginWrite();
                    StagedChunk staged = session.stage()) {
                // Sized first and synced then: a later crash can keep right-sized zeros at the digest path.
                staged.truncate(data.length);
                if (i % 2 == 0) {
                    scenario.sync();
                }
                staged.write(ByteBuffer.wrap(data), 0);
                staged.commit();
            }
            scenario.ledger.acknowledged(scenario.sys.calls(), digest);
            if (i % 3 == 2) {
                scenario.sync();
            }
        }
        scenario.close();
        int states = check(scenario, allCuts(scenario), 3);
        report("inserts, " + scenario.describe(), scenario, states);
        assertTrue(scenario.healed > 0, "some crash state left a damaged chunk to heal");
    }

    /**
     * Item 2: receipts made and replaced are durable when the call returns (file) or at the next store sync
     * (filesystem); renamed and removed ones at the next written file's name, fsync, or store sync.
     */
    @ParameterizedTest
    @MethodSource("levels")
    void receiptsAreDurableAsTheSyncLevelSays(SyncLevel level, boolean syncfsPersistsNothing) throws Exception {
        Scenario scenario = new Scenario(level, syncfsPersistsNothing);
        Digest a = scenario.insert(random(100, 1));
        Digest b = scenario.insert(random(200, 2));
        Digest c = scenario.insert(random(300, 3));
        if (level == SyncLevel.FILESYSTEM) {
            scenario.sync();
        }
        scenario.put("one", a);
        scenario.put("two", b);
        scenario.put("one", c);
        if (level == SyncLevel.FILESYSTEM) {
            scenario.sync();
        }
        scenario.rename("two", "three");
        scenario.remove("one");
        // Under sync=file, the next written file's name makes the rename and the removal durable too.
        scenario.put("four", a);
        scenario.rename("three", "four");
        // What an fsync on the mount does: the tree's sync under sync=file, a store sync under sync=filesystem.
        scenario.fsync();
        scenario.rename("four", "five");
        scenario.remove("five");
        scenario.put("six", scenario.insert(random(400, 4)));
        scenario.rename("six", "seven");
        scenario.close();
        int states = check(scenario, allCuts(scenario), 2);
        report("receipts, " + scenario.describe(), scenario, states);
    }

    /**
     * Several threads each write files as the mount does (insert the bytes, then name the chunk), some of them the
     * same bytes, while the group commits of chunk folders and of the tree interleave: every name is committed
     * only once its chunk is durable (sync=file), every acknowledged name survives every cut, and no name survives
     * that points at a lost or damaged chunk.
     */
    @ParameterizedTest
    @MethodSource("levels")
    void concurrentWritersNameOnlyDurableChunks(SyncLevel level, boolean syncfsPersistsNothing) throws Exception {
        Scenario scenario = new Scenario(level, syncfsPersistsNothing);
        List<byte[]> shared = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            shared.add(random(900 + i, 1100 + i));
        }
        // Widens the window between a rename into a chunk folder and that folder's fsync (a perturbation of the
        // schedule, not a wait for anything): another thread finds the chunk there and names it.
        scenario.sys.afterCall(call -> {
            if (call.op().equals("rename")
                    && call.folder() != null
                    && call.folder().startsWith(".chunks/")) {
                LockSupport.parkNanos(2_000_000);
            }
        });
        int threads = 3;
        CyclicBarrier start = new CyclicBarrier(threads);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                workers.add(pool.submit(() -> {
                    start.await(30, TimeUnit.SECONDS);
                    for (int i = 0; i < shared.size(); i++) {
                        byte[] data = i % 2 == thread % 2 ? shared.get(i) : random(600 + i, 1200 + 10 * thread + i);
                        scenario.name("t" + thread + "-" + i, scenario.insert(data));
                        if (thread == 0 && i % 2 == 1) {
                            scenario.fsync();
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> worker : workers) {
                worker.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        scenario.sys.afterCall(call -> {});
        scenario.close();
        int states = check(scenario, allCuts(scenario), 1);
        report("concurrent writers naming files, " + scenario.describe(), scenario, states);
    }

    /**
     * A collection with tree roots after names were removed and renamed (not yet durable under sync=file): it keeps
     * the chunks the tree names and removes the one no name refers to any more, and a power cut at any point must
     * not bring back a removed name for the chunk it removed (the collection makes the tree durable after reading
     * it, before its sweep), nor lose a chunk a name refers to.
     */
    @Test
    void gcWithTreeRootsRemovesNoChunkARemovedNameCanComeBackFor() throws Exception {
        Path root = dir.resolve("store");
        Stores.init(root);
        CrashLedger ledger = new CrashLedger();
        List<Digest> chunks = new ArrayList<>();
        try (ChunkStore store = Stores.open(root)) {
            assertTrue(store.tree().treeRoots(), "a new store's tree is a set of roots");
            for (int i = 0; i < 4; i++) {
                byte[] data = random(600 + i, 900 + i);
                chunks.add(ledger.chunk(data));
                store.insertChunk(data);
                Receipts.of(store).put("n" + i, chunks.get(i));
                ledger.receiptsBefore.put("n" + i, chunks.get(i));
            }
        }
        for (Digest digest : chunks) {
            Files.setAttribute(
                    StorePaths.chunk(root, digest),
                    "lastAccessTime",
                    FileTime.from(Instant.now().minus(Duration.ofDays(3))));
        }
        Scenario scenario = new Scenario(root, SyncLevel.FILE, ledger);
        scenario.remove("n1");
        scenario.rename("n2", "m2");
        scenario.remove("n3");
        GcResult result = new GarbageCollector(scenario.store, Duration.ZERO, Progress.NONE).collect(null);
        assertEquals(2, result.removedChunks(), "the chunks of the removed names went: " + result);
        ledger.always.add(chunks.get(0));
        ledger.always.add(chunks.get(2));
        scenario.close();
        int states = check(scenario, allCuts(scenario), 4);
        report("gc with tree roots after names were removed", scenario, states);
    }

    /** A collection with marks, beside inserts: marked and acknowledged chunks survive every cut. */
    @Test
    void gcBesideInsertsKeepsMarkedAndAcknowledgedChunks() throws Exception {
        Path root = dir.resolve("store");
        Stores.init(root);
        CrashLedger ledger = new CrashLedger();
        List<Digest> old = new ArrayList<>();
        try (ChunkStore store = Stores.open(root)) {
            for (int i = 0; i < 16; i++) {
                byte[] data = random(500 + i, 300 + i);
                old.add(ledger.chunk(data));
                store.insertChunk(data);
            }
        }
        for (Digest digest : old) {
            Files.setAttribute(
                    StorePaths.chunk(root, digest),
                    "lastAccessTime",
                    FileTime.from(Instant.now().minus(Duration.ofDays(3))));
        }
        List<Digest> marked = old.subList(0, 8);
        ledger.always.addAll(marked);
        Scenario scenario = new Scenario(root, SyncLevel.FILE, ledger);
        // Inserts start once the collection has taken its start: with a zero margin, a chunk touched before that
        // is fair game (the margin exists for that), so only later acknowledgements are promised to survive.
        CountDownLatch marking = new CountDownLatch(1);
        Iterator<Digest> marks = marked.iterator();
        Iterator<Digest> signallingMarks = new Iterator<>() {
            @Override
            public boolean hasNext() {
                marking.countDown();
                return marks.hasNext();
            }

            @Override
            public Digest next() {
                return marks.next();
            }
        };
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<?> inserts = pool.submit(() -> {
                assertTrue(marking.await(30, TimeUnit.SECONDS));
                for (int i = 0; i < 6; i++) {
                    scenario.insert(random(800 + i, 400 + i));
                    // Re-inserting an unmarked old chunk while the sweep may be at it.
                    scenario.insert(ledger.bytes.get(old.get(8 + i)));
                }
                return null;
            });
            GcResult result =
                    new GarbageCollector(scenario.store, Duration.ZERO, Progress.NONE).collect(signallingMarks);
            inserts.get(60, TimeUnit.SECONDS);
            // The two old chunks neither marked nor inserted again are removed: the sweep had work to do.
            assertTrue(result.removedChunks() >= 2, result.toString());
        } finally {
            pool.shutdownNow();
        }
        scenario.close();
        int states = check(scenario, sample(scenario, 120), 1);
        report("gc with marks beside inserts", scenario, states);
    }

    /**
     * A chunk re-inserted while the sweep sets it aside: the insert touches it and opens it, the sweep renames it
     * aside, the insert fsyncs the folder (making the rename durable) and returns; the sweep then sees the fresh
     * atime and puts the chunk back, but a crash before that folder's next fsync must not lose it.
     */
    @Test
    void aChunkReinsertedWhileTheSweepSetsItAsideIsDurable() throws Exception {
        Path root = dir.resolve("store");
        Stores.init(root);
        CrashLedger ledger = new CrashLedger();
        byte[] data = random(2000, 700);
        Digest digest = ledger.chunk(data);
        try (ChunkStore store = Stores.open(root)) {
            store.insertChunk(data);
        }
        Files.setAttribute(
                StorePaths.chunk(root, digest),
                "lastAccessTime",
                FileTime.from(Instant.now().minus(Duration.ofDays(3))));
        Scenario scenario = new Scenario(root, SyncLevel.FILE, ledger);
        CountDownLatch opened = new CountDownLatch(1);
        CountDownLatch setAside = new CountDownLatch(1);
        Thread inserter = new Thread(() -> scenario.insert(data), "inserter");
        scenario.sys.afterCall(call -> {
            try {
                if (Thread.currentThread() == inserter
                        && call.op().equals("openRead")
                        && digest.toString().equals(call.name())) {
                    opened.countDown();
                    assertTrue(setAside.await(30, TimeUnit.SECONDS));
                } else if (call.op().equals("rename") && (digest + ".sweep").equals(call.name())) {
                    setAside.countDown();
                    inserter.join(30_000);
                }
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        GarbageCollector gc = new GarbageCollector(scenario.store, Duration.ZERO, Progress.NONE);
        gc.beforeSetAside(chunk -> {
            if (chunk.equals(digest.toString()) && inserter.getState() == Thread.State.NEW) {
                inserter.start();
                try {
                    assertTrue(opened.await(30, TimeUnit.SECONDS));
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }
        });
        GcResult result = gc.collect(null);
        assertTrue(inserter.getState() != Thread.State.NEW, "the sweep came to the chunk, and the insert ran");
        inserter.join(30_000);
        scenario.sys.afterCall(call -> {});
        assertEquals(0, result.removedChunks(), "the re-inserted chunk was kept");
        scenario.close();
        int states = check(scenario, allCuts(scenario), 6);
        report("chunk re-inserted during the sweep", scenario, states);
    }

    /**
     * A chunk touched between the sweep's look at its atime and its rename aside: the sweep puts it back, but a
     * power cut between the two renames, once the first is on disk, leaves it only under its aside name.
     */
    @Test
    void aChunkTouchedJustBeforeTheSweepSetsItAsideSurvivesACrash() throws Exception {
        Path root = dir.resolve("store");
        Stores.init(root);
        CrashLedger ledger = new CrashLedger();
        byte[] data = random(2000, 800);
        Digest digest = ledger.chunk(data);
        try (ChunkStore store = Stores.open(root)) {
            store.insertChunk(data);
        }
        Files.setAttribute(
                StorePaths.chunk(root, digest),
                "lastAccessTime",
                FileTime.from(Instant.now().minus(Duration.ofDays(3))));
        Scenario scenario = new Scenario(root, SyncLevel.FILE, ledger);
        GarbageCollector gc = new GarbageCollector(scenario.store, Duration.ZERO, Progress.NONE);
        AtomicBoolean reached = new AtomicBoolean();
        gc.beforeSetAside(chunk -> {
            if (chunk.equals(digest.toString())) {
                reached.set(true);
                scenario.insert(data);
            }
        });
        GcResult result = gc.collect(null);
        assertTrue(reached.get(), "the sweep came to the chunk");
        assertEquals(0, result.removedChunks(), "the re-inserted chunk was kept");
        scenario.close();
        int states = check(scenario, allCuts(scenario), 6);
        report("chunk touched just before the sweep sets it aside", scenario, states);
    }

    /** verify setting a damaged chunk aside loses no good chunk at any cut, and the damaged one heals. */
    @Test
    void verifyLosesNothingGood() throws Exception {
        Path root = dir.resolve("store");
        Stores.init(root);
        CrashLedger ledger = new CrashLedger();
        Digest damaged;
        try (ChunkStore store = Stores.open(root)) {
            for (int i = 0; i < 6; i++) {
                byte[] data = random(400 + i, 500 + i);
                ledger.always.add(ledger.chunk(data));
                store.insertChunk(data);
            }
            byte[] data = random(999, 600);
            damaged = ledger.chunk(data);
            store.insertChunk(data);
        }
        Path damagedPath = StorePaths.chunk(root, damaged);
        damagedPath.toFile().setWritable(true);
        Files.write(damagedPath, new byte[10]);
        Scenario scenario = new Scenario(root, SyncLevel.FILE, ledger);
        VerifyResult result = new Verifier(scenario.store, 2, Progress.NONE).verifyAll();
        assertEquals(List.of(damaged), result.bad());
        scenario.close();
        int states = check(scenario, allCuts(scenario), 2);
        report("verify", scenario, states);
    }

    // ---- scenarios ----

    /**
     * The sync levels a scenario runs under: {@code file}, and {@code filesystem} both where {@code syncfs} makes
     * everything durable and where it persists nothing (a store on FUSE).
     */
    static Stream<Arguments> levels() {
        return Stream.of(
                Arguments.of(SyncLevel.FILE, false),
                Arguments.of(SyncLevel.FILESYSTEM, false),
                Arguments.of(SyncLevel.FILESYSTEM, true));
    }

    /** A store opened through a {@link CrashingSyscalls} and a {@link CrashingTree}, and what it acknowledged. */
    private final class Scenario {
        final Path root;
        final SyncLevel level;
        final CrashLedger ledger;
        final CrashingSyscalls sys;
        final CrashingTree tree;
        final ChunkStore store;
        long end;
        int healed;
        int distinct;

        Scenario(SyncLevel level) throws IOException {
            this(level, false);
        }

        Scenario(SyncLevel level, boolean syncfsPersistsNothing) throws IOException {
            this(initialized(), level, new CrashLedger(), syncfsPersistsNothing);
        }

        Scenario(Path root, SyncLevel level, CrashLedger ledger) throws IOException {
            this(root, level, ledger, false);
        }

        Scenario(Path root, SyncLevel level, CrashLedger ledger, boolean syncfsPersistsNothing) throws IOException {
            this.root = root;
            this.level = level;
            this.ledger = ledger;
            byte[] before = CrashingTree.copy(root, crashes);
            this.sys = new CrashingSyscalls(root, syncfsPersistsNothing);
            // No periodic sync: the scenario says when the store syncs.
            StoreOptions options = new StoreOptions(level, false, Duration.ofHours(1), true);
            LocalBackend backend = LocalBackend.open(root, options, sys);
            try {
                this.tree = CrashingTree.wrap(backend.openTree(), root, sys, level, before, crashes);
            } catch (IOException | RuntimeException e) {
                backend.close();
                throw e;
            }
            this.store = ChunkStore.open(backend, tree.tree(), options);
        }

        String describe() {
            return "sync=" + level.name().toLowerCase(java.util.Locale.ROOT)
                    + (sys.syncfsPersistsNothing() ? " on a file system whose syncfs persists nothing" : "");
        }

        Digest insert(byte[] data) {
            Digest digest = ledger.chunk(data);
            try {
                store.insertChunk(data);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            ledger.acknowledged(sys.calls(), digest);
            return digest;
        }

        void sync() throws IOException {
            CrashLedger.Mark start = now();
            store.sync();
            ledger.synced(start, now());
        }

        CrashLedger.Mark now() {
            return ledger.mark(sys.calls());
        }

        /** What an fsync on the mount does (MountedStore): the tree's sync under sync=file, else a store sync. */
        void fsync() throws IOException {
            if (level == SyncLevel.FILE) {
                CrashLedger.Mark start = now();
                store.tree().sync();
                ledger.treeSynced(start, now());
            } else {
                sync();
            }
        }

        void put(String name, Digest digest) throws IOException {
            CrashLedger.Mark start = now();
            Receipts.of(store).put(name, digest);
            ledger.receiptChange(start, now(), level == SyncLevel.FILE, receipts -> {
                receipts.put(name, digest);
                return receipts;
            });
        }

        /** Names a chunk, once, from any thread (see {@link CrashLedger#named}). */
        void name(String name, Digest digest) {
            CrashLedger.Mark start = now();
            try {
                Receipts.of(store).put(name, digest);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            ledger.named(start, now(), level == SyncLevel.FILE, name, digest);
        }

        void rename(String from, String to) throws IOException {
            CrashLedger.Mark start = now();
            Receipts.of(store).rename(from, to);
            ledger.receiptChange(start, now(), false, receipts -> {
                receipts.put(to, receipts.remove(from));
                return receipts;
            });
        }

        void remove(String name) throws IOException {
            CrashLedger.Mark start = now();
            Receipts.of(store).remove(name);
            ledger.receiptChange(start, now(), false, receipts -> {
                receipts.remove(name);
                return receipts;
            });
        }

        /**
         * Ends the scenario: cuts are taken up to here. The store is closed so that its registration no longer
         * counts as a live process of this JVM when the crash states are opened.
         */
        void close() throws IOException {
            end = sys.calls();
            store.close();
        }
    }

    private Path initialized() throws IOException {
        Path root = dir.resolve("store");
        Stores.init(root);
        return root;
    }

    /** Every cut point at which the crash state or the expectations differ. */
    private static Collection<Long> allCuts(Scenario scenario) {
        TreeSet<Long> cuts = scenario.sys.changePoints();
        cuts.addAll(scenario.ledger.points());
        cuts.add(scenario.end);
        return cuts.headSet(scenario.end, true);
    }

    /** Random cut points among those that differ, plus every acknowledgement. */
    private static Collection<Long> sample(Scenario scenario, int count) {
        List<Long> changes = new ArrayList<>(scenario.sys.changePoints().headSet(scenario.end, true));
        java.util.Collections.shuffle(changes, new Random(SEED));
        TreeSet<Long> cuts = new TreeSet<>(changes.subList(0, Math.min(count, changes.size())));
        scenario.ledger.points().stream().filter(point -> point <= scenario.end).forEach(cuts::add);
        return cuts;
    }

    // ---- checking a crash state ----

    /** Checks the strict state and {@code adversarial} random ones at every cut; returns how many states. */
    private int check(Scenario scenario, Collection<Long> cuts, int adversarial) throws Exception {
        assertEquals(
                List.of(),
                scenario.tree.violations(),
                "the order of chunks and names, and the tree's durability points");
        Set<String> seen = new HashSet<>();
        int states = 0;
        for (long cut : cuts) {
            for (int variant = 0; variant <= adversarial; variant++) {
                CrashingSyscalls.CrashState state = scenario.sys.crashState(cut, seeded(cut, variant));
                // The database strictly in odd variants (with a file tree that kept some changes: a name kept only by
                // a durability point beside a chunk's removal the kernel wrote back on its own), adversarially in even
                // ones.
                CrashingTree.Snapshot tree =
                        scenario.tree.crashState(cut, variant % 2 == 1 ? null : seeded(cut, variant + 100));
                states++;
                // The same tree with the same expectations needs checking once.
                String key = state.fingerprint()
                        + tree.fingerprint()
                        + scenario.ledger.required(cut, scenario.level)
                        + (scenario.ledger.hasReceipts() ? scenario.ledger.allowedReceipts(cut, scenario.level) : "")
                        + (scenario.ledger.hasNames()
                                ? scenario.ledger.requiredNames(cut) + "" + scenario.ledger.allowedNames(cut)
                                : "");
                if (!seen.add(key)) {
                    continue;
                }
                Path crashed = crashes.resolve("state");
                state.writeTo(crashed);
                tree.writeTo(crashed);
                checkState(scenario, crashed, cut, describe(cut, variant));
                CrashFolders.delete(crashed);
            }
        }
        scenario.distinct = seen.size();
        return states;
    }

    private void checkState(Scenario scenario, Path crashed, long cut, String where) throws Exception {
        CrashLedger ledger = scenario.ledger;
        StoreLayout layout = new StoreLayout(crashed);
        TreeSet<Digest> required = new TreeSet<>(ledger.required(cut, scenario.level));
        List<Digest> damaged = new ArrayList<>();
        for (Map.Entry<Digest, byte[]> chunk : ledger.bytes.entrySet()) {
            Path path = layout.chunkPath(chunk.getKey());
            if (Files.isRegularFile(path) && !Arrays.equals(chunk.getValue(), Files.readAllBytes(path))) {
                damaged.add(chunk.getKey());
            }
        }
        ChunkStore store;
        LocalBackend backend;
        try {
            StoreOptions options = StoreOptions.defaults().withSyncLevel(SyncLevel.NONE);
            backend = LocalBackend.open(crashed, options);
            store = ChunkStore.open(backend, backend.openTree(), options);
        } catch (IOException e) {
            throw new AssertionError(where + ": the store does not open: " + e.getMessage(), e);
        }
        try (store) {
            // Checked once the store is open: opening may put back what a collection that died had set aside.
            for (Digest digest : required) {
                Path chunk = layout.chunkPath(digest);
                if (!Files.isRegularFile(chunk)) {
                    List<String> names;
                    try (Stream<Path> entries = Files.list(chunk.getParent())) {
                        names = entries.map(path -> path.getFileName().toString())
                                .sorted()
                                .toList();
                    }
                    fail(where + ": acknowledged chunk " + digest + " is lost; its folder holds " + names);
                }
                assertArrayEquals(
                        ledger.bytes.get(digest),
                        Files.readAllBytes(chunk),
                        where + ": acknowledged chunk " + digest + " has wrong bytes");
            }
            // Half of the damaged chunks right away, while recovery may still be checking: an insert of the right
            // bytes must replace them. The other half is left to recovery, which must set them aside.
            for (int i = 0; i < damaged.size(); i += 2) {
                heal(store, scenario, damaged.get(i), where);
            }
            assertTrue(backend.awaitRecovery(30_000), where + ": recovery did not finish");
            VerifyResult verified = new Verifier(store, 1, Progress.NONE).verifyAll();
            assertEquals(List.of(), verified.bad(), where + ": wrong bytes at digest paths after recovery");
            for (int i = 1; i < damaged.size(); i += 2) {
                heal(store, scenario, damaged.get(i), where);
            }
            for (Digest digest : required) {
                assertArrayEquals(
                        ledger.bytes.get(digest),
                        store.loadChunk(digest),
                        where + ": acknowledged chunk " + digest + " did not survive recovery");
            }
            Map<String, Digest> receipts = new TreeMap<>();
            for (Receipts.Receipt receipt : Receipts.of(store).list()) {
                receipts.put(receipt.name(), receipt.digest());
            }
            Map<String, Digest> mustKeep = new TreeMap<>();
            if (ledger.hasReceipts()) {
                List<Map<String, Digest>> allowed = ledger.allowedReceipts(cut, scenario.level);
                assertTrue(
                        allowed.contains(receipts), where + ": receipts " + receipts + ", expected one of " + allowed);
                // A durable receipt that no later change (allowed to survive) replaced, renamed or removed.
                ledger.durableReceipts(cut, scenario.level).forEach((name, digest) -> {
                    if (digest.equals(receipts.get(name))) {
                        mustKeep.put(name, digest);
                    }
                });
            }
            if (ledger.hasNames()) {
                Map<String, Digest> requiredNames = ledger.requiredNames(cut);
                Map<String, Digest> allowed = ledger.allowedNames(cut);
                for (Map.Entry<String, Digest> name : requiredNames.entrySet()) {
                    assertEquals(
                            name.getValue(),
                            receipts.get(name.getKey()),
                            where + ": acknowledged name " + name.getKey() + " in " + receipts);
                }
                for (Map.Entry<String, Digest> name : receipts.entrySet()) {
                    assertEquals(
                            allowed.get(name.getKey()),
                            name.getValue(),
                            where + ": name " + name.getKey() + " was never given that chunk");
                }
                mustKeep.putAll(requiredNames);
            }
            if (scenario.level != SyncLevel.FILE) {
                // Under sync=filesystem a name may outlive its chunk (README): gc removes such names.
                store.tree().removeNamesOfMissingChunks(store::contains);
                receipts.clear();
                for (Receipts.Receipt receipt : Receipts.of(store).list()) {
                    receipts.put(receipt.name(), receipt.digest());
                }
            }
            for (Map.Entry<String, Digest> name : mustKeep.entrySet()) {
                assertEquals(
                        name.getValue(),
                        receipts.get(name.getKey()),
                        where + ": acknowledged name " + name.getKey() + " lost its chunk");
            }
            // No name points at a chunk that is missing or damaged.
            for (Map.Entry<String, Digest> name : receipts.entrySet()) {
                Digest digest = name.getValue();
                assertTrue(store.contains(digest), where + ": name " + name.getKey() + " names lost chunk " + digest);
                assertArrayEquals(
                        ledger.bytes.get(digest),
                        store.loadChunk(digest),
                        where + ": name " + name.getKey() + " names a damaged chunk " + digest);
            }
        }
    }

    private static void heal(ChunkStore store, Scenario scenario, Digest digest, String where) throws IOException {
        byte[] bytes = scenario.ledger.bytes.get(digest);
        store.insertChunk(bytes);
        assertArrayEquals(
                bytes,
                store.loadChunk(digest),
                where + ": inserting the right bytes did not heal damaged chunk " + digest);
        scenario.healed++;
    }

    /** None for the strict state, a seeded one for each adversarial variant. */
    private static Random seeded(long cut, int variant) {
        return variant == 0 ? null : new Random(SEED * 1_000_003 + cut * 31 + variant);
    }

    private static String describe(long cut, int variant) {
        return "crash after call " + cut + (variant == 0 ? " (strict)" : " (adversarial " + variant + ")");
    }

    private static void report(String scenario, CrashingSyscalls sys, int states, int distinct) {
        System.out.printf(
                java.util.Locale.ROOT,
                "crash scenario %s: %d calls, %d crash states, %d distinct checked%n",
                scenario,
                sys.calls(),
                states,
                distinct);
    }

    private static void report(String scenario, Scenario run, int states) {
        report(scenario, run.sys, states, run.distinct);
    }
}

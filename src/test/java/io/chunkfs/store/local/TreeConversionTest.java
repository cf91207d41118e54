package io.chunkfs.store.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkfs.Stores;
import io.chunkfs.store.ChunkStore;
import io.chunkfs.store.Digest;
import io.chunkfs.store.Entry;
import io.chunkfs.store.EntryName;
import io.chunkfs.store.GarbageCollector;
import io.chunkfs.store.GcResult;
import io.chunkfs.store.Namespace;
import io.chunkfs.store.Progress;
import io.chunkfs.store.StoreOptions;
import io.chunkfs.testing.Receipts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The conversion of an earlier release's store (format 1) to format 3 ({@link TreeConversion}): stopped at any step,
 * or by a power cut after any call, it leaves either the old store as it was or the converted one, never a mix,
 * and the next writable open finishes it; two openers convert once; what a receipt becomes.
 */
class TreeConversionTest {
    private static final Digest HELLO =
            Digest.parse("1fadbb8ed441494253a089fde36eb0e30f55be9b45ebc528e21969e99aaac6c6");
    private static final Digest EMPTY =
            Digest.parse("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    private static final Digest PATTERN =
            Digest.parse("b56c58471e5e93f1329a5878b818e0cd23ab1a59925a7dc2b1576063a9109955");
    private static final Digest NOTE = Digest.parse("a2a965af5e1ad95c9091fec856fa954c309b6050cba4e73eebe92434eb4607f1");
    /** No chunk of the store has this digest. */
    private static final Digest GONE = Digest.parse("00000000000000000000000000000000000000000000000000000000000000aa");
    /**
     * Every receipt of {@link #oldStore}, in the tree's order; one of them named beyond ASCII where file names are
     * UTF-8 to this JVM (as the launcher sees to: it runs with {@code LC_ALL=C.UTF-8}).
     */
    private static final List<Receipts.Receipt> RECEIPTS = Stream.of(
                    new Receipts.Receipt("empty", EMPTY),
                    new Receipts.Receipt("gone.txt", GONE),
                    new Receipts.Receipt("hello copy.txt", HELLO),
                    new Receipts.Receipt("note.txt", NOTE),
                    new Receipts.Receipt("pattern.bin", PATTERN),
                    new Receipts.Receipt("sp\u00e4ter \u00fcberall.txt", NOTE))
            .filter(receipt -> receipt.name().chars().allMatch(c -> c < 128)
                    || "UTF-8".equalsIgnoreCase(System.getProperty("sun.jnu.encoding")))
            .toList();

    private static final Logger STORE_LOG = Logger.getLogger("io.chunkfs.store");

    @TempDir
    Path dir;

    private int stores;

    @AfterEach
    void noHook() {
        TreeConversion.hook(null);
        STORE_LOG.setLevel(null);
    }

    /** A step at which a conversion is stopped: the {@code occurrence}-th time it reaches {@code step}. */
    private record Stop(TreeConversion.Step step, int occurrence) {}

    /** What a kill leaves, stood in for by an exception thrown at the step (the store holds what a kill leaves). */
    private static final class Killed extends IOException {
        private static final long serialVersionUID = 1L;

        Killed(Stop stop) {
            super("stopped at " + stop);
        }
    }

    @Test
    void aConversionStoppedAtAnyStepLeavesTheOldStoreOrTheConvertedOneAndTheNextOpenFinishesIt() throws Exception {
        STORE_LOG.setLevel(Level.SEVERE);
        List<Stop> stops = List.of(
                new Stop(TreeConversion.Step.LOCKED, 1),
                new Stop(TreeConversion.Step.DISCARDED, 1),
                new Stop(TreeConversion.Step.RECEIPT_ADDED, 1),
                new Stop(TreeConversion.Step.RECEIPT_ADDED, 4),
                new Stop(TreeConversion.Step.BUILT, 1),
                new Stop(TreeConversion.Step.INSTALLED, 1),
                new Stop(TreeConversion.Step.MARKED, 1),
                new Stop(TreeConversion.Step.RECEIPT_REMOVED, 1),
                new Stop(TreeConversion.Step.RECEIPT_REMOVED, 5),
                new Stop(TreeConversion.Step.DONE, 1));
        Set<String> seen = new TreeSet<>();
        for (Stop stop : stops) {
            Path root = oldStore();
            Map<String, String> receipts = contents(root.resolve("receipts"), false);
            AtomicInteger count = new AtomicInteger();
            TreeConversion.hook(step -> {
                if (step == stop.step() && count.incrementAndGet() == stop.occurrence()) {
                    throw new Killed(stop);
                }
            });
            assertThrows(Killed.class, () -> Stores.open(root).close(), stop.toString());
            TreeConversion.hook(null);
            seen.add(checkOldOrConverted(root, receipts, stop.toString()));

            checkConverted(root, stop.toString());
        }
        assertEquals(Set.of("old", "converted"), seen, "stops on both sides of the marker's rename");
    }

    /** A real kill ({@code halt}, no finally block) in another process, on each side of the marker's rename. */
    @Test
    void aKilledConversionIsFinishedByTheNextOpen() throws Exception {
        for (String step : List.of("BUILT", "MARKED")) {
            Path root = oldStore();
            Map<String, String> receipts = contents(root.resolve("receipts"), false);
            List<String> output = ConversionProcess.output(ConversionProcess.start(root, "halt:" + step));
            assertEquals("exit 137", output.get(output.size() - 1), output.toString());
            assertEquals(step.equals("BUILT") ? "old" : "converted", checkOldOrConverted(root, receipts, step));
            checkConverted(root, step);
        }
    }

    /**
     * A power cut after any call of the conversion (the model of {@link CrashingSyscalls}: strict, and with some of
     * what was not fsynced kept) leaves the old store or the converted one, and the next open finishes it.
     */
    @Test
    void aPowerCutAfterAnyCallLeavesTheOldStoreOrTheConvertedOne() throws Exception {
        STORE_LOG.setLevel(Level.SEVERE);
        Path root = oldStore();
        Map<String, String> receipts = contents(root.resolve("receipts"), false);
        CrashingSyscalls sys = new CrashingSyscalls(root);
        long start = sys.calls();
        try (LocalBackend backend = LocalBackend.open(root, StoreOptions.defaults(), sys)) {
            backend.openTree().close();
        }
        long done = sys.calls();
        TreeSet<Long> cuts = sys.changePoints();
        cuts.add(done);
        Set<String> seen = new HashSet<>();
        Map<String, Integer> outcomes = new TreeMap<>();
        for (long cut : cuts.subSet(start, true, done, true)) {
            for (int variant = 0; variant <= 1; variant++) {
                CrashingSyscalls.CrashState state = sys.crashState(cut, variant == 0 ? null : new Random(cut));
                if (!seen.add(state.fingerprint())) {
                    continue;
                }
                Path crashed = dir.resolve("crash-" + cut + "-" + variant);
                state.writeTo(crashed);
                String where = "power cut after call " + cut + (variant == 0 ? " (strict)" : " (adversarial)");
                outcomes.merge(checkOldOrConverted(crashed, receipts, where), 1, Integer::sum);
                checkConverted(crashed, where);
            }
        }
        assertEquals(Set.of("old", "converted"), outcomes.keySet(), outcomes.toString());
    }

    @Test
    void twoThreadsOpeningAtOnceConvertOnce() throws Exception {
        Path root = oldStore();
        AtomicInteger conversions = new AtomicInteger();
        AtomicInteger waited = new AtomicInteger();
        TreeConversion.hook(step -> {
            if (step == TreeConversion.Step.LOCKED) {
                conversions.incrementAndGet();
            }
            if (step == TreeConversion.Step.FOUND_CONVERTED) {
                waited.incrementAndGet();
            }
            if (step == TreeConversion.Step.BUILT) {
                try {
                    Thread.sleep(500);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<List<Receipts.Receipt>>> opens = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                opens.add(pool.submit(() -> {
                    go.await();
                    try (ChunkStore store = Stores.open(root)) {
                        return Receipts.of(store).list();
                    }
                }));
            }
            go.countDown();
            for (Future<List<Receipts.Receipt>> open : opens) {
                assertEquals(RECEIPTS, open.get(60, TimeUnit.SECONDS));
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(1, conversions.get(), "converted once");
        assertTrue(waited.get() > 0, "another thread waited for the lock, then found the store converted");
        checkConverted(root, "after the threads");
    }

    @Test
    void twoProcessesOpeningAtOnceConvertOnce() throws Exception {
        Path root = oldStore();
        List<Process> processes = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            processes.add(ConversionProcess.start(root, "slow"));
        }
        int conversions = 0;
        int waited = 0;
        for (Process process : processes) {
            List<String> output = ConversionProcess.output(process);
            waited += output.contains("FOUND_CONVERTED") ? 1 : 0;
            assertEquals(
                    List.of("OPENED", "exit 0"), output.subList(output.size() - 2, output.size()), output.toString());
            conversions += output.contains("LOCKED") ? 1 : 0;
        }
        assertEquals(1, conversions, "one process converted, the others found it converted");
        assertTrue(waited > 0, "another opener waited for the lock while the store was converted");
        checkConverted(root, "after the processes");
    }

    /**
     * A receipt whose chunk is gone becomes a file of size 0 whose times are its symlink's, hidden as before and
     * removed by gc; what is no receipt stays in {@code receipts/}, which then stays too.
     */
    @Test
    void aReceiptOfAMissingChunkIsKeptUntilGcAndWhatIsNoReceiptStays() throws Exception {
        Path root = oldStore();
        FileTime made = Files.getLastModifiedTime(root.resolve("receipts/gone.txt"), LinkOption.NOFOLLOW_LINKS);
        try (ChunkStore store = Stores.open(root)) {
            Entry gone = store.tree()
                    .lookup(Namespace.ROOT, EntryName.of("gone.txt"))
                    .orElseThrow();
            assertEquals(List.of(0L, GONE), List.of(gone.size(), gone.digest()));
            assertEquals(made.to(TimeUnit.NANOSECONDS), gone.mtime());
            assertEquals(
                    List.of("notes"),
                    names(root.resolve("receipts")),
                    "a file that is no receipt is neither converted nor removed");
            GcResult result = new GarbageCollector(store, GarbageCollector.DEFAULT_MARGIN, Progress.NONE)
                    .collect(List.<Digest>of().iterator());
            assertEquals(1, result.removedReceipts(), result.toString());
            assertEquals(
                    RECEIPTS.stream()
                            .filter(receipt -> !receipt.digest().equals(GONE))
                            .toList(),
                    Receipts.of(store).list());
        }
    }

    @Test
    void aReceiptsFolderLeftBesideAVersion3MarkerIsRemovedByTheNextWritableOpenOnly() throws Exception {
        Path root = dir.resolve("store");
        Stores.init(root);
        Files.createDirectory(root.resolve("receipts"));
        Files.createSymbolicLink(root.resolve("receipts/left.txt"), Path.of("../.chunks/1f/" + HELLO));
        Stores.open(root, StoreOptions.defaults().withReadOnly(true)).close();
        assertTrue(Files.exists(root.resolve("receipts/left.txt"), LinkOption.NOFOLLOW_LINKS), "read-only: as it was");
        try (ChunkStore store = Stores.open(root)) {
            assertEquals(List.of(), Receipts.of(store).list(), "a version-3 store's names are its tree's only");
        }
        assertFalse(Files.exists(root.resolve("receipts"), LinkOption.NOFOLLOW_LINKS));
    }

    // ---- the store and its checks

    /**
     * An earlier release's store: the fixture {@code store-format-1.tar.gz} with more receipts made as that release
     * made them (symlinks into {@code .chunks}), one of them of a chunk the store does not hold, one with a name
     * beyond ASCII, and a file that is no receipt.
     */
    private Path oldStore() throws IOException {
        Path target = dir.resolve("fixture-" + stores++);
        StoreFixtures.unpack("store-format-1.tar.gz", target);
        Path root = target.resolve("store");
        Path receipts = root.resolve("receipts");
        for (Receipts.Receipt receipt : RECEIPTS) {
            Path link = receipts.resolve(receipt.name());
            if (!Files.exists(link, LinkOption.NOFOLLOW_LINKS)) {
                Digest digest = receipt.digest();
                Files.createSymbolicLink(link, Path.of("../.chunks/" + digest.prefix() + "/" + digest));
            }
        }
        Files.writeString(receipts.resolve("notes"), "not a receipt\n");
        return root;
    }

    /**
     * Checks that {@code root} is the old store (marker of version 1, {@code receipts/} exactly as it was) or the
     * converted one (marker of version 3, a tree naming every receipt, {@code receipts/} as it was less some
     * receipts); returns which.
     */
    private static String checkOldOrConverted(Path root, Map<String, String> receipts, String where)
            throws IOException {
        String marker = Files.readString(root.resolve(".chunkfs"));
        if (marker.equals("chunkfs-store 1\n")) {
            assertEquals(
                    receipts, contents(root.resolve("receipts"), false), where + ": the old store's receipts, whole");
            return "old";
        }
        assertEquals("chunkfs-store 3\n", marker, where);
        try (ChunkStore store = Stores.open(root, StoreOptions.defaults().withReadOnly(true))) {
            assertEquals(RECEIPTS, Receipts.of(store).list(), where + ": every receipt in the tree");
        }
        Map<String, String> left =
                Files.exists(root.resolve("receipts")) ? contents(root.resolve("receipts"), false) : Map.of();
        left.forEach((name, what) -> assertEquals(receipts.get(name), what, where + ": " + name));
        return "converted";
    }

    /** Opens {@code root} for writing and checks that it is converted, whole, with nothing left over. */
    private static void checkConverted(Path root, String where) throws IOException {
        try (ChunkStore store = Stores.open(root)) {
            assertEquals(RECEIPTS, Receipts.of(store).list(), where + ": every receipt, with its digest");
            assertFalse(store.tree().treeRoots(), where + ": gc roots off in a converted store");
        }
        assertEquals("chunkfs-store 3\n", Files.readString(root.resolve(".chunkfs")), where);
        assertEquals(List.of("notes"), names(root.resolve("receipts")), where + ": only what is no receipt stays");
        for (String leftover : List.of("tree.db.partial", ".chunkfs.partial", "tree.db-journal")) {
            assertFalse(Files.exists(root.resolve(leftover)), where + ": " + leftover + " left");
        }
    }

    private static List<String> names(Path folder) throws IOException {
        try (Stream<Path> files = Files.list(folder)) {
            return files.map(file -> file.getFileName().toString()).sorted().toList();
        }
    }

    /**
     * Everything under {@code root}, by relative path: kind, mode, size, modification time and a digest of the
     * bytes of each file, the target of each symlink; what a test compares to show that nothing changed.
     */
    static Map<String, String> contents(Path root) throws IOException {
        return contents(root, true);
    }

    /** {@link #contents(Path)}, with modification times or without. */
    static Map<String, String> contents(Path root, boolean withTimes) throws IOException {
        Map<String, String> contents = new TreeMap<>();
        List<Path> paths;
        try (Stream<Path> walk = Files.walk(root)) {
            paths = walk.sorted(Comparator.naturalOrder()).toList();
        }
        for (Path path : paths) {
            String what;
            if (Files.isSymbolicLink(path)) {
                what = "link " + Files.readSymbolicLink(path);
            } else {
                String mode = Integer.toOctalString((Integer) Files.getAttribute(path, "unix:mode") & 07777);
                String mtime = withTimes ? Files.getLastModifiedTime(path).toString() : "-";
                what = Files.isDirectory(path)
                        ? "folder " + mode + " " + mtime
                        : "file " + mode + " " + Files.size(path) + " " + mtime + " "
                                + Digest.sha256(Files.readAllBytes(path));
            }
            contents.put(root.relativize(path).toString(), what);
        }
        return contents;
    }
}

package io.chunkfs.store.local;

import static io.chunkfs.testing.TestBytes.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.chunkfs.Stores;
import io.chunkfs.store.ChunkStore;
import io.chunkfs.store.Digest;
import io.chunkfs.store.PosixException;
import io.chunkfs.store.Progress;
import io.chunkfs.store.StagedChunk;
import io.chunkfs.store.StoreOptions;
import io.chunkfs.store.SyncLevel;
import io.chunkfs.store.Verifier;
import io.chunkfs.store.WriteSession;
import io.chunkfs.testing.Receipts;
import io.chunkfs.testing.TestStores;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import jnr.constants.platform.Errno;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every create, rename, unlink, fsync and syncfs that a workload of inserts (new and duplicate, whole and staged)
 * and receipt changes makes is failed in turn, with ENOSPC and with EIO, and so is every change of the tree and
 * every durability point of the tree (the database does its own I/O: these fail at the tree's seam, see {@link
 * FaultySyscalls#tree}): the step that made the call must report that errno, every other step must still work,
 * and the store must be valid afterwards (no wrong bytes and nothing but chunks at digest paths, every
 * acknowledged chunk readable, every receipt naming a chunk that is there, no temporary file left).
 */
class FaultInjectionTest {
    private static final List<String> KINDS =
            List.of("create", "rename", "unlink", "fsync", "fsyncFolder", "syncfs", "treeChange", "treeSync");
    private static final Path TMPFS = Path.of("/dev/shm");

    @TempDir
    Path dir;

    private final byte[] a = random(3000, 1);
    private final byte[] b = random(4000, 2);
    private final byte[] c = random(5000, 3);

    @TestFactory
    Stream<DynamicTest> everyFailedCallLeavesAValidStore() throws Exception {
        FaultySyscalls counting = new FaultySyscalls();
        List<String> failures = run(counting, store());
        assertEquals(List.of(), failures, "the workload runs without faults");
        List<DynamicTest> tests = new ArrayList<>();
        for (String kind : KINDS) {
            assertTrue(counting.count(kind) > 0, "the workload makes " + kind + " calls");
            for (int n = 1; n <= counting.count(kind); n++) {
                for (Errno errno : List.of(Errno.ENOSPC, Errno.EIO)) {
                    int nth = n;
                    tests.add(DynamicTest.dynamicTest(
                            kind + " #" + n + " fails with " + errno.name(),
                            () -> failedCallLeavesAValidStore(kind, nth, errno)));
                }
            }
        }
        return tests.stream();
    }

    private void failedCallLeavesAValidStore(String kind, int nth, Errno errno) throws Exception {
        Path root = store();
        FaultySyscalls faulty = new FaultySyscalls(kind, nth, errno.intValue());
        List<String> failures = run(faulty, root);
        assertTrue(faulty.fired(), "the fault was injected");
        assertEquals(1, failures.size(), "exactly the step that made the failed call reports it: " + failures);
        assertTrue(failures.get(0).contains(errno.description()), "the error names the errno: " + failures);
        assertEquals(0, TestStores.countFiles(root.resolve(".tmp")), "the failed step removed its temporary file");

        try (ChunkStore store = Stores.open(root, StoreOptions.defaults())) {
            assertEquals(
                    List.of(),
                    new Verifier(store, 1, Progress.NONE).verifyAll().bad(),
                    "no wrong bytes at a digest path");
            for (int prefix = 0; prefix < StoreLayout.PREFIXES; prefix++) {
                try (Stream<Path> names = Files.list(new StoreLayout(root).prefixDir(prefix))) {
                    names.map(path -> path.getFileName().toString())
                            .forEach(name -> assertTrue(Digest.isValid(name), "only chunks in chunk folders: " + name));
                }
            }
            for (Receipts.Receipt receipt : Receipts.of(store).list()) {
                assertTrue(store.contains(receipt.digest()), "receipt " + receipt + " names a chunk that is there");
            }
            for (byte[] data : List.of(a, b, c)) {
                Digest digest = Digest.sha256(data);
                if (store.contains(digest)) {
                    assertArrayEquals(data, store.loadChunk(digest), "a chunk present has its bytes");
                }
                store.insertChunk(data);
                assertArrayEquals(data, store.loadChunk(digest), "inserting again works");
            }
        }
    }

    /**
     * The workload, step by step, on a store opened through {@code sys}; a step that throws is recorded and the
     * next one runs. The step during which the fault fires must throw, and must be the only one.
     *
     * @return "step: error" of every step that threw
     */
    private List<String> run(FaultySyscalls sys, Path root) throws IOException {
        Map<String, Step> steps = new LinkedHashMap<>();
        steps.put("insert a", store -> checkInserted(store, a));
        steps.put("insert b", store -> checkInserted(store, b));
        steps.put("insert a again", store -> checkInserted(store, a));
        // As the mount's commit of a written file: the bytes (a duplicate by now, unless their insert failed),
        // then the name.
        steps.put("receipt one -> a", store -> writeFile(store, "one", a));
        steps.put("receipt one -> b", store -> writeFile(store, "one", b));
        steps.put("rename one to two", store -> Receipts.of(store).rename("one", "two"));
        steps.put("remove two", store -> Receipts.of(store).remove("two"));
        steps.put("staged insert c", store -> {
            try (WriteSession session = store.beginWrite();
                    StagedChunk staged = session.stage()) {
                staged.write(ByteBuffer.wrap(c, 1000, c.length - 1000), 1000);
                staged.write(ByteBuffer.wrap(c, 0, 1000), 0);
                staged.commit();
            }
            assertArrayEquals(c, store.loadChunk(Digest.sha256(c)));
        });
        steps.put("sync", ChunkStore::sync);
        List<String> failures = new ArrayList<>();
        StoreOptions options = new StoreOptions(SyncLevel.FILE, false, Duration.ofHours(1), true);
        LocalBackend backend = LocalBackend.open(root, options, sys);
        ChunkStore store = ChunkStore.open(backend, sys.tree(backend.openTree(), SyncLevel.FILE), options);
        steps.put("close", ChunkStore::close);
        for (Map.Entry<String, Step> step : steps.entrySet()) {
            boolean firedBefore = sys.fired();
            try {
                step.getValue().run(store);
            } catch (IOException e) {
                PosixException cause = posixCause(e);
                assertNotNull(cause, step.getKey() + " failed with something else than the injected error: " + e);
                failures.add(step.getKey() + ": " + cause.getMessage());
            }
            boolean reported =
                    !failures.isEmpty() && failures.get(failures.size() - 1).startsWith(step.getKey() + ":");
            if (sys.fired() && !firedBefore && !reported) {
                fail(step.getKey() + " swallowed the injected error");
            }
        }
        return failures;
    }

    private interface Step {
        void run(ChunkStore store) throws IOException;
    }

    private static void writeFile(ChunkStore store, String name, byte[] data) throws IOException {
        Receipts.of(store).put(name, store.insertChunk(data).digest());
    }

    private static void checkInserted(ChunkStore store, byte[] data) throws IOException {
        store.insertChunk(data);
        assertArrayEquals(data, store.loadChunk(Digest.sha256(data)));
    }

    private static PosixException posixCause(Throwable e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof PosixException posix) {
                return posix;
            }
        }
        return null;
    }

    /** A new store, on tmpfs when there is one: this test makes a few hundred. */
    private Path store() throws IOException {
        Path base = Files.isDirectory(TMPFS) && Files.isWritable(TMPFS) ? TMPFS : dir;
        Path root = Files.createTempDirectory(base, "chunkfs-fault");
        created.add(root);
        Stores.init(root);
        return root;
    }

    private final List<Path> created = new ArrayList<>();

    @org.junit.jupiter.api.AfterEach
    void removeStores() throws IOException {
        for (Path root : created) {
            try (Stream<Path> paths = Files.walk(root)) {
                for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(path);
                }
            }
        }
        created.clear();
    }
}

package io.chunkfs.store.sql;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkfs.store.Digest;
import io.chunkfs.store.EntryName;
import io.chunkfs.store.Namespace;
import io.chunkfs.store.Namespace.Child;
import io.chunkfs.store.Namespace.RenameMode;
import io.chunkfs.store.NamespaceWalk;
import io.chunkfs.store.NewEntry;
import io.chunkfs.store.PosixException;
import io.chunkfs.store.SyncLevel;
import io.chunkfs.testing.TestClock;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import jnr.constants.platform.Errno;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Many changes at once, through one {@link SqlNamespace} shared by threads and through two on one file (as two
 * processes would open it): folders made, moved across the tree, removed, files made, linked and unlinked, at
 * random, each call either whole or refused with the errno Linux would give. Afterwards the tree must be whole:
 * every folder reached from the root exactly once (no cycle), each inode's links its names (a folder's 2 plus its
 * subfolders), no name of a missing inode, nothing in the tables the root does not reach.
 */
class SqlNamespaceConcurrencyTest {
    private static final long ROOT = Namespace.ROOT;

    /** What a random change may meet: names taken, gone, of the wrong kind; folders moved under themselves. */
    private static final Set<Integer> EXPECTED = Stream.of(
                    Errno.ENOENT, Errno.EEXIST, Errno.ENOTDIR, Errno.EISDIR, Errno.ENOTEMPTY, Errno.EINVAL, Errno.EPERM)
            .map(Errno::intValue)
            .collect(Collectors.toUnmodifiableSet());

    private static final List<String> MUST_HAPPEN =
            List.of("mkdir", "create", "replace", "move folder across", "rename", "link", "unlink", "rmdir", "xattr");

    @TempDir
    Path dir;

    private final TestClock clock = new TestClock(1_700_000_000_000_000_000L);

    private SqlNamespace open(boolean sharedMemoryWorks) throws IOException {
        return SqlNamespace.open(dir, sharedMemoryWorks, false, SyncLevel.FILE, clock, 0, 0, true);
    }

    @Test
    void fourThreadsChangingOneNamespaceAtRandomLeaveAWholeTree() throws Exception {
        try (SqlNamespace ns = open(true)) {
            Tally tally = run(List.of(ns, ns, ns, ns), 500, 1);
            TreeTables.assertHoldExactly(dir, NamespaceWalk.check(ns));
            tally.assertEveryKindHappened();
        }
        try (SqlNamespace again = open(true)) {
            TreeTables.assertHoldExactly(dir, NamespaceWalk.check(again));
        }
    }

    @Test
    void twoNamespacesOnOneFileAsTwoProcessesLeaveAWholeTree() throws Exception {
        try (SqlNamespace a = open(true);
                SqlNamespace b = open(true)) {
            Tally tally = run(List.of(a, b, a, b), 300, 2);
            NamespaceWalk.Tree seenByA = NamespaceWalk.check(a);
            assertEquals(seenByA.byPath(), NamespaceWalk.check(b).byPath(), "both see one tree");
            TreeTables.assertHoldExactly(dir, seenByA);
            tally.assertEveryKindHappened();
        }
    }

    @Test
    void twoNamespacesOnOneFileWithARollbackJournalLeaveAWholeTree() throws Exception {
        try (SqlNamespace a = open(false);
                SqlNamespace b = open(false)) {
            Tally tally = run(List.of(a, b), 100, 3);
            NamespaceWalk.Tree seenByA = NamespaceWalk.check(a);
            assertEquals(seenByA.byPath(), NamespaceWalk.check(b).byPath(), "both see one tree");
            TreeTables.assertHoldExactly(dir, seenByA);
            assertTrue(tally.succeeded("move folder across") > 0, tally.toString());
        }
    }

    /** Runs {@code operations} random changes in one thread per namespace given, all at once. */
    private static Tally run(List<SqlNamespace> namespaces, int operations, long seed) throws Exception {
        List<Long> folders = Collections.synchronizedList(new ArrayList<>(List.of(ROOT)));
        ExecutorService pool = Executors.newFixedThreadPool(namespaces.size());
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<Tally>> workers = new ArrayList<>();
            for (int t = 0; t < namespaces.size(); t++) {
                Namespace ns = namespaces.get(t);
                Random random = new Random(seed * 1000 + t);
                workers.add(pool.submit(() -> {
                    start.await();
                    return work(ns, random, folders, operations);
                }));
            }
            start.countDown();
            Tally total = new Tally();
            for (Future<Tally> worker : workers) {
                total.add(worker.get(60, TimeUnit.SECONDS));
            }
            return total;
        } finally {
            pool.shutdownNow();
            assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
        }
    }

    private static Tally work(Namespace ns, Random random, List<Long> folders, int operations) throws IOException {
        Tally tally = new Tally();
        for (int k = 0; k < operations; k++) {
            try {
                tally.ok(step(ns, random, folders));
            } catch (PosixException e) {
                if (!EXPECTED.contains(e.errno())) {
                    throw new AssertionError("an unexpected failure: " + e.getMessage(), e);
                }
                tally.failed(Errno.valueOf(e.errno()).name());
            }
        }
        return tally;
    }

    /** One random change; returns its kind. */
    private static String step(Namespace ns, Random random, List<Long> folders) throws IOException {
        int roll = random.nextInt(100);
        long folder = pick(random, folders);
        if (roll < 14) {
            folders.add(ns.create(folder, name(random), NewEntry.folder(0755, 0, 0, 1))
                    .inode());
            return "mkdir";
        }
        if (roll < 28) {
            ns.create(folder, name(random), file(random));
            return "create";
        }
        if (roll < 32) {
            ns.createOrReplace(folder, name(random), file(random));
            return "replace";
        }
        Child child = child(ns, folder, random, roll < 52);
        if (child == null) {
            return "empty folder";
        }
        if (roll < 36 && child.entry().isFolder()) {
            // into itself or its first subfolder: EINVAL, unless others moved them meanwhile
            long into = child.entry().inode();
            List<Child> below = ns.list(into, null, 1);
            if (!below.isEmpty() && below.get(0).entry().isFolder()) {
                into = below.get(0).entry().inode();
            }
            ns.rename(folder, child.name(), into, name(random), RenameMode.REPLACE);
            return "move folder under itself";
        }
        if (roll < 52) {
            long to = pick(random, folders);
            int mode = random.nextInt(10);
            ns.rename(
                    folder,
                    child.name(),
                    to,
                    name(random),
                    mode < 6 ? RenameMode.REPLACE : mode < 8 ? RenameMode.NOREPLACE : RenameMode.EXCHANGE);
            return child.entry().isFolder() ? (to != folder ? "move folder across" : "rename folder") : "rename";
        }
        if (roll < 64) {
            ns.link(child.entry().inode(), pick(random, folders), name(random));
            return "link";
        }
        if (roll < 78) {
            ns.unlink(folder, child.name());
            return "unlink";
        }
        if (roll < 88) {
            ns.removeFolder(folder, child.name());
            return "rmdir";
        }
        if (roll < 94) {
            ns.setXattr(
                    child.entry().inode(),
                    "user.x" + random.nextInt(3),
                    new byte[] {(byte) random.nextInt()},
                    Namespace.XattrMode.ANY);
            return "xattr";
        }
        ns.lookup(folder, child.name());
        ns.entry(child.entry().inode());
        ns.list(folder, child.name(), 10);
        return "read";
    }

    private static long pick(Random random, List<Long> folders) {
        synchronized (folders) {
            return folders.get(random.nextInt(folders.size()));
        }
    }

    private static EntryName name(Random random) throws PosixException {
        return EntryName.of("n" + random.nextInt(6));
    }

    private static NewEntry file(Random random) {
        byte[] content = ("content " + random.nextInt(8)).getBytes(StandardCharsets.UTF_8);
        return NewEntry.file(Digest.sha256(content), content.length, 0644, 0, 0, 1);
    }

    /** A random entry of {@code folder} (a folder if one is there and {@code folder} is wanted), or null. */
    private static Child child(Namespace ns, long folder, Random random, boolean preferFolder) throws IOException {
        List<Child> children = ns.list(folder, null, 32);
        if (children.isEmpty()) {
            return null;
        }
        if (preferFolder) {
            List<Child> subfolders =
                    children.stream().filter(c -> c.entry().isFolder()).toList();
            if (!subfolders.isEmpty()) {
                return subfolders.get(random.nextInt(subfolders.size()));
            }
        }
        return children.get(random.nextInt(children.size()));
    }

    /** How many changes of each kind went through, and how many were refused with each errno. */
    private static final class Tally {
        private final Map<String, Integer> succeeded = new TreeMap<>();
        private final Map<String, Integer> failed = new TreeMap<>();

        void ok(String kind) {
            succeeded.merge(kind, 1, Integer::sum);
        }

        void failed(String errno) {
            failed.merge(errno, 1, Integer::sum);
        }

        int succeeded(String kind) {
            return succeeded.getOrDefault(kind, 0);
        }

        void add(Tally other) {
            other.succeeded.forEach((kind, n) -> succeeded.merge(kind, n, Integer::sum));
            other.failed.forEach((errno, n) -> failed.merge(errno, n, Integer::sum));
        }

        void assertEveryKindHappened() {
            for (String kind : MUST_HAPPEN) {
                assertTrue(succeeded(kind) > 0, kind + " never went through: " + this);
            }
            assertTrue(failed.getOrDefault("EINVAL", 0) > 0, "no folder was ever moved under itself: " + this);
        }

        @Override
        public String toString() {
            return "succeeded " + succeeded + ", refused " + failed;
        }
    }
}

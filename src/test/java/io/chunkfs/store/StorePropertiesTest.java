package io.chunkfs.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkfs.testing.TestStores;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Random sequences of insert / touch / load / gc / verify, run by several threads at once against a
 * simple model: whatever any thread inserted, or touched successfully, after a collection began is
 * still there after it; every file at a digest path always hashes to its name (checked by an observer
 * thread while the operations run); and every chunk still present has the bytes the model gave it.
 */
class StorePropertiesTest {
    /** One step of a thread: an operation on one of a small set of contents, so that threads collide. */
    record Step(String op, int content) {}

    /** A successful insert or touch of {@code digest} that began at {@code start}. */
    record Event(Digest digest, java.time.Instant start) {}

    /** Where the atime clock (coarse, file system) may lag the system clock. */
    private static final Duration CLOCK_SLACK = Duration.ofMillis(50);

    @Provide
    Arbitrary<List<List<Step>>> programs() {
        Arbitrary<Step> step = Combinators.combine(
                        Arbitraries.of("insert", "insert", "insert", "touch", "load", "gc", "verify"),
                        Arbitraries.integers().between(0, 40))
                .as(Step::new);
        return step.list().ofMinSize(5).ofMaxSize(40).list().ofMinSize(2).ofMaxSize(4);
    }

    private static byte[] content(int n) {
        // Sizes from empty to a few hundred KiB, so that streams and staging are exercised.
        byte[] bytes = new byte[(n * 7919) % 300_000 + (n % 5 == 0 ? 0 : 1)];
        new java.util.Random(n).nextBytes(bytes);
        return bytes;
    }

    @Property(tries = 25)
    void concurrentProgramsKeepTheStoreConsistent(@ForAll("programs") List<List<Step>> threads) throws Exception {
        Path dir = Files.createTempDirectory("chunkfs-prop");
        try (ChunkStore store = TestStores.newStore(dir)) {
            Map<Digest, byte[]> everInserted = new ConcurrentHashMap<>();
            List<Event> events = new CopyOnWriteArrayList<>();
            Object collectionAndCheck = new Object();
            List<String> violations = new CopyOnWriteArrayList<>();
            AtomicBoolean running = new AtomicBoolean(true);
            Thread observer = new Thread(() -> {
                while (running.get()) {
                    observe(store, violations);
                }
            });
            observer.start();
            List<Thread> workers = new ArrayList<>();
            for (List<Step> program : threads) {
                workers.add(
                        new Thread(() -> run(store, program, everInserted, events, collectionAndCheck, violations)));
            }
            workers.forEach(Thread::start);
            for (Thread worker : workers) {
                worker.join();
            }
            running.set(false);
            observer.join();
            observe(store, violations);
            assertEquals(List.of(), violations);
            try (var chunks = store.chunks()) {
                for (Digest digest : chunks.toList()) {
                    assertArrayEquals(everInserted.get(digest), store.loadChunk(digest), "bytes of " + digest);
                }
            }
            assertTrue(new Verifier(store, 2, Progress.NONE).verifyAll().ok());
        } finally {
            deleteRecursively(dir);
        }
    }

    /**
     * The random race the deterministic tests of {@code GarbageCollectorTest} pin point by point: inserts and
     * touches of old chunks, from the moment marking ends, against the sweep that removes them. Every insert, and
     * every touch that answered true, sticks; a touch that found the chunk taken answers false, and the caller knows.
     */
    @Property(tries = 10)
    void insertsAndTouchesRacingASweepStick(
            @ForAll @net.jqwik.api.constraints.IntRange(min = 50, max = 800) int chunks,
            @ForAll @net.jqwik.api.constraints.IntRange(min = 1, max = 4) int every,
            @ForAll boolean inserts)
            throws Exception {
        Path dir = Files.createTempDirectory("chunkfs-prop");
        try (ChunkStore store = TestStores.newStore(dir)) {
            Digest[] digests = new Digest[chunks];
            for (int i = 0; i < chunks; i++) {
                digests[i] = store.insertChunk(raceBytes(i)).digest();
                TestStores.age(store, digests[i]);
            }
            java.util.concurrent.CountDownLatch marked = new java.util.concurrent.CountDownLatch(1);
            boolean[] mustStay = new boolean[chunks];
            java.util.concurrent.CompletableFuture<Void> racer = java.util.concurrent.CompletableFuture.runAsync(() -> {
                try {
                    marked.await();
                    for (int i = 0; i < chunks; i += every) {
                        if (inserts && i % 2 == 0) {
                            store.insertChunk(raceBytes(i));
                            mustStay[i] = true;
                        } else {
                            mustStay[i] = store.condTouchChunk(digests[i], false);
                        }
                    }
                } catch (IOException | InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            new GarbageCollector(store, Duration.ZERO, Progress.NONE).collect(new java.util.Iterator<>() {
                @Override
                public boolean hasNext() {
                    marked.countDown();
                    return false;
                }

                @Override
                public Digest next() {
                    throw new java.util.NoSuchElementException();
                }
            });
            racer.get();
            for (int i = 0; i < chunks; i++) {
                if (mustStay[i]) {
                    assertTrue(store.contains(digests[i]), "inserted or touched (answered true) during gc: race " + i);
                }
            }
            assertTrue(new Verifier(store, 2, Progress.NONE).verifyAll().ok());
        } finally {
            deleteRecursively(dir);
        }
    }

    private static byte[] raceBytes(int i) {
        return ("race " + i).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    private static void run(
            ChunkStore store,
            List<Step> program,
            Map<Digest, byte[]> everInserted,
            List<Event> events,
            Object collectionAndCheck,
            List<String> violations) {
        Set<Digest> known = new HashSet<>();
        try {
            for (Step step : program) {
                byte[] bytes = content(step.content());
                Digest digest = Digest.sha256(bytes);
                java.time.Instant began = java.time.Instant.now();
                switch (step.op()) {
                    case "insert" -> {
                        InsertResult result = step.content() % 2 == 0
                                ? store.insertChunk(bytes)
                                : store.insert(new java.io.ByteArrayInputStream(bytes));
                        if (!result.digest().equals(digest) || result.size() != bytes.length) {
                            violations.add("insert returned " + result + " for " + digest);
                        }
                        everInserted.put(digest, bytes);
                        known.add(digest);
                        events.add(new Event(digest, began));
                    }
                    case "touch" -> {
                        if (store.condTouchChunk(digest, false)) {
                            known.add(digest);
                            events.add(new Event(digest, began));
                        }
                    }
                    case "load" -> {
                        if (store.contains(digest)) {
                            try {
                                byte[] loaded = store.loadChunk(digest);
                                if (!java.util.Arrays.equals(loaded, bytes)) {
                                    violations.add("load of " + digest + " returned other bytes");
                                }
                            } catch (ChunkNotFoundException e) {
                                // swept by another thread's collection meanwhile
                            }
                        }
                    }
                    case "gc" -> {
                        // Collections (and the check after each) take turns; everything else runs alongside.
                        synchronized (collectionAndCheck) {
                            GcResult result = new GarbageCollector(store, Duration.ZERO, Progress.NONE)
                                    .collect(new ArrayList<>(known).iterator());
                            java.time.Instant safe = result.started().plus(CLOCK_SLACK);
                            for (Event event : events) {
                                if (event.start().isAfter(safe) && !store.contains(event.digest())) {
                                    violations.add(event.digest() + " inserted or touched at " + event.start()
                                            + ", after the collection began (" + result.started() + "), was swept");
                                }
                            }
                        }
                    }
                    case "verify" -> {
                        VerifyResult result = new Verifier(store, 2, Progress.NONE).verifyAll();
                        if (!result.bad().isEmpty()) {
                            violations.add("verify found bad chunks " + result.bad());
                        }
                    }
                    default -> throw new IllegalStateException(step.op());
                }
            }
        } catch (IOException | RuntimeException e) {
            violations.add(step(e));
        }
    }

    private static String step(Exception e) {
        return e.getClass().getSimpleName() + ": " + e.getMessage();
    }

    /** Every file at a digest path is complete: it hashes to its name. */
    private static void observe(ChunkStore store, List<String> violations) {
        for (int prefix = 0; prefix < 256; prefix++) {
            try (DirectoryStream<Path> entries =
                    Files.newDirectoryStream(TestStores.layout(store).prefixDir(prefix))) {
                for (Path entry : entries) {
                    String name = entry.getFileName().toString();
                    if (!Digest.isValid(name)) {
                        continue;
                    }
                    byte[] bytes;
                    try {
                        bytes = Files.readAllBytes(entry);
                    } catch (java.nio.file.NoSuchFileException e) {
                        continue;
                    }
                    if (!Digest.sha256(bytes).toString().equals(name)) {
                        violations.add("partial or wrong bytes at " + name);
                    }
                }
            } catch (IOException e) {
                violations.add(step(e));
            }
        }
    }

    private static void deleteRecursively(Path dir) throws IOException {
        try (var walk = Files.walk(dir)) {
            for (Path path : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }
}

package io.chunkfs.store;

import static io.chunkfs.testing.TestStores.age;
import static io.chunkfs.testing.TestStores.chunkPath;
import static io.chunkfs.testing.TestStores.newStore;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkfs.Stores;
import io.chunkfs.testing.Receipts;
import io.chunkfs.testing.TestStores;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GarbageCollectorTest {
    @TempDir
    Path dir;

    private static GcResult collect(ChunkStore store, Duration margin, Iterator<Digest> marks) throws Exception {
        return new GarbageCollector(store, margin, Progress.NONE).collect(marks);
    }

    /** Proxmox's way (tree roots off): only the marks keep chunks, and a name of a removed chunk is dropped. */
    @Test
    void sweepsWhatWasNotMarkedAndKeepsWhatWas() throws Exception {
        try (ChunkStore store = newStore(dir)) {
            store.tree().setTreeRoots(false);
            Digest kept =
                    store.insertChunk("kept".getBytes(StandardCharsets.UTF_8)).digest();
            Digest swept =
                    store.insertChunk("swept".getBytes(StandardCharsets.UTF_8)).digest();
            Digest missing = Digest.sha256("never stored".getBytes(StandardCharsets.UTF_8));
            age(store, kept);
            age(store, swept);
            Receipts receipts = Receipts.of(store);
            receipts.put("kept.txt", kept);
            receipts.put("swept.txt", swept);
            GcResult result =
                    collect(store, Duration.ZERO, List.of(kept, missing).iterator());
            assertTrue(store.contains(kept));
            assertFalse(store.contains(swept));
            assertEquals(1, result.marked());
            assertEquals(1, result.markedMissing());
            assertFalse(result.treeRoots());
            assertEquals(0, result.treeMarked());
            assertEquals(2, result.chunksBefore());
            assertEquals(1, result.removedChunks());
            assertEquals("swept".length(), result.removedBytes());
            assertEquals(1, result.keptChunks());
            assertEquals(1, result.removedReceipts());
            assertEquals(List.of(new Receipts.Receipt("kept.txt", kept)), receipts.list());
        }
    }

    @Test
    void theDefaultMarginKeepsYoungChunks() throws Exception {
        try (ChunkStore store = newStore(dir)) {
            Digest young =
                    store.insertChunk("young".getBytes(StandardCharsets.UTF_8)).digest();
            age(store, young); // an hour old is still well inside 24 h 5 min
            GcResult result = collect(store, GarbageCollector.DEFAULT_MARGIN, null);
            assertTrue(store.contains(young));
            assertEquals(0, result.removedChunks());
        }
    }

    @Test
    void aSecondCollectionIsRefusedWhileOneRuns() throws Exception {
        try (ChunkStore store = newStore(dir);
                ChunkStore other = Stores.open(TestStores.root(store))) {
            CountDownLatch marking = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            Iterator<Digest> blocking = new Iterator<>() {
                @Override
                public boolean hasNext() {
                    marking.countDown();
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return false;
                }

                @Override
                public Digest next() {
                    throw new java.util.NoSuchElementException();
                }
            };
            CompletableFuture<GcResult> first = CompletableFuture.supplyAsync(() -> {
                try {
                    return collect(store, Duration.ZERO, blocking);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            marking.await();
            StoreException refused = assertThrows(StoreException.class, () -> collect(other, Duration.ZERO, null));
            assertTrue(refused.getMessage().contains("another garbage collection is running"), refused.getMessage());
            release.countDown();
            first.get();
            collect(other, Duration.ZERO, null); // and allowed again afterwards
        }
    }

    @Test
    void anActiveWriterKeepsTheCutoffBack() throws Exception {
        try (ChunkStore store = newStore(dir)) {
            Digest written;
            try (WriteSession session = store.beginWrite()) {
                written = session.insertChunk("in progress".getBytes(StandardCharsets.UTF_8))
                        .digest();
                // Its atime is after the session began but before the collection starts.
                Files.setAttribute(
                        chunkPath(store, written),
                        "lastAccessTime",
                        java.nio.file.attribute.FileTime.fromMillis(session.startMillis() + 1));
                GcResult during = collect(store, Duration.ZERO, null);
                assertTrue(store.contains(written), "kept while its writer is active");
                assertEquals(0, during.removedChunks());
            }
            age(store, written);
            collect(store, Duration.ZERO, null);
            assertFalse(store.contains(written), "swept once the writer is done and nothing marked it");
        }
    }

    /**
     * Inserts and touches at chosen points of a collection (the window between the sweep's look and its removal is
     * {@link #aTouchBetweenTheSweepsLookAndItsRemovalKeepsTheChunk}; a touch racing the removal inside the kernel is
     * in {@code SweepClockTest}; random races are in {@code StorePropertiesTest}): every insert, and every touch
     * that answered true, sticks.
     */
    @Test
    void chunksInsertedOrTouchedDuringTheSweepSurvive() throws Exception {
        try (ChunkStore store = newStore(dir)) {
            Digest insertedBeforeTheLook =
                    store.insertChunk(bytes("inserted before the sweep looks")).digest();
            Digest touchedBeforeTheLook =
                    store.insertChunk(bytes("touched before the sweep looks")).digest();
            age(store, insertedBeforeTheLook);
            age(store, touchedBeforeTheLook);
            // Three old chunks of one prefix: one sweep thread removes them one after the other, so that when the
            // sweep comes to the second, the first is gone (inserted again there), and at the third, the second
            // (touched there: it must answer false).
            Map<String, List<String>> byPrefix = new HashMap<>();
            List<String> group = null;
            for (int i = 0; group == null; i++) {
                String text = "one prefix " + i;
                Digest digest = store.insertChunk(bytes(text)).digest();
                List<String> texts = byPrefix.computeIfAbsent(digest.prefix(), prefix -> new ArrayList<>());
                texts.add(text);
                if (texts.size() == 3) {
                    group = texts;
                }
            }
            Map<String, String> textOf = new HashMap<>();
            for (String text : group) {
                Digest digest = Digest.sha256(bytes(text));
                age(store, digest);
                textOf.put(digest.toString(), text);
            }
            List<String> sweptInOrder = new ArrayList<>();
            Map<String, Boolean> touchAnswered = new HashMap<>();
            GarbageCollector collector = new GarbageCollector(store, Duration.ZERO, Progress.NONE);
            collector.beforeSetAside(chunk -> {
                if (!textOf.containsKey(chunk)) {
                    return;
                }
                sweptInOrder.add(chunk);
                try {
                    if (sweptInOrder.size() == 2) {
                        String removed = sweptInOrder.get(0);
                        assertFalse(store.contains(Digest.parse(removed)), "removed before the sweep came here");
                        assertFalse(
                                store.insertChunk(bytes(textOf.get(removed))).duplicate());
                    } else if (sweptInOrder.size() == 3) {
                        String removed = sweptInOrder.get(1);
                        touchAnswered.put(removed, store.condTouchChunk(Digest.parse(removed), false));
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            GcResult result = collector.collect(new Iterator<>() {
                @Override
                public boolean hasNext() {
                    // After the start, before the sweep looks at anything.
                    try {
                        assertTrue(store.insertChunk(bytes("inserted before the sweep looks"))
                                .duplicate());
                        assertTrue(store.condTouchChunk(touchedBeforeTheLook, false));
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                    return false;
                }

                @Override
                public Digest next() {
                    throw new java.util.NoSuchElementException();
                }
            });
            assertTrue(store.contains(insertedBeforeTheLook), "inserted after the start");
            assertTrue(store.contains(touchedBeforeTheLook), "touched after the start");
            assertEquals(3, sweptInOrder.size(), "the sweep came to all three: " + sweptInOrder);
            assertTrue(store.contains(Digest.parse(sweptInOrder.get(0))), "inserted again after its removal");
            assertEquals(Map.of(sweptInOrder.get(1), false), touchAnswered, "a touch of a removed chunk");
            assertFalse(store.contains(Digest.parse(sweptInOrder.get(1))));
            assertFalse(store.contains(Digest.parse(sweptInOrder.get(2))));
            assertNull(result.stopped());
            assertTrue(new Verifier(store, 2, Progress.NONE).verifyAll().ok());
        }
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aTouchBetweenTheSweepsLookAndItsRemovalKeepsTheChunk() throws Exception {
        try (ChunkStore store = newStore(dir)) {
            Digest touched = store.insertChunk("touched late".getBytes(StandardCharsets.UTF_8))
                    .digest();
            Digest reinserted = store.insertChunk("re-inserted late".getBytes(StandardCharsets.UTF_8))
                    .digest();
            Digest unused =
                    store.insertChunk("unused".getBytes(StandardCharsets.UTF_8)).digest();
            age(store, touched);
            age(store, reinserted);
            age(store, unused);
            GarbageCollector collector = new GarbageCollector(store, Duration.ZERO, Progress.NONE);
            // Exactly the window Proxmox had to close: the sweep saw an old atime, then the chunk is used.
            collector.beforeSetAside(chunk -> {
                try {
                    if (chunk.equals(touched.toString())) {
                        assertTrue(store.condTouchChunk(touched, true));
                    } else if (chunk.equals(reinserted.toString())) {
                        assertTrue(store.insertChunk("re-inserted late".getBytes(StandardCharsets.UTF_8))
                                .duplicate());
                    }
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            GcResult result = collector.collect(null);
            assertTrue(store.contains(touched));
            assertTrue(store.contains(reinserted));
            assertFalse(store.contains(unused));
            assertEquals(1, result.removedChunks());
        }
    }

    @Test
    void aTouchDuringTheSweepKeepsTheChunkEvenIfTheClockSteppedBack() throws Exception {
        try (ChunkStore store = newStore(dir)) {
            Digest touched = store.insertChunk("touched by a clock that went back".getBytes(StandardCharsets.UTF_8))
                    .digest();
            age(store, touched);
            GarbageCollector collector = new GarbageCollector(store, Duration.ZERO, Progress.NONE);
            // Between the sweep's look and its removal the chunk is used, but the wall clock stepped back meanwhile
            // (an NTP step): its new atime is older than the cutoff, though not what the sweep saw.
            collector.beforeSetAside(chunk -> {
                try {
                    Files.setAttribute(
                            chunkPath(store, touched),
                            "lastAccessTime",
                            FileTime.from(Instant.now().minusSeconds(600)));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            GcResult result = collector.collect(null);
            assertTrue(store.contains(touched), "touched during the sweep");
            assertEquals(0, result.removedChunks());
            assertEquals(1, result.keptChunks());
        }
    }

    @Test
    void whenTheFileClockFallsBehindTheMonotonicOneNothingMoreIsRemoved() throws Exception {
        try (ChunkStore store = newStore(dir)) {
            Digest old = store.insertChunk(bytes("old")).digest();
            age(store, old);
            // The monotonic clock says 10 s passed after the start, the file clock barely moved: it went back.
            java.util.concurrent.atomic.AtomicLong passed = new java.util.concurrent.atomic.AtomicLong();
            GarbageCollector collector =
                    new GarbageCollector(store, Duration.ZERO, Progress.NONE, () -> System.nanoTime() + passed.get());
            GcResult result = collector.collect(new Iterator<>() {
                @Override
                public boolean hasNext() {
                    passed.set(TimeUnit.SECONDS.toNanos(10));
                    return false;
                }

                @Override
                public Digest next() {
                    throw new java.util.NoSuchElementException();
                }
            });
            assertTrue(store.contains(old));
            assertEquals(0, result.removedChunks());
            assertEquals(1, result.keptChunks());
            assertTrue(
                    result.stopped().startsWith("gc stopped removing: the file clock stepped back 1"),
                    result.stopped());
        }
    }

    @Test
    void removalsOfDifferentPrefixesAreInFlightTogether() throws Exception {
        // A removal waits for the disk, not for a core: the sweep must keep several going at once, whatever the
        // number of cores. Each candidate holds its sweep thread until all of them have arrived.
        int together = 8;
        try (ChunkStore store = newStore(dir)) {
            Map<String, Digest> onePerPrefix = new HashMap<>();
            for (int i = 0; onePerPrefix.size() < together; i++) {
                Digest digest = store.insertChunk(("in flight " + i).getBytes(StandardCharsets.UTF_8))
                        .digest();
                if (onePerPrefix.putIfAbsent(digest.prefix(), digest) == null) {
                    age(store, digest);
                }
            }
            CyclicBarrier allArrived = new CyclicBarrier(together);
            Set<String> candidates = new HashSet<>();
            onePerPrefix.values().forEach(digest -> candidates.add(digest.toString()));
            GarbageCollector collector = new GarbageCollector(store, Duration.ZERO, Progress.NONE);
            collector.beforeSetAside(chunk -> {
                if (!candidates.contains(chunk)) {
                    return;
                }
                try {
                    allArrived.await(20, TimeUnit.SECONDS);
                } catch (Exception e) {
                    throw new IllegalStateException("fewer than " + together + " removals were in flight at once", e);
                }
            });
            GcResult result = collector.collect(List.<Digest>of().iterator());
            assertEquals(together, result.removedChunks());
            for (Digest digest : onePerPrefix.values()) {
                assertFalse(store.contains(digest));
            }
        }
    }

    @Test
    void leftoversOfDeadWritersAreRemovedLiveOnesKept() throws Exception {
        try (ChunkStore store = newStore(dir)) {
            Path dead = Files.writeString(TestStores.layout(store).tmpDir().resolve("deadbeefdeadbeef-1"), "partial");
            try (WriteSession session = store.beginWrite()) {
                StagedChunk live = session.stage();
                live.write(java.nio.ByteBuffer.wrap("live".getBytes(StandardCharsets.UTF_8)), 0);
                GcResult result = collect(store, Duration.ZERO, null);
                assertEquals(1, result.removedTemps());
                assertFalse(Files.exists(dead));
                assertEquals(
                        1, TestStores.countFiles(TestStores.layout(store).tmpDir()), "the live session's file stays");
                live.commit();
            }
            Files.writeString(TestStores.layout(store).tmpDir().resolve("0123456789abcdef-7"), "partial");
            Stores.open(TestStores.root(store)).close();
            assertEquals(0, TestStores.countFiles(TestStores.layout(store).tmpDir()), "start-up removes them too");
        }
    }

    @Test
    void oddFilesAreReportedNotDeletedAndSetAsideChunksRestored() throws Exception {
        try (ChunkStore store = newStore(dir)) {
            Digest digest =
                    store.insertChunk("aside".getBytes(StandardCharsets.UTF_8)).digest();
            Path chunk = chunkPath(store, digest);
            Path aside = chunk.resolveSibling(digest + ".sweep");
            Files.move(chunk, aside);
            Path foreign = Files.writeString(chunk.resolveSibling("notes.txt"), "mine");
            Files.writeString(chunk.resolveSibling(digest + ".0.bad"), "bad");
            GcResult result = collect(store, GarbageCollector.DEFAULT_MARGIN, null);
            assertTrue(Files.exists(foreign));
            assertTrue(store.contains(digest), "a chunk set aside by a collection that died is restored");
            assertEquals(1, result.badChunks());
            assertTrue(
                    result.oddities().stream().anyMatch(line -> line.contains("notes.txt")),
                    result.oddities().toString());
        }
    }

    @Test
    void aNegativeMarginIsRefused() throws Exception {
        try (ChunkStore store = newStore(dir)) {
            assertThrows(
                    IllegalArgumentException.class,
                    () -> new GarbageCollector(store, Duration.ofSeconds(-1), Progress.NONE));
        }
    }
}

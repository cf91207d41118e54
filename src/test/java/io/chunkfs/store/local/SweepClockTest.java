package io.chunkfs.store.local;

import static io.chunkfs.testing.TestStores.age;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkfs.Stores;
import io.chunkfs.store.ChunkStore;
import io.chunkfs.store.Digest;
import io.chunkfs.store.GarbageCollector;
import io.chunkfs.store.GcResult;
import io.chunkfs.store.Progress;
import io.chunkfs.store.StoreOptions;
import io.chunkfs.store.SyncLevel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * gc against the file system's clock, stepped as NTP or a resumed VM steps it ({@link SteppedSyscalls}), and a
 * touch racing the sweep inside the kernel: what a touch that answered true must keep.
 */
class SweepClockTest {
    @TempDir
    Path dir;

    private final SteppedSyscalls.FileClock clock = new SteppedSyscalls.FileClock();

    private ChunkStore open(Syscalls sys) throws IOException {
        Path root = dir.resolve("store");
        Stores.init(root);
        return LocalTesting.open(
                root, StoreOptions.defaults().withSyncLevel(SyncLevel.NONE).withClock(clock), sys);
    }

    private static Digest oldChunk(ChunkStore store, String text) throws IOException {
        Digest digest = store.insertChunk(text.getBytes(StandardCharsets.UTF_8)).digest();
        age(store, digest);
        return digest;
    }

    /** Marks nothing; runs {@code action} once the collection has taken its start, before the sweep. */
    private static Iterator<Digest> afterTheStart(Runnable action) {
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                action.run();
                return false;
            }

            @Override
            public Digest next() {
                throw new NoSuchElementException();
            }
        };
    }

    private static void touch(ChunkStore store, Digest digest) {
        try {
            assertTrue(store.condTouchChunk(digest, false), "the touch answered true");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void aChunkTouchedAfterTheClockSteppedBackSurvivesAndGcStopsRemoving() throws Exception {
        try (ChunkStore store = open(SteppedSyscalls.create(clock))) {
            Digest touched = oldChunk(store, "touched after the step");
            Digest unused = oldChunk(store, "unused");
            // --margin 0s: the cutoff is the start minus 50 ms; the clock then steps back 10 s and the chunk is
            // touched, so its atime is 10 s before the cutoff.
            GcResult result = new GarbageCollector(store, Duration.ZERO, Progress.NONE).collect(afterTheStart(() -> {
                clock.step(-10_000);
                touch(store, touched);
            }));
            assertTrue(store.contains(touched), "a chunk whose touch answered true is kept");
            assertNotNull(result.stopped(), "gc says it stopped removing");
            assertTrue(result.stopped().contains("file clock stepped back"), result.stopped());
            assertTrue(store.contains(unused), "nothing is removed once the clock went back");
            assertEquals(0, result.removedChunks());
            assertEquals(2, result.keptChunks());
        }
    }

    @Test
    void aStepBackInTheMiddleOfTheSweepStopsTheRemovalsAfterIt() throws Exception {
        AtomicReference<ChunkStore> opened = new AtomicReference<>();
        AtomicReference<Digest> late = new AtomicReference<>();
        AtomicBoolean armed = new AtomicBoolean();
        // When the sweep lists the prefix of the late chunk (not before), the clock steps back and it is touched.
        SteppedSyscalls.Around around = (method, args, proceed) -> {
            if (method.equals("list")
                    && late.get() != null
                    && ((Folder) args[0])
                            .resolve("x")
                            .getParent()
                            .getFileName()
                            .toString()
                            .equals(late.get().prefix())
                    && armed.compareAndSet(true, false)) {
                clock.step(-10_000);
                touch(opened.get(), late.get());
            }
            return proceed.call(args);
        };
        try (ChunkStore store = open(SteppedSyscalls.create(clock, around))) {
            opened.set(store);
            Digest touched = oldChunk(store, "touched during the sweep");
            late.set(touched);
            armed.set(true);
            GcResult result = new GarbageCollector(store, Duration.ZERO, Progress.NONE).collect(null);
            assertFalse(armed.get(), "the sweep listed the chunk's prefix");
            assertTrue(store.contains(touched), "a chunk whose touch answered true is kept");
            assertNotNull(result.stopped(), "gc says it stopped removing");
        }
    }

    @Test
    void aStepForwardIsHarmlessAndTheSweepGoesOn() throws Exception {
        try (ChunkStore store = open(SteppedSyscalls.create(clock))) {
            Digest touched = oldChunk(store, "touched after the step");
            Digest unused = oldChunk(store, "unused");
            GcResult result = new GarbageCollector(store, Duration.ZERO, Progress.NONE).collect(afterTheStart(() -> {
                clock.step(180_000);
                touch(store, touched);
            }));
            assertNull(result.stopped(), result.stopped());
            assertTrue(store.contains(touched));
            assertFalse(store.contains(unused));
            assertEquals(1, result.removedChunks());
        }
    }

    @Test
    void aStepBackWithinTheMarginLeavesNothingAtRisk() throws Exception {
        try (ChunkStore store = open(SteppedSyscalls.create(clock))) {
            Digest touched = oldChunk(store, "touched after the step");
            Digest unused = oldChunk(store, "unused");
            // The cutoff is 20 min before the start: a touch 10 s back is still far after it.
            GcResult result = new GarbageCollector(store, Duration.ofMinutes(20), Progress.NONE)
                    .collect(afterTheStart(() -> {
                        clock.step(-10_000);
                        touch(store, touched);
                    }));
            assertNull(result.stopped(), result.stopped());
            assertTrue(store.contains(touched));
            assertFalse(store.contains(unused), "an hour old, before the cutoff");
        }
    }

    /**
     * The kernel finds a file by its name, then stamps it: a sweep can rename it aside, see its old atime and delete
     * it in between. Played here by holding the file's inode by a second name at the lookup, and stamping that one
     * once the sweep has looked: a touch that then answers true must have kept the chunk.
     */
    @Test
    void aTouchTheSweepOvertakesInsideTheKernelDoesNotAnswerTrueForAGoneChunk() throws Exception {
        AtomicReference<String> raced = new AtomicReference<>();
        AtomicBoolean armed = new AtomicBoolean(true);
        CountDownLatch lookedUp = new CountDownLatch(1);
        CountDownLatch sweepLooked = new CountDownLatch(1);
        SteppedSyscalls.Around around = (method, args, proceed) -> {
            String name = raced.get();
            if (name == null || args == null || args.length < 2 || !(args[1] instanceof String arg)) {
                return proceed.call(args);
            }
            if (method.equals("setTimes") && arg.equals(name) && armed.compareAndSet(true, false)) {
                Folder folder = (Folder) args[0];
                String held = name + ".held";
                LinuxSyscalls.INSTANCE.link(folder, name, folder, held); // the lookup: the inode, by reference
                lookedUp.countDown();
                assertTrue(sweepLooked.await(30, TimeUnit.SECONDS), "the sweep looked at the chunk aside");
                Object[] stamp = args.clone();
                stamp[1] = held;
                Object stamped = proceed.call(stamp); // succeeds: the inode is still there
                LinuxSyscalls.INSTANCE.unlink(folder, held);
                return stamped;
            }
            Object result = proceed.call(args);
            if (method.equals("stat") && arg.equals(name + ".sweep")) {
                sweepLooked.countDown();
            }
            return result;
        };
        try (ChunkStore store = open(SteppedSyscalls.create(clock, around))) {
            Digest chunk = oldChunk(store, "touched while the sweep takes it");
            GarbageCollector collector = new GarbageCollector(store, Duration.ZERO, Progress.NONE);
            AtomicReference<CompletableFuture<Boolean>> touch = new AtomicReference<>();
            collector.beforeSetAside(name -> {
                if (!name.equals(chunk.toString())) {
                    return;
                }
                raced.set(name);
                touch.set(CompletableFuture.supplyAsync(() -> {
                    try {
                        return store.condTouchChunk(chunk, false);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }));
                try {
                    assertTrue(lookedUp.await(30, TimeUnit.SECONDS), "the touch found the chunk");
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            collector.collect(null);
            boolean answered = touch.get().get(60, TimeUnit.SECONDS);
            assertEquals(answered, store.contains(chunk), "a touch answers true exactly when the chunk stays");
        }
    }
}

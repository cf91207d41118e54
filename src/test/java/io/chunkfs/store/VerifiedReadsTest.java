package io.chunkfs.store;

import static io.chunkfs.testing.TestBytes.random;
import static io.chunkfs.testing.TestStores.chunkPath;
import static io.chunkfs.testing.TestStores.newStore;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkfs.Stores;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A chunk is checked whole before any byte of it is served, whatever the size and read pattern. */
class VerifiedReadsTest {
    @TempDir
    Path dir;

    /** Flips one byte of the chunk file in place (same inode, new ctime). */
    private static void flip(ChunkStore store, Digest digest, long offset) throws Exception {
        Path file = chunkPath(store, digest);
        file.toFile().setWritable(true);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer one = ByteBuffer.allocate(1);
            channel.read(one, offset);
            one.put(0, (byte) (one.get(0) ^ 0x5a)).rewind();
            channel.write(one, offset);
        }
    }

    private static Path setAside(ChunkStore store, Digest digest) {
        return chunkPath(store, digest).resolveSibling(digest + ".0.bad");
    }

    // 4096 and 8192 end on a page: the old streaming check never saw their end through the mount.
    @ParameterizedTest
    @ValueSource(ints = {1, 4095, 4096, 8192, 1 << 20, 5 << 20})
    void aFlippedByteAnywhereFailsTheOpenAndSetsTheChunkAside(int size) throws Exception {
        for (long offset : new long[] {0, size / 2, size - 1}) {
            try (ChunkStore store = newStore(dir.resolve("s" + offset))) {
                byte[] good = random(size, size + offset);
                Digest digest = store.insertChunk(good).digest();
                flip(store, digest, offset);
                CorruptChunkException error =
                        assertThrows(CorruptChunkException.class, () -> store.openVerified(digest));
                assertEquals(digest, error.digest());
                assertTrue(
                        error.getMessage().contains(digest.toString())
                                && error.getMessage().contains("chunkfs verify"),
                        error.getMessage());
                assertEquals(1, store.damagedChunksRead());
                assertTrue(Files.exists(setAside(store, digest)), "quarantined as verify does");
                assertThrows(ChunkNotFoundException.class, () -> store.openVerified(digest));
                // The next insert of the right bytes heals it.
                assertFalse(store.insertChunk(good).duplicate());
                assertArrayEquals(good, store.loadChunk(digest));
            }
        }
    }

    @Test
    void aChunkTruncatedToNothingFails() throws Exception {
        try (ChunkStore store = newStore(dir)) {
            Digest digest = store.insertChunk(random(8192, 1)).digest();
            chunkPath(store, digest).toFile().setWritable(true);
            Files.write(chunkPath(store, digest), new byte[0]);
            assertThrows(CorruptChunkException.class, () -> store.loadChunk(digest));
            assertTrue(Files.exists(setAside(store, digest)));
        }
    }

    @Test
    void loadChunkIsVerified() throws Exception {
        try (ChunkStore store = newStore(dir)) {
            Digest digest = store.insertChunk(random(3000, 2)).digest();
            flip(store, digest, 1500);
            assertThrows(CorruptChunkException.class, () -> store.loadChunk(digest));
        }
    }

    @Test
    void aChunkChangedAfterItWasVerifiedIsCheckedAgain() throws Exception {
        try (ChunkStore store = newStore(dir)) {
            byte[] good = random(3 << 20, 3);
            Digest digest = store.insertChunk(good).digest();
            try (ChunkReader first = store.openVerified(digest)) {
                assertFalse(first.knownBefore(), "a first open is not known");
            }
            try (ChunkReader second = store.openVerified(digest)) {
                assertTrue(second.knownBefore(), "unchanged since it was verified");
                ByteBuffer tail = ByteBuffer.allocate(10);
                assertEquals(10, second.read(tail, good.length - 10));
                assertEquals(0, second.read(ByteBuffer.allocate(1), good.length));
            }
            // Replaced by another file of the same size (new inode), then damaged in place (new ctime).
            Path file = chunkPath(store, digest);
            Path replacement = dir.resolve("replacement");
            byte[] bad = good.clone();
            bad[good.length - 1] ^= 1;
            Files.write(replacement, bad);
            Files.move(replacement, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            assertThrows(CorruptChunkException.class, () -> store.openVerified(digest));
            store.insertChunk(good);
            try (ChunkReader healed = store.openVerified(digest)) {
                assertFalse(healed.knownBefore());
            }
            flip(store, digest, 0);
            assertThrows(CorruptChunkException.class, () -> store.openVerified(digest));
            assertEquals(2, store.damagedChunksRead());
        }
    }

    @Test
    void aReadOnlyStoreReportsButLeavesTheChunkInPlace() throws Exception {
        Digest digest;
        try (ChunkStore store = newStore(dir)) {
            digest = store.insertChunk(random(5000, 4)).digest();
            flip(store, digest, 4999);
        }
        try (ChunkStore store =
                Stores.open(dir.resolve("store"), StoreOptions.defaults().withReadOnly(true))) {
            CorruptChunkException error = assertThrows(CorruptChunkException.class, () -> store.openVerified(digest));
            assertTrue(error.getMessage().contains("read-only"), error.getMessage());
            assertTrue(Files.exists(chunkPath(store, digest)));
        }
    }

    @Test
    void verifyOffServesWithoutHashing() throws Exception {
        Digest digest;
        try (ChunkStore store = newStore(dir)) {
            digest = store.insertChunk(random(5000, 5)).digest();
            flip(store, digest, 0);
        }
        try (ChunkStore store =
                Stores.open(dir.resolve("store"), StoreOptions.defaults().withVerifyReads(false))) {
            try (ChunkReader reader = store.openVerified(digest)) {
                assertEquals(5000, reader.size());
                assertFalse(reader.knownBefore());
            }
            try (ChunkReader reader = store.openVerified(digest)) {
                assertTrue(reader.knownBefore(), "the same file seen before: caches may keep it");
            }
            assertEquals(0, store.damagedChunksRead());
        }
    }

    @Test
    void theSetOfVerifiedFilesIsBounded() {
        VerifiedChunks set = new VerifiedChunks(2);
        ChunkIdentity a = new ChunkIdentity(1, java.nio.file.attribute.FileTime.fromMillis(1), 1);
        ChunkIdentity b = new ChunkIdentity(2, java.nio.file.attribute.FileTime.fromMillis(1), 1);
        ChunkIdentity c = new ChunkIdentity(3, java.nio.file.attribute.FileTime.fromMillis(1), 1);
        set.add(a);
        set.add(b);
        assertTrue(set.contains(a));
        set.add(c);
        assertEquals(2, set.size());
        assertFalse(set.contains(b), "the least recently used is forgotten");
        assertTrue(set.contains(a) && set.contains(c));
    }

    @Test
    void largeChunksHashOverlappedWithTheirReads() throws Exception {
        try (ChunkStore store = newStore(dir)) {
            byte[] good = random((17 << 20) + 1, 6);
            Digest digest = store.insertChunk(good).digest();
            try (ChunkReader reader = store.openVerified(digest)) {
                assertEquals(good.length, reader.size());
            }
            assertArrayEquals(good, store.loadChunk(digest));
            flip(store, digest, good.length - 1);
            assertThrows(CorruptChunkException.class, () -> store.openVerified(digest));
        }
    }

    @Test
    void concurrentOpensOfOneChunkShareAVerdict() throws Exception {
        try (ChunkStore store = newStore(dir)) {
            byte[] good = random(20 << 20, 7);
            Digest digest = store.insertChunk(good).digest();
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(8);
            try {
                java.util.List<java.util.concurrent.Future<Long>> reads = new java.util.ArrayList<>();
                for (int i = 0; i < 8; i++) {
                    reads.add(pool.submit(() -> {
                        try (ChunkReader reader = store.openVerified(digest)) {
                            return reader.size();
                        }
                    }));
                }
                for (var read : reads) {
                    assertEquals(good.length, read.get());
                }
                flip(store, digest, good.length / 3);
                java.util.List<java.util.concurrent.Future<Class<?>>> failures = new java.util.ArrayList<>();
                for (int i = 0; i < 8; i++) {
                    failures.add(pool.submit(() -> {
                        try (ChunkReader reader = store.openVerified(digest)) {
                            return ChunkReader.class;
                        } catch (java.io.IOException e) {
                            return e.getClass();
                        }
                    }));
                }
                for (var failure : failures) {
                    Class<?> outcome = failure.get();
                    assertTrue(
                            outcome == CorruptChunkException.class || outcome == ChunkNotFoundException.class,
                            "no open of the damaged chunk succeeds: " + outcome);
                }
            } finally {
                pool.shutdownNow();
            }
            assertTrue(Files.exists(setAside(store, digest)));
            assertFalse(Files.exists(chunkPath(store, digest).resolveSibling(digest + ".1.bad")), "set aside once");
        }
    }

    /**
     * The overlapped pass hands whole blocks from its read-ahead thread to the hasher: a damaged byte on
     * either side of a hand-over, in a last short block, or in a chunk that ends exactly on a block is
     * still found.
     */
    @ParameterizedTest
    @ValueSource(ints = {3 * WholeChunkHasher.BLOCK, 3 * WholeChunkHasher.BLOCK + 5})
    void aDamagedByteAtAnyBlockEdgeOfTheOverlappedPassIsFound(int size) throws Exception {
        int block = WholeChunkHasher.BLOCK;
        byte[] good = random(size, size);
        for (long offset : new long[] {block - 1, block, 2L * block - 1, 2L * block, 3L * block - 1, size - 1}) {
            try (ChunkStore store = newStore(dir.resolve("s" + offset))) {
                Digest digest = store.insertChunk(good).digest();
                flip(store, digest, offset);
                assertThrows(CorruptChunkException.class, () -> store.openVerified(digest), "damage at " + offset);
            }
        }
    }

    /**
     * The chunk's name swapped back and forth between a good file and a damaged one while opens hash it
     * (rename over the name, as a restore from another copy or a faulty tool would): every open either
     * refuses or hands out a reader whose bytes are exactly the chunk's, whatever file the name showed
     * before, during or after the hash.
     */
    @Test
    void aChunkSwappedWhileItIsHashedIsNeverServedDamaged() throws Exception {
        try (ChunkStore store = newStore(dir)) {
            byte[] good = random(6 << 20, 11);
            Digest digest = store.insertChunk(good).digest();
            Path file = chunkPath(store, digest);
            Path goodCopy = dir.resolve("good");
            Path badCopy = dir.resolve("bad");
            Files.write(goodCopy, good);
            byte[] bad = good.clone();
            bad[bad.length / 2] ^= 1;
            Files.write(badCopy, bad);
            java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
            java.util.concurrent.atomic.AtomicReference<Exception> swapFailed =
                    new java.util.concurrent.atomic.AtomicReference<>();
            Thread swapper = new Thread(() -> {
                Path staged = file.resolveSibling("swap.tmp");
                for (int i = 0; !stop.get(); i++) {
                    try {
                        Files.deleteIfExists(staged);
                        Files.createLink(staged, i % 2 == 0 ? badCopy : goodCopy);
                        Files.move(staged, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                    } catch (java.io.IOException e) {
                        swapFailed.set(e);
                        return;
                    }
                }
            });
            swapper.start();
            int served = 0;
            int refused = 0;
            try {
                for (int i = 0; i < 60; i++) {
                    try (ChunkReader reader = store.openVerified(digest)) {
                        assertEquals(good.length, reader.size());
                        byte[] read = new byte[good.length];
                        ByteBuffer into = ByteBuffer.wrap(read);
                        // Read while the name keeps changing: the reader holds the file it hashed.
                        assertEquals(good.length, reader.read(into, 0));
                        assertArrayEquals(good, read, "open " + i + " served bytes that are not the chunk's");
                        served++;
                    } catch (CorruptChunkException | ChunkNotFoundException e) {
                        refused++;
                    }
                }
            } finally {
                stop.set(true);
                swapper.join();
            }
            assertEquals(null, swapFailed.get());
            assertEquals(60, served + refused);
            assertTrue(
                    served > 0 && refused > 0,
                    "both files were opened: " + served + " served, " + refused + " refused");
        }
    }
}

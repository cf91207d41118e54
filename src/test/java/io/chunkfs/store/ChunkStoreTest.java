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
import io.chunkfs.testing.TestStores;
import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.ReadOnlyFileSystemException;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ChunkStoreTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(SyncLevel.class)
    void insertPlacesAReadOnlyChunkAtItsDigestPath(SyncLevel level) throws Exception {
        try (ChunkStore store = newStore(dir, level)) {
            byte[] data = random(100_000, 1);
            InsertResult result = store.insertChunk(data);
            Digest digest = Digest.sha256(data);
            assertEquals(new InsertResult(digest, data.length, false, false), result);
            Path chunk = dir.resolve("store/.chunks").resolve(digest.prefix()).resolve(digest.toString());
            assertTrue(Files.isRegularFile(chunk));
            assertEquals("r--r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(chunk)));
            assertArrayEquals(data, store.loadChunk(digest));
            assertEquals(0, TestStores.countFiles(TestStores.layout(store).tmpDir()), "nothing left in .tmp");
            store.sync();
        }
    }

    @Test
    void streamAndFileInsertsHashWhileCopying() throws Exception {
        try (ChunkStore store = newStore(dir)) {
            byte[] data = random(1_000_003, 2);
            assertEquals(
                    Digest.sha256(data),
                    store.insert(new ByteArrayInputStream(data)).digest());
            Path file = Files.write(dir.resolve("f"), random(5, 3));
            InsertResult fromFile = store.insert(file);
            assertEquals(Digest.sha256(random(5, 3)), fromFile.digest());
            assertEquals(5, fromFile.size());
            assertEquals(
                    Digest.sha256(new byte[0]),
                    store.insert(new ByteArrayInputStream(new byte[0])).digest());
        }
    }

    @Test
    void duplicateIsTouchedNotRewritten() throws Exception {
        try (ChunkStore store = newStore(dir)) {
            byte[] data = random(4096, 4);
            Digest digest = store.insertChunk(data).digest();
            Path chunk = chunkPath(store, digest);
            Files.setAttribute(chunk, "lastAccessTime", FileTime.from(Instant.ofEpochSecond(1_000_000_000)));
            Files.setLastModifiedTime(chunk, FileTime.from(Instant.ofEpochSecond(1_100_000_000)));
            Object inode =
                    Files.readAttributes(chunk, BasicFileAttributes.class).fileKey();

            Instant before = Instant.now().minusSeconds(1);
            InsertResult again = store.insertChunk(data);
            assertTrue(again.duplicate());
            BasicFileAttributes attributes = Files.readAttributes(chunk, BasicFileAttributes.class);
            assertEquals(inode, attributes.fileKey(), "not rewritten");
            assertEquals(FileTime.from(Instant.ofEpochSecond(1_100_000_000)), attributes.lastModifiedTime());
            assertTrue(attributes.lastAccessTime().toInstant().isAfter(before), "touched");
            assertTrue(store.insert(new ByteArrayInputStream(data)).duplicate(), "a streamed duplicate too");
        }
    }

    @Test
    void aStoredChunkOfTheWrongSizeIsReplaced() throws Exception {
        try (ChunkStore store = newStore(dir)) {
            byte[] data = random(10_000, 5);
            Digest digest = store.insertChunk(data).digest();
            Path chunk = chunkPath(store, digest);
            chunk.toFile().setWritable(true);
            try (var channel = java.nio.channels.FileChannel.open(chunk, java.nio.file.StandardOpenOption.WRITE)) {
                channel.truncate(100);
            }
            InsertResult repaired = store.insertChunk(data);
            assertTrue(repaired.repaired());
            assertFalse(repaired.duplicate());
            assertArrayEquals(data, store.loadChunk(digest));
            assertTrue(new Verifier(store, 2, Progress.NONE).verifyAll().ok());
        }
    }

    @Test
    void loadingAMissingChunkIsADistinctError() throws Exception {
        try (ChunkStore store = newStore(dir)) {
            Digest missing = Digest.sha256("nope".getBytes(StandardCharsets.UTF_8));
            assertThrows(ChunkNotFoundException.class, () -> store.loadChunk(missing));
            assertThrows(ChunkNotFoundException.class, () -> store.openChunk(missing));
            assertTrue(store.stat(missing).isEmpty());
        }
    }

    @Test
    void conditionalTouchSetsAtimeKeepsMtimeAndNeverCreates() throws Exception {
        try (ChunkStore store = newStore(dir)) {
            Digest digest = store.insertChunk("touch me".getBytes(StandardCharsets.UTF_8))
                    .digest();
            Path chunk = chunkPath(store, digest);
            Files.setAttribute(chunk, "lastAccessTime", FileTime.from(Instant.ofEpochSecond(1_000_000_000)));
            Files.setLastModifiedTime(chunk, FileTime.from(Instant.ofEpochSecond(1_100_000_000)));
            Instant before = Instant.now().minusSeconds(1);
            assertTrue(store.condTouchChunk(digest, true));
            BasicFileAttributes attributes = Files.readAttributes(chunk, BasicFileAttributes.class);
            assertTrue(attributes.lastAccessTime().toInstant().isAfter(before));
            assertEquals(FileTime.from(Instant.ofEpochSecond(1_100_000_000)), attributes.lastModifiedTime());

            Digest missing = Digest.sha256("absent".getBytes(StandardCharsets.UTF_8));
            assertFalse(store.condTouchChunk(missing, false));
            assertThrows(ChunkNotFoundException.class, () -> store.condTouchChunk(missing, true));
            assertFalse(Files.exists(chunkPath(store, missing)), "nothing created");
        }
    }

    @Test
    void stagedWritesAtRandomOffsetsCommitTheFinalBytes() throws Exception {
        try (ChunkStore store = newStore(dir);
                WriteSession session = store.beginWrite()) {
            java.util.Random random = new java.util.Random(6);
            Set<Digest> committed = new HashSet<>();
            for (int round = 0; round < 20; round++) {
                byte[] model = new byte[0];
                StagedChunk staged = session.stage();
                for (int op = 0; op < 30; op++) {
                    if (random.nextInt(10) == 0) {
                        int size = random.nextInt(200_000);
                        staged.truncate(size);
                        model = java.util.Arrays.copyOf(model, size);
                    } else {
                        int offset = random.nextInt(Math.max(1, model.length + 1000));
                        byte[] piece = random(random.nextInt(70_000) + 1, random.nextLong());
                        staged.write(ByteBuffer.wrap(piece), offset);
                        if (offset + piece.length > model.length) {
                            model = java.util.Arrays.copyOf(model, offset + piece.length);
                        }
                        System.arraycopy(piece, 0, model, offset, piece.length);
                    }
                }
                assertEquals(model.length, staged.size());
                Digest expected = Digest.sha256(model);
                assertEquals(
                        committed.contains(expected),
                        store.contains(expected),
                        "staged bytes are not at their digest path before their commit");
                assertEquals(expected, staged.commit().digest());
                committed.add(expected);
                assertArrayEquals(model, store.loadChunk(expected));
            }
            StagedChunk dropped = session.stage();
            dropped.write(ByteBuffer.wrap("dropped".getBytes(StandardCharsets.UTF_8)), 0);
            dropped.close();
            assertFalse(store.contains(Digest.sha256("dropped".getBytes(StandardCharsets.UTF_8))));
            assertEquals(0, TestStores.countFiles(TestStores.layout(store).tmpDir()));
        }
    }

    @Test
    void iterationAndStatsSeeExactlyTheChunks() throws Exception {
        try (ChunkStore store = newStore(dir)) {
            Set<Digest> inserted = new HashSet<>();
            long bytes = 0;
            for (int i = 0; i < 500; i++) {
                byte[] data = ("chunk " + i).getBytes(StandardCharsets.UTF_8);
                inserted.add(store.insertChunk(data).digest());
                bytes += data.length;
            }
            Digest some = inserted.iterator().next();
            Files.writeString(chunkPath(store, some).resolveSibling(some + ".0.bad"), "bad");
            Files.writeString(chunkPath(store, some).resolveSibling("foreign"), "x");
            try (var chunks = store.chunks()) {
                assertEquals(inserted, chunks.collect(Collectors.toSet()));
            }
            StoreStats stats = store.stats();
            assertEquals(500, stats.chunks());
            assertEquals(bytes, stats.bytes());
            long[] byPrefix = new long[ChunkBackend.PREFIXES];
            inserted.forEach(digest -> byPrefix[digest.prefixIndex()]++);
            assertArrayEquals(byPrefix, stats.chunksByPrefix(), "each prefix counts its own chunks");
            assertEquals(java.util.Arrays.stream(byPrefix).min().orElseThrow(), stats.minPerPrefix());
            assertEquals(java.util.Arrays.stream(byPrefix).max().orElseThrow(), stats.maxPerPrefix());
        }
    }

    @Test
    void manyThreadsInsertingTheSameAndDifferentBytes() throws Exception {
        try (ChunkStore store = newStore(dir, SyncLevel.FILE)) {
            ExecutorService pool = Executors.newFixedThreadPool(8);
            List<Future<Set<Digest>>> results = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int thread = t;
                results.add(pool.submit(() -> {
                    Set<Digest> mine = new HashSet<>();
                    for (int i = 0; i < 100; i++) {
                        // Half shared between all threads, half this thread's own.
                        byte[] data = i % 2 == 0 ? random(3000, i) : random(3000, 1000L * thread + i);
                        Digest digest = store.insertChunk(data).digest();
                        store.condTouchChunk(digest, true);
                        assertArrayEquals(data, store.loadChunk(digest));
                        mine.add(digest);
                    }
                    return mine;
                }));
            }
            Set<Digest> all = new HashSet<>();
            for (Future<Set<Digest>> result : results) {
                all.addAll(result.get());
            }
            pool.shutdown();
            try (var chunks = store.chunks()) {
                assertEquals(all, chunks.collect(Collectors.toSet()));
            }
            assertEquals(50 + 8 * 50, all.size());
            assertTrue(new Verifier(store, 2, Progress.NONE).verifyAll().ok());
            assertEquals(0, TestStores.countFiles(TestStores.layout(store).tmpDir()));
        }
    }

    @Test
    void aReadOnlyStoreRefusesChangesButReads() throws Exception {
        Digest digest;
        try (ChunkStore store = newStore(dir)) {
            digest = store.insertChunk("kept".getBytes(StandardCharsets.UTF_8)).digest();
        }
        try (ChunkStore store =
                Stores.open(dir.resolve("store"), StoreOptions.defaults().withReadOnly(true))) {
            assertThrows(
                    ReadOnlyFileSystemException.class, () -> store.insertChunk("new".getBytes(StandardCharsets.UTF_8)));
            assertThrows(ReadOnlyFileSystemException.class, () -> store.condTouchChunk(digest, true));
            assertArrayEquals("kept".getBytes(StandardCharsets.UTF_8), store.loadChunk(digest));
        }
    }

    @Test
    void anInsertThatFailsMidwayLeavesNothing() throws Exception {
        try (ChunkStore store = newStore(dir)) {
            byte[] data = random(1_000_000, 9);
            java.io.InputStream failing = new java.io.InputStream() {
                private int position;

                @Override
                public int read() throws java.io.IOException {
                    byte[] one = new byte[1];
                    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
                }

                @Override
                public int read(byte[] buffer, int offset, int length) throws java.io.IOException {
                    if (position > 600_000) {
                        throw new java.io.IOException("Input/output error (simulated)");
                    }
                    int n = Math.min(length, data.length - position);
                    System.arraycopy(data, position, buffer, offset, n);
                    position += n;
                    return n;
                }
            };
            java.io.IOException error = assertThrows(java.io.IOException.class, () -> store.insert(failing));
            assertTrue(error.getMessage().contains("simulated"));
            assertFalse(store.contains(Digest.sha256(data)));
            assertEquals(0, TestStores.countFiles(TestStores.layout(store).tmpDir()), "the staged bytes are gone");
            try (var chunks = store.chunks()) {
                assertEquals(0, chunks.count());
            }
            assertTrue(new Verifier(store, 2, Progress.NONE).verifyAll().ok());
        }
    }
}

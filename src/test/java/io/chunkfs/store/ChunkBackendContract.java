package io.chunkfs.store;

import static io.chunkfs.testing.TestBytes.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.List;
import java.util.OptionalLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link ChunkBackend} promises, as tests: a backend's test class extends this and says how to open a
 * fresh, empty backend. The store's logic relies on exactly these behaviours and no other.
 */
public abstract class ChunkBackendContract {
    /** A fresh backend over an empty store, writable, sync level {@link SyncLevel#FILE}. */
    protected abstract ChunkBackend openEmpty() throws IOException;

    private ChunkBackend backend;

    @BeforeEach
    void open() throws IOException {
        backend = openEmpty();
    }

    @AfterEach
    void close() throws IOException {
        backend.close();
    }

    /** Stages {@code data} and publishes it under its digest, as an insert does. */
    private Digest put(byte[] data) throws IOException {
        Digest digest = Digest.sha256(data);
        ChunkBackend.Staged staged = backend.stage();
        try (FileChannel channel = staged.channel()) {
            ByteBuffer bytes = ByteBuffer.wrap(data);
            while (bytes.hasRemaining()) {
                channel.write(bytes);
            }
            backend.force(channel);
        }
        backend.publish(staged.name(), digest, SyncLevel.FILE);
        return digest;
    }

    private byte[] read(Digest digest) throws IOException {
        try (FileChannel channel = backend.openRead(digest).channel()) {
            ByteBuffer all = ByteBuffer.allocate((int) channel.size());
            while (all.hasRemaining() && channel.read(all) >= 0) {
                // read it whole
            }
            return all.array();
        }
    }

    @Test
    void anAbsentChunkHasNoEntryAndCannotBeOpenedOrTouched() throws IOException {
        Digest absent = Digest.sha256(random(10, 1));
        assertNull(backend.stat(absent));
        assertThrows(ChunkNotFoundException.class, () -> backend.openRead(absent));
        assertFalse(backend.touch(absent, false), "touch never creates");
        assertFalse(backend.touch(absent, true), "touch never creates");
        assertNull(backend.stat(absent), "still nothing after the touches");
        assertFalse(backend.makeDurable(absent, SyncLevel.FILE));
    }

    @Test
    void aPublishedChunkIsSeenWholeWithItsSizeAndListedUnderItsPrefix() throws IOException {
        byte[] data = random(70_000, 2);
        Digest digest = put(data);
        ChunkBackend.Entry entry = backend.stat(digest);
        assertNotNull(entry);
        assertTrue(entry.chunk());
        assertEquals(data.length, entry.size());
        assertFalse(entry.suspect());
        assertArrayEquals(data, read(digest));
        assertEquals(entry.identity(), backend.openRead(digest).identity(), "open and stat see the same version");
        try (Stream<Digest> listed = backend.list(digest.prefixIndex())) {
            assertEquals(List.of(digest), listed.toList());
        }
        assertEquals(List.of(digest), backend.scan(digest.prefixIndex()).chunks());
        assertTrue(backend.makeDurable(digest, SyncLevel.FILE));
    }

    @Test
    void publishIfAbsentNeverReplacesAndLeavesTheStagedBytesToTheCaller() throws IOException {
        byte[] data = random(100, 6);
        Digest digest = Digest.sha256(data);
        ChunkBackend.Staged first = stage(data);
        assertTrue(backend.publishIfAbsent(first.name(), digest, SyncLevel.FILE), "a new chunk is published");
        assertArrayEquals(data, read(digest));

        ChunkBackend.Staged second = stage(random(100, 7));
        assertFalse(backend.publishIfAbsent(second.name(), digest, SyncLevel.FILE), "the chunk was there");
        assertArrayEquals(data, read(digest), "what was there is kept");
        backend.discard(second.name());
        assertEquals(0, backend.removeLeftovers(), "the caller discarded what was refused; nothing is left");
    }

    private ChunkBackend.Staged stage(byte[] data) throws IOException {
        ChunkBackend.Staged staged = backend.stage();
        try (FileChannel channel = staged.channel()) {
            channel.write(ByteBuffer.wrap(data));
            backend.force(channel);
        }
        return staged;
    }

    @Test
    void discardedStagedBytesNeverBecomeAChunk() throws IOException {
        ChunkBackend.Staged staged = backend.stage();
        staged.channel().write(ByteBuffer.wrap(random(100, 3)));
        staged.channel().close();
        backend.discard(staged.name());
        for (int prefix = 0; prefix < ChunkBackend.PREFIXES; prefix++) {
            try (Stream<Digest> listed = backend.list(prefix)) {
                assertEquals(0, listed.count(), "prefix " + prefix);
            }
        }
        assertEquals(0, backend.removeLeftovers(), "nothing left behind");
    }

    @Test
    void theGuardedDeleteRemovesAnUnusedChunkAndKeepsATouchedOne() throws IOException {
        Digest unused = put(random(100, 4));
        Digest touched = put(random(100, 5));
        long cutoff = backend.stat(touched).atime().toMillis() + 60_000;
        assertEquals(ChunkBackend.Deletion.REMOVED, backend.deleteIfUnusedSince(unused, cutoff));
        assertNull(backend.stat(unused));
        assertEquals(ChunkBackend.Deletion.GONE, backend.deleteIfUnusedSince(unused, cutoff));

        assertTrue(backend.touch(touched, false));
        long touchedAt = backend.stat(touched).atime().toMillis();
        assertEquals(ChunkBackend.Deletion.KEPT, backend.deleteIfUnusedSince(touched, touchedAt));
        assertNotNull(backend.stat(touched), "a chunk touched since the cutoff stays");
    }

    @Test
    void aQuarantinedChunkLeavesItsNameOnlyIfItIsTheVersionAskedAbout() throws IOException {
        Digest digest = put(random(100, 6));
        ChunkIdentity other = new ChunkIdentity(-42, null, 0);
        assertNull(backend.quarantine(digest, other), "another version is not set aside");
        assertNotNull(backend.stat(digest));
        String where = backend.quarantine(digest, backend.stat(digest).identity());
        assertNotNull(where);
        if (backend.capabilities().contains(ChunkBackend.Capability.CACHE)) {
            // A cache keeps the chunk's name and fetches a good copy from where chunks are kept.
            assertArrayEquals(random(100, 6), read(digest), "the next read fetches a good copy");
        } else {
            assertNull(backend.stat(digest), "the damaged version is gone from its name");
        }
        assertEquals(1, backend.scan(digest.prefixIndex()).quarantined());
        put(random(100, 6));
        assertNotNull(backend.stat(digest), "the next insert restores the chunk");
    }

    @Test
    void writerLeasesHoldTheOldestStartUntilTheyEnd() throws IOException {
        assertEquals(OptionalLong.empty(), backend.oldestWriterStart());
        long first = backend.beginWriter();
        long second = backend.beginWriter();
        assertEquals(OptionalLong.of(Math.min(first, second)), backend.oldestWriterStart());
        backend.endWriter(first);
        backend.endWriter(second);
        assertEquals(OptionalLong.empty(), backend.oldestWriterStart());
    }

    @Test
    void theGcLockIsExclusiveUntilReleased() throws IOException {
        try (Closeable lock = backend.lockForGc()) {
            assertThrows(StoreException.class, backend::lockForGc);
        }
        backend.lockForGc().close();
    }
}

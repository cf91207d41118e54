package io.chunkfs.store;

import static io.chunkfs.testing.TestBytes.random;
import static io.chunkfs.testing.TestStores.newStore;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkfs.Stores;
import io.chunkfs.testing.TestStores;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A store after {@code close()}, and the clock a store reads the time from. */
class ClosedStoreTest {
    @TempDir
    Path dir;

    @Test
    void aClosedStoreRefusesEveryOperationInsteadOfRegisteringAWriterAgain() throws Exception {
        ChunkStore store = newStore(dir);
        Digest digest = store.insertChunk(random(100, 1)).digest();
        Path writers = TestStores.layout(store).writersDir();
        store.close();

        List<ThrowingCall> calls = List.of(
                store::beginWrite,
                () -> store.insertChunk(random(10, 2)),
                () -> store.stat(digest),
                () -> store.openVerified(digest),
                () -> store.condTouchChunk(digest, false),
                store::chunks,
                store::stats,
                () -> {
                    store.sync();
                    return null;
                },
                () -> new GarbageCollector(store, GarbageCollector.DEFAULT_MARGIN, Progress.NONE),
                () -> new Verifier(store, 1, Progress.NONE));
        for (ThrowingCall call : calls) {
            IllegalStateException refused = assertThrows(IllegalStateException.class, call::run);
            assertTrue(refused.getMessage().contains("is closed"), refused.getMessage());
        }
        try (Stream<Path> left = Files.list(writers)) {
            assertEquals(List.of(), left.toList(), "no writer registered after close");
        }
        store.close(); // a second close does nothing
    }

    @Test
    void writeSessionsStartAtTheStoresClock() throws Exception {
        Instant fixed = Instant.parse("2030-01-02T03:04:05Z");
        Path root = dir.resolve("store");
        Stores.init(root);
        StoreOptions options =
                StoreOptions.defaults().withSyncLevel(SyncLevel.NONE).withClock(Clock.fixed(fixed, ZoneOffset.UTC));
        try (ChunkStore store = Stores.open(root, options);
                WriteSession session = store.beginWrite()) {
            assertEquals(fixed.toEpochMilli(), session.startMillis());
            store.sync();
            assertEquals(fixed, store.lastSync());
        }
    }

    private interface ThrowingCall {
        Object run() throws Exception;
    }
}

package io.chunkfs.store;

import static io.chunkfs.testing.TestBytes.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkfs.Stores;
import io.chunkfs.store.local.LocalBackend;
import io.chunkfs.testing.Receipts;
import io.chunkfs.testing.TestStores;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import jnr.constants.platform.Errno;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every kind of backend call failing once with ENOSPC or EIO, through the seam: exactly the operation that made
 * the call fails, with a {@link PosixException} carrying that errno, nothing else does, and the store stays valid
 * (verify finds no wrong bytes, no staged bytes are left, every acknowledged chunk reads back, every receipt
 * names a chunk that is there).
 */
class FaultyBackendTest {
    @TempDir
    Path dir;

    private final byte[] a = random(3000, 1);
    private final byte[] b = random(200_000, 2);

    static Stream<Arguments> faults() {
        return Stream.of(FaultyBackend.Kind.values())
                .flatMap(kind -> Stream.of(Errno.ENOSPC, Errno.EIO).map(errno -> Arguments.of(kind, errno)));
    }

    private interface Step {
        void run(ChunkStore store) throws IOException;
    }

    @ParameterizedTest
    @MethodSource("faults")
    void theFailedCallSurfacesWithItsErrnoAndTheStoreStaysValid(FaultyBackend.Kind kind, Errno errno) throws Exception {
        Path root = dir.resolve("store");
        Stores.init(root);
        StoreOptions options = StoreOptions.defaults(); // sync level file: every kind of call is made
        LocalBackend local = LocalBackend.open(root, options);
        FaultyBackend faulty = new FaultyBackend(local, kind, 1, errno);
        List<Digest> acknowledged = new ArrayList<>();
        Map<String, Step> steps = new LinkedHashMap<>();
        steps.put("insert", store -> acknowledged.add(store.insertChunk(a).digest()));
        steps.put("insert again", store -> acknowledged.add(store.insertChunk(a).digest()));
        steps.put("stage and commit", store -> {
            try (WriteSession session = store.beginWrite();
                    StagedChunk staged = session.stage()) {
                staged.write(ByteBuffer.wrap(b), 0);
                staged.force();
                acknowledged.add(staged.commit().digest());
            }
        });
        steps.put("receipt", store -> Receipts.of(store).put("b.bin", Digest.sha256(b)));
        steps.put("sync", ChunkStore::sync);

        List<String> failures = new ArrayList<>();
        try (ChunkStore store = ChunkStore.open(faulty, faulty.tree(local.openTree()), options)) {
            for (Map.Entry<String, Step> step : steps.entrySet()) {
                try {
                    step.getValue().run(store);
                } catch (PosixException e) {
                    assertEquals(errno.intValue(), e.errno(), step.getKey() + ": " + e);
                    assertTrue(e.getMessage().contains(errno.description()), e.getMessage());
                    failures.add(step.getKey());
                }
            }
        }
        assertTrue(faulty.fired(), "the fault fired");
        assertEquals(1, failures.size(), "exactly the step that made the failed call fails: " + failures);

        try (ChunkStore store = Stores.open(root)) {
            assertEquals(
                    List.of(), new Verifier(store, 1, Progress.NONE).verifyAll().bad(), "no wrong bytes");
            assertEquals(0, TestStores.countFiles(TestStores.layout(store).tmpDir()), "no staged bytes left");
            for (Digest digest : acknowledged) {
                byte[] expected = digest.equals(Digest.sha256(a)) ? a : b;
                assertArrayEquals(expected, store.loadChunk(digest), "acknowledged chunk " + digest);
            }
            for (Receipts.Receipt receipt : Receipts.of(store).list()) {
                assertTrue(store.contains(receipt.digest()), "receipt " + receipt + " names a chunk that is there");
            }
        }
    }
}

package io.chunkfs.fuse;

import static io.chunkfs.testing.TestStores.age;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkfs.store.Digest;
import io.chunkfs.store.GarbageCollector;
import io.chunkfs.store.GcResult;
import io.chunkfs.store.Progress;
import io.chunkfs.testing.Receipts;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * With tree roots on, a file written to {@code incoming/} keeps its chunk from a collection, also when it is
 * written while the sweep runs and its bytes are those of a chunk the sweep is about to remove: the commit's
 * insert touches the duplicate before the name is made.
 */
class TreeRootsMountTest {
    @TempDir
    Path dir;

    @Test
    void aFileWrittenDuringTheSweepWithTheBytesOfAnOldChunkKeepsIt() throws Exception {
        try (MountlessTree tree = MountlessTree.create(dir)) {
            byte[] bytes = "bytes of an old chunk".getBytes(StandardCharsets.UTF_8);
            Digest old = tree.store.insertChunk(bytes).digest();
            Digest unused = tree.store
                    .insertChunk("unused".getBytes(StandardCharsets.UTF_8))
                    .digest();
            Digest kept = tree.deliver("kept.txt", "written before".getBytes(StandardCharsets.UTF_8));
            age(tree.store, old);
            age(tree.store, unused);
            age(tree.store, kept);
            List<String> looked = new ArrayList<>();
            GarbageCollector collector = new GarbageCollector(tree.store, Duration.ZERO, Progress.NONE);
            collector.beforeSetAside(chunk -> {
                looked.add(chunk);
                if (chunk.equals(old.toString())) {
                    try {
                        // cp into incoming/ while the sweep holds the chunk as a candidate.
                        assertEquals(old, tree.deliver("copy.txt", bytes));
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
            });
            GcResult result = collector.collect(null);
            assertTrue(looked.contains(old.toString()), "the sweep took it for unused at first: " + looked);
            assertFalse(looked.contains(kept.toString()), "marked: a file of incoming/ names it");
            assertTrue(tree.store.contains(old), "kept: the commit's insert touched it");
            assertTrue(tree.store.contains(kept));
            assertFalse(tree.store.contains(unused));
            assertTrue(
                    tree.store.contains(Digest.sha256(new byte[0])),
                    "the empty chunk new files start from: the create during the sweep touched it");
            assertEquals(1, result.removedChunks());
            assertEquals(0, result.removedReceipts());
            assertEquals(Optional.of(old), Receipts.of(tree.store).get("copy.txt"));
            assertEquals(List.of("copy.txt", "kept.txt"), tree.list("/incoming"));
        }
    }
}

package io.chunkfs.fuse;

import static io.chunkfs.fuse.MountlessTree.errno;
import static io.chunkfs.fuse.MountlessTree.read;
import static io.chunkfs.fuse.MountlessTree.write;
import static io.chunkfs.testing.TestBytes.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkfs.store.CorruptChunkException;
import io.chunkfs.store.Digest;
import io.chunkfs.testing.Receipts;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The incoming-file state machine played by name and handle, as the kernel would, without a mount. */
class IncomingFilesTest {
    @TempDir
    Path dir;

    private MountlessTree tree;

    @BeforeEach
    void openStore() throws IOException {
        tree = MountlessTree.create(dir);
    }

    @AfterEach
    void closeStore() throws IOException {
        tree.close();
    }

    private Optional<Digest> receipt(String name) throws IOException {
        return Receipts.of(tree.store).get(name);
    }

    private List<String> listed() throws IOException {
        List<String> names = new ArrayList<>();
        tree.node("/incoming").list(names::add);
        return names;
    }

    @Test
    void writeAndReleaseCommitAChunkAndAReceiptOfItsDigest() throws IOException {
        byte[] bytes = random(100_000, 1);
        Handle handle = tree.node("/incoming/a.bin").create();
        write(handle, bytes, 0);
        assertEquals(Optional.empty(), receipt("a.bin"), "nothing is committed before the close");
        handle.release();

        Digest digest = Digest.sha256(bytes);
        assertEquals(Optional.of(digest), receipt("a.bin"));
        assertArrayEquals(bytes, tree.store.loadChunk(digest));
        assertEquals(1, tree.stats.commits());
        assertEquals(1, tree.stats.newChunks());
        assertEquals(bytes.length, tree.stats.committedBytes());
        assertEquals(List.of(), tree.files.pendingFiles(), "released: no longer being written");
        assertEquals(digest, tree.node("/incoming/a.bin").digest());
        assertEquals(bytes.length, tree.node("/incoming/a.bin").attributes().size());
        assertEquals(List.of("a.bin"), listed());
    }

    @Test
    void flushCommitsOnceAndReleaseFindsNothingLeftToCommit() throws IOException {
        byte[] bytes = random(5000, 2);
        Handle handle = tree.node("/incoming/f").create();
        write(handle, bytes, 0);
        handle.flush();
        assertEquals(Optional.of(Digest.sha256(bytes)), receipt("f"), "close(2) committed");
        handle.release();
        assertEquals(1, tree.stats.commits());
    }

    @Test
    void anEmptyCreatedFileIsCommittedAsAnEmptyChunk() throws IOException {
        tree.node("/incoming/empty").create().release();
        assertEquals(Optional.of(Digest.sha256(new byte[0])), receipt("empty"));
    }

    @Test
    void aPendingFileReadsBackWhatWasWrittenBeforeItsRelease() throws IOException {
        byte[] bytes = random(3000, 3);
        Handle writer = tree.node("/incoming/p").create();
        write(writer, bytes, 0);

        assertArrayEquals(bytes, read(writer, 4096));
        Opened reader = tree.node("/incoming/p").open(false, false);
        assertInstanceOf(IncomingHandle.class, reader.handle(), "a reader shares the file being written");
        assertArrayEquals(bytes, read(reader.handle(), 4096));
        assertEquals(bytes.length, tree.node("/incoming/p").attributes().size());
        assertNull(tree.node("/incoming/p").digest(), "uncommitted bytes have no digest yet");
        assertEquals(List.of("p"), listed());
        assertEquals(1, tree.files.pendingFiles().size());
        assertTrue(tree.files.pendingFiles().get(0).hasUncommittedChanges());

        reader.handle().release();
        assertEquals(Optional.empty(), receipt("p"), "a reader's release commits nothing");
        writer.release();
        assertEquals(Optional.of(Digest.sha256(bytes)), receipt("p"));
    }

    @Test
    void aFileRenamedWhileBeingWrittenCommitsUnderItsNewName() throws IOException {
        byte[] bytes = random(2000, 4);
        Handle handle = tree.node("/incoming/.tmp-x").create();
        write(handle, bytes, 0);
        tree.node("/incoming/.tmp-x").renameTo(Node.parse("/incoming/x"));
        assertEquals(Errno.ENOENT, errno(() -> tree.node("/incoming/.tmp-x").attributes()));
        assertEquals(bytes.length, tree.node("/incoming/x").attributes().size());

        handle.release();
        assertEquals(Optional.of(Digest.sha256(bytes)), receipt("x"));
        assertEquals(Optional.empty(), receipt(".tmp-x"));
        assertEquals(List.of("x"), listed());
    }

    @Test
    void aRenameOfAReceiptReplacesTheTargetsReceipt() throws IOException {
        Digest first = tree.deliver("a", random(100, 5));
        tree.deliver("b", random(100, 6));
        tree.node("/incoming/a").renameTo(Node.parse("/incoming/b"));
        assertEquals(Optional.of(first), receipt("b"));
        assertEquals(Optional.empty(), receipt("a"));
        assertEquals(Errno.ENOENT, errno(() -> tree.node("/incoming/a").renameTo(Node.parse("/incoming/c"))));
    }

    @Test
    void aFileUnlinkedWhileOpenStaysReadableAndLeavesNoReceipt() throws IOException {
        byte[] bytes = random(1500, 7);
        Handle handle = tree.node("/incoming/gone").create();
        write(handle, bytes, 0);
        tree.node("/incoming/gone").unlink();

        assertEquals(Errno.ENOENT, errno(() -> tree.node("/incoming/gone").attributes()));
        assertEquals(List.of(), listed());
        assertArrayEquals(bytes, read(handle, 4096), "the open handle still reads its bytes");
        assertEquals(bytes.length, tree.nodes.attributes(handle, null).size(), "fstat of an unlinked file");
        write(handle, new byte[] {1}, 0);

        handle.release();
        assertEquals(Optional.empty(), receipt("gone"));
        assertEquals(List.of(), tree.files.pendingFiles());
        assertEquals(Errno.ENOENT, errno(() -> tree.node("/incoming/gone").unlink()));
    }

    @Test
    void aRewriteCopiesTheCommittedBytesAndLeavesTheOldChunkToItsReaders() throws IOException {
        byte[] before = random(10_000, 8);
        Digest old = tree.deliver("r", before);
        Opened oldReader = tree.node("/incoming/r").open(false, false);
        assertInstanceOf(ChunkHandle.class, oldReader.handle(), "a name no one writes is read by digest");
        assertEquals(Caching.NONE, oldReader.caching(), "a receipt's name may show other bytes at the next open");

        Opened writer = tree.node("/incoming/r").open(true, false);
        write(writer.handle(), new byte[] {'X', 'Y'}, 2);
        writer.handle().release();

        byte[] after = before.clone();
        after[2] = 'X';
        after[3] = 'Y';
        assertEquals(Optional.of(Digest.sha256(after)), receipt("r"));
        assertArrayEquals(before, read(oldReader.handle(), before.length), "the old reader keeps its version");
        assertEquals(
                before.length,
                tree.nodes.attributes(oldReader.handle(), "/incoming/r").size());
        assertTrue(tree.store.contains(old), "only gc removes chunks");
        oldReader.handle().release();
    }

    @Test
    void anOpenWithTruncateStartsFromNothing() throws IOException {
        tree.deliver("t", random(4000, 9));
        Opened writer = tree.node("/incoming/t").open(true, true);
        assertEquals(0, tree.node("/incoming/t").attributes().size());
        write(writer.handle(), new byte[] {42}, 0);
        writer.handle().release();
        assertEquals(Optional.of(Digest.sha256(new byte[] {42})), receipt("t"));
    }

    @Test
    void aTruncateByPathOfAClosedFileCommitsAtOnce() throws IOException {
        byte[] bytes = random(4000, 10);
        tree.deliver("cut", bytes);
        tree.node("/incoming/cut").truncate(10);
        assertEquals(Optional.of(Digest.sha256(java.util.Arrays.copyOf(bytes, 10))), receipt("cut"));
        assertEquals(2, tree.stats.commits());
    }

    @Test
    void aFailedWriteIsStickyUntilTheFileIsTruncatedToZero() throws IOException {
        Digest damaged = tree.deliver("d", random(8192, 11));
        tree.damage(damaged);

        Opened writer = tree.node("/incoming/d").open(true, false);
        Handle handle = writer.handle();
        // The copy-on-write checks the committed bytes first: a damaged chunk must not become a new one.
        assertThrows(CorruptChunkException.class, () -> write(handle, new byte[] {1}, 0));
        assertEquals(Errno.EIO, errno(() -> write(handle, new byte[] {1}, 0)), "every later write fails");
        assertEquals(Errno.EIO, errno(handle::flush), "and so does close(2)");
        assertEquals(Errno.EIO, errno(handle::fsync));
        assertEquals(Errno.EIO, errno(() -> handle.truncate(5)), "a partial truncate cannot repair it");
        assertEquals(Optional.of(damaged), receipt("d"), "the receipt still names the old chunk");

        handle.truncate(0);
        byte[] fresh = random(300, 12);
        write(handle, fresh, 0);
        handle.flush();
        assertEquals(Optional.of(Digest.sha256(fresh)), receipt("d"));
        handle.release();
    }

    @Test
    void aCreateOverAFileBeingWrittenTakesItsNameAway() throws IOException {
        Handle first = tree.node("/incoming/n").create();
        write(first, new byte[] {1}, 0);
        Handle second = tree.node("/incoming/n").create();
        write(second, new byte[] {2}, 0);
        second.release();
        first.release();
        assertEquals(Optional.of(Digest.sha256(new byte[] {2})), receipt("n"), "the displaced file has no name");
    }

    @Test
    void unmountCommitsFilesStillOpen() throws IOException {
        OpenHandles handles = new OpenHandles();
        Handle handle = tree.node("/incoming/late").create();
        handles.add(handle);
        write(handle, new byte[] {7, 7}, 0);
        assertEquals(0, handles.counts()[0]);
        assertEquals(1, handles.counts()[1]);

        handles.closeAllAtUnmount();
        tree.files.forgetAll();
        assertEquals(Optional.of(Digest.sha256(new byte[] {7, 7})), receipt("late"));
        assertEquals(0, handles.counts()[1]);
        assertEquals(List.of(), tree.files.pendingFiles());
    }
}

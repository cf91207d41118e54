package io.chunkfs.fuse;

import static io.chunkfs.fuse.MountlessTree.CALLER;
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
import io.chunkfs.store.StoreOptions;
import io.chunkfs.testing.Receipts;
import io.chunkfs.testing.TestClock;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The regular files of the tree while open for writing, played by path and handle as the kernel would, without a
 * mount: one pending file per inode, committed at flush, release, fsync and unmount; its names are the tree's.
 */
class IncomingFilesTest {
    @TempDir
    Path dir;

    private final TestClock clock = new TestClock(1_700_000_000_000_000_000L);
    private MountlessTree tree;

    @BeforeEach
    void openStore() throws IOException {
        io.chunkfs.Stores.init(dir);
        tree = MountlessTree.open(dir, StoreOptions.defaults().withClock(clock));
    }

    @AfterEach
    void closeStore() throws IOException {
        tree.close();
    }

    /** The chunk the name {@code name} in incoming/ holds, as the tree has it. */
    private Optional<Digest> named(String name) throws IOException {
        return Receipts.of(tree.store).get(name);
    }

    private Handle create(String path) throws IOException {
        return tree.node(path).create(0644, CALLER);
    }

    @Test
    void writeAndReleaseCommitAChunkAndTheNameShowsIt() throws IOException {
        byte[] bytes = random(100_000, 1);
        Handle handle = create("/incoming/a.bin");
        write(handle, bytes, 0);
        assertEquals(
                Optional.of(IncomingFiles.EMPTY), named("a.bin"), "the name holds the empty chunk until the close");
        handle.release();

        Digest digest = Digest.sha256(bytes);
        assertEquals(Optional.of(digest), named("a.bin"));
        assertArrayEquals(bytes, tree.store.loadChunk(digest));
        assertEquals(1, tree.stats.commits());
        assertEquals(1, tree.stats.newChunks());
        assertEquals(bytes.length, tree.stats.committedBytes());
        assertEquals(List.of(), tree.files.pendingFiles(), "released: no longer being written");
        assertEquals(digest, tree.node("/incoming/a.bin").digest());
        assertEquals(bytes.length, tree.node("/incoming/a.bin").attributes().size());
        assertEquals(
                tree.store.stat(digest).orElseThrow().blocks(),
                tree.node("/incoming/a.bin").attributes().blocks(),
                "the blocks its chunk takes in the store");
        assertEquals(List.of("a.bin"), tree.list("/incoming"));
    }

    @Test
    void flushCommitsOnceAndReleaseFindsNothingLeftToCommit() throws IOException {
        byte[] bytes = random(5000, 2);
        Handle handle = create("/incoming/f");
        write(handle, bytes, 0);
        handle.flush();
        assertEquals(Optional.of(Digest.sha256(bytes)), named("f"), "close(2) committed");
        handle.flush();
        handle.release();
        assertEquals(1, tree.stats.commits());
    }

    @Test
    void fsyncCommitsWhatTheFileHolds() throws IOException {
        byte[] bytes = random(700, 13);
        Handle handle = create("/incoming/s");
        write(handle, bytes, 0);
        handle.fsync();
        assertEquals(Optional.of(Digest.sha256(bytes)), named("s"));
        assertEquals(Digest.sha256(bytes), tree.node("/incoming/s").digest(), "committed: the digest reads");
        handle.release();
        assertEquals(1, tree.stats.commits());
    }

    @Test
    void anEmptyCreatedFileIsCommittedAsAnEmptyChunk() throws IOException {
        create("/incoming/empty").release();
        assertEquals(Optional.of(Digest.sha256(new byte[0])), named("empty"));
        assertTrue(tree.store.contains(IncomingFiles.EMPTY));
        assertEquals(1, tree.stats.commits(), "close(2) returning 0 made the name durable: a commit");
    }

    @Test
    void aPendingFileReadsBackWhatWasWrittenBeforeItsRelease() throws IOException {
        byte[] bytes = random(3000, 3);
        Handle writer = create("/incoming/p");
        write(writer, bytes, 0);

        assertArrayEquals(bytes, read(writer, 4096));
        Opened reader = tree.node("/incoming/p").open(false, false);
        assertInstanceOf(IncomingHandle.class, reader.handle(), "a reader shares the file being written");
        assertArrayEquals(bytes, read(reader.handle(), 4096));
        assertEquals(bytes.length, tree.node("/incoming/p").attributes().size());
        assertNull(tree.node("/incoming/p").digest(), "uncommitted bytes have no digest yet");
        assertEquals(List.of("p"), tree.list("/incoming"));
        assertEquals(1, tree.files.pendingFiles().size());
        assertTrue(tree.files.pendingFiles().get(0).hasUncommittedChanges());
        assertEquals(Errno.EBADF, errno(() -> write(reader.handle(), new byte[] {1}, 0)), "open for reading");

        reader.handle().release();
        assertEquals(Optional.of(IncomingFiles.EMPTY), named("p"), "a reader's release commits nothing");
        writer.release();
        assertEquals(Optional.of(Digest.sha256(bytes)), named("p"));
    }

    @Test
    void aFileRenamedWhileBeingWrittenCommitsToItsInodeWhichTheNewNameShows() throws IOException {
        byte[] bytes = random(2000, 4);
        Handle handle = create("/incoming/.tmp-x");
        long inode = tree.node("/incoming/.tmp-x").attributes().inode();
        write(handle, bytes, 0);
        tree.node("/incoming/.tmp-x").renameTo(tree.node("/incoming/x"));
        assertEquals(Errno.ENOENT, errno(() -> tree.node("/incoming/.tmp-x").attributes()));
        assertEquals(bytes.length, tree.node("/incoming/x").attributes().size(), "the new name shows the writes");
        assertEquals(inode, tree.node("/incoming/x").attributes().inode());

        handle.release();
        assertEquals(Optional.of(Digest.sha256(bytes)), named("x"));
        assertEquals(Optional.empty(), named(".tmp-x"));
        assertEquals(List.of("x"), tree.list("/incoming"));
    }

    @Test
    void aFileMovedToAnotherFolderWhileBeingWrittenCommitsThere() throws IOException {
        tree.node("/incoming/d").makeFolder(0755, CALLER);
        byte[] bytes = random(1200, 14);
        Handle handle = create("/incoming/f");
        write(handle, bytes, 0);
        tree.node("/incoming/f").renameTo(tree.node("/incoming/d/f"));
        handle.release();
        assertEquals(Digest.sha256(bytes), tree.node("/incoming/d/f").digest());
        assertEquals(List.of("d"), tree.list("/incoming"));
    }

    @Test
    void aRenameReplacesTheTargetsName() throws IOException {
        Digest first = tree.deliver("a", random(100, 5));
        tree.deliver("b", random(100, 6));
        tree.node("/incoming/a").renameTo(tree.node("/incoming/b"));
        assertEquals(Optional.of(first), named("b"));
        assertEquals(Optional.empty(), named("a"));
        assertEquals(Errno.ENOENT, errno(() -> tree.node("/incoming/a").renameTo(tree.node("/incoming/c"))));
        assertEquals(List.of("b"), tree.list("/incoming"));
    }

    @Test
    void aRenameOverAFileBeingWrittenTakesItsNameAway() throws IOException {
        Handle first = create("/incoming/n");
        write(first, new byte[] {1}, 0);
        tree.deliver("other", new byte[] {2});
        tree.node("/incoming/other").renameTo(tree.node("/incoming/n"));
        first.release();
        assertEquals(Optional.of(Digest.sha256(new byte[] {2})), named("n"), "the displaced file has no name");
        assertTrue(tree.store.contains(Digest.sha256(new byte[] {1})), "its bytes were committed all the same");
    }

    @Test
    void aCreateOfANameThatExistsAnswersEexistAndLeavesItsFile() throws IOException {
        Digest digest = tree.deliver("n", new byte[] {2});
        assertEquals(Errno.EEXIST, errno(() -> create("/incoming/n")));
        assertEquals(Optional.of(digest), named("n"));
        assertEquals(List.of(), tree.files.pendingFiles());
    }

    @Test
    void aFileUnlinkedWhileOpenJustLosesItsNameAndItsBytesStillBecomeAChunk() throws IOException {
        byte[] bytes = random(1500, 7);
        Handle handle = create("/incoming/gone");
        write(handle, bytes, 0);
        tree.node("/incoming/gone").unlink();

        assertEquals(Errno.ENOENT, errno(() -> tree.node("/incoming/gone").attributes()));
        assertEquals(List.of(), tree.list("/incoming"));
        assertArrayEquals(bytes, read(handle, 4096), "the open handle still reads its bytes");
        assertEquals(bytes.length, tree.nodes.attributes(handle, null).size(), "fstat of an unlinked file");
        byte[] changed = bytes.clone();
        changed[0] ^= 1;
        write(handle, new byte[] {changed[0]}, 0);
        assertEquals(1, tree.files.pendingFiles().size());

        handle.release();
        assertTrue(tree.store.contains(Digest.sha256(changed)), "committed as a chunk with no name");
        assertEquals(1, tree.stats.commits());
        assertEquals(Optional.empty(), named("gone"));
        assertEquals(List.of(), tree.list("/incoming"));
        assertEquals(List.of(), tree.files.pendingFiles());
        assertEquals(Errno.ENOENT, errno(() -> tree.node("/incoming/gone").unlink()));
    }

    /**
     * SRC/MAIN BUG, failing on purpose: Linux's fstat of an open file whose every name was removed shows st_nlink 0
     * (the issue asks for st_nlink right); this shows the link count the entry had when it was opened. Proposed fix:
     * IncomingFiles.attributes(PendingFile) shows links 0 when {@code tree.entry(file.inode())} is empty.
     */
    @Test
    void fstatOfAFileWithNoNameLeftShowsNoLinks() throws IOException {
        Handle handle = create("/incoming/gone");
        write(handle, new byte[] {1, 2}, 0);
        assertEquals(1, tree.nodes.attributes(handle, null).links());
        tree.node("/incoming/gone").unlink();
        assertEquals(2, tree.nodes.attributes(handle, null).size());
        assertEquals(0, tree.nodes.attributes(handle, null).links(), "no name is left");
        handle.release();
    }

    @Test
    void aRewriteCopiesTheCommittedBytesAndLeavesTheOldChunkToItsReaders() throws IOException {
        byte[] before = random(10_000, 8);
        Digest old = tree.deliver("r", before);
        Opened oldReader = tree.node("/incoming/r").open(false, false);
        assertInstanceOf(ChunkHandle.class, oldReader.handle(), "a name no one writes is read by digest");
        assertEquals(Caching.NONE, oldReader.caching(), "the inode may hold other bytes at the next open");

        Opened writer = tree.node("/incoming/r").open(true, false);
        write(writer.handle(), new byte[] {'X', 'Y'}, 2);
        assertArrayEquals(Arrays.copyOf(before, 2), Arrays.copyOf(read(writer.handle(), 4), 2), "copied, not zeroed");
        writer.handle().release();

        byte[] after = before.clone();
        after[2] = 'X';
        after[3] = 'Y';
        assertEquals(Optional.of(Digest.sha256(after)), named("r"));
        assertArrayEquals(before, read(oldReader.handle(), before.length), "the old reader keeps its version");
        assertEquals(
                before.length,
                tree.nodes
                        .attributes(oldReader.handle(), Node.parse("/incoming/r"))
                        .size());
        assertTrue(tree.store.contains(old), "only gc removes chunks");
        oldReader.handle().release();
    }

    @Test
    void anOpenForWritingWithoutChangesCommitsNothing() throws IOException {
        Digest digest = tree.deliver("u", random(100, 15));
        Opened writer = tree.node("/incoming/u").open(true, false);
        writer.handle().flush();
        writer.handle().release();
        assertEquals(1, tree.stats.commits(), "only the delivery committed");
        assertEquals(Optional.of(digest), named("u"));
    }

    @Test
    void anOpenWithTruncateStartsFromNothing() throws IOException {
        tree.deliver("t", random(4000, 9));
        Opened writer = tree.node("/incoming/t").open(true, true);
        assertEquals(0, tree.node("/incoming/t").attributes().size());
        write(writer.handle(), new byte[] {42}, 0);
        writer.handle().release();
        assertEquals(Optional.of(Digest.sha256(new byte[] {42})), named("t"));
    }

    @Test
    void aTruncateByPathOfAClosedFileCommitsAtOnce() throws IOException {
        byte[] bytes = random(4000, 10);
        tree.deliver("cut", bytes);
        tree.node("/incoming/cut").truncate(10);
        assertEquals(Optional.of(Digest.sha256(Arrays.copyOf(bytes, 10))), named("cut"));
        assertEquals(2, tree.stats.commits());
        assertEquals(List.of(), tree.files.pendingFiles(), "nothing is left open");
    }

    @Test
    void aTruncateByPathOfAnOpenFileCommitsWithItsClose() throws IOException {
        byte[] bytes = random(4000, 16);
        tree.deliver("cut", bytes);
        Opened writer = tree.node("/incoming/cut").open(true, false);
        tree.node("/incoming/cut").truncate(10);
        assertEquals(10, tree.node("/incoming/cut").attributes().size());
        assertEquals(Optional.of(Digest.sha256(bytes)), named("cut"), "not yet");
        writer.handle().release();
        assertEquals(Optional.of(Digest.sha256(Arrays.copyOf(bytes, 10))), named("cut"));
    }

    /**
     * SRC/MAIN BUG, failing on purpose: a reader that opened the file while it was being written shares its pending
     * file; once the writer is gone, a truncate(2) by path changes that pending file, and the reader's release (not
     * open for writing) drops it uncommitted. Proposed fix: IncomingFiles.release commits when the handle is
     * writable or the file has uncommitted changes ({@code handle.writable() || file.hasUncommittedChanges()}).
     */
    @Test
    void aTruncateByPathWhileOnlyReadersAreLeftIsNotLost() throws IOException {
        byte[] bytes = random(4000, 18);
        tree.deliver("r", bytes);
        Handle writer = tree.node("/incoming/r").open(true, false).handle();
        Handle reader = tree.node("/incoming/r").open(false, false).handle();
        writer.release();
        tree.node("/incoming/r").truncate(10);
        assertEquals(10, tree.node("/incoming/r").attributes().size(), "truncate(2) returned 0");
        reader.release();
        assertEquals(
                Optional.of(Digest.sha256(Arrays.copyOf(bytes, 10))),
                named("r"),
                "the truncation must outlive the last close");
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
        assertEquals(Optional.of(damaged), named("d"), "the name still holds the old chunk");

        handle.truncate(0);
        byte[] fresh = random(300, 12);
        write(handle, fresh, 0);
        handle.flush();
        assertEquals(Optional.of(Digest.sha256(fresh)), named("d"));
        handle.release();
    }

    @Test
    void aTimeSetWhileTheFileIsOpenSurvivesTheCommitAtClose() throws IOException {
        // cp -p and rsync set the times of a file before they close it.
        byte[] bytes = random(2500, 17);
        Handle handle = create("/incoming/kept");
        write(handle, bytes, 0);
        long atime = 1_000_000_000L * 1_000_000_000L + 123;
        long mtime = 1_100_000_000L * 1_000_000_000L + 456;
        clock.advance(Duration.ofSeconds(5));
        tree.node("/incoming/kept").changeTimes(atime, mtime);
        assertEquals(mtime, tree.node("/incoming/kept").attributes().mtime(), "shown while open");
        clock.advance(Duration.ofSeconds(5));
        handle.flush();
        handle.release();

        Attributes closed = tree.node("/incoming/kept").attributes();
        assertEquals(Digest.sha256(bytes), tree.node("/incoming/kept").digest());
        assertEquals(mtime, closed.mtime(), "the commit at close kept the mtime set");
        assertEquals(atime, closed.atime());
        assertEquals(clock.nanos(), closed.ctime(), "ctime: the commit");
    }

    @Test
    void aWriteAfterTheTimesWereSetMovesTheMtimeOnAgain() throws IOException {
        Handle handle = create("/incoming/later");
        tree.node("/incoming/later").changeTimes(null, 5_000_000_000L);
        long writtenAt = clock.advance(Duration.ofSeconds(3));
        write(handle, new byte[] {1, 2, 3}, 0);
        handle.release();
        assertEquals(writtenAt, tree.node("/incoming/later").attributes().mtime(), "write(2) updates the mtime");
    }

    @Test
    void anMtimeLeftOutWhileOpenIsTheWritesTime() throws IOException {
        Handle handle = create("/incoming/omit");
        long writtenAt = clock.advance(Duration.ofSeconds(2));
        write(handle, new byte[] {1}, 0);
        clock.advance(Duration.ofSeconds(2));
        tree.node("/incoming/omit").changeTimes(7_000_000_000L, null);
        handle.release();
        Attributes closed = tree.node("/incoming/omit").attributes();
        assertEquals(writtenAt, closed.mtime(), "UTIME_OMIT keeps the mtime of the last write");
        assertEquals(7_000_000_000L, closed.atime());
    }

    @Test
    void unmountCommitsFilesStillOpen() throws IOException {
        OpenHandles handles = new OpenHandles();
        Handle handle = create("/incoming/late");
        handles.add(handle);
        write(handle, new byte[] {7, 7}, 0);
        assertEquals(0, handles.counts()[0]);
        assertEquals(1, handles.counts()[1]);

        handles.closeAllAtUnmount();
        tree.files.forgetAll();
        assertEquals(Optional.of(Digest.sha256(new byte[] {7, 7})), named("late"));
        assertEquals(0, handles.counts()[1]);
        assertEquals(List.of(), tree.files.pendingFiles());
    }
}

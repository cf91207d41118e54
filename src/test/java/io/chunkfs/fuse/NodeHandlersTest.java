package io.chunkfs.fuse;

import static io.chunkfs.fuse.MountlessTree.CALLER;
import static io.chunkfs.fuse.MountlessTree.errno;
import static io.chunkfs.fuse.MountlessTree.read;
import static io.chunkfs.fuse.MountlessTree.write;
import static io.chunkfs.testing.TestBytes.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkfs.store.Digest;
import io.chunkfs.store.EntryType;
import io.chunkfs.store.StoreOptions;
import io.chunkfs.testing.StorePaths;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What each node kind answers by path outside the tree's own rules (see {@link TreeNodeTest}): the fixed root and
 * prefix folders, chunks, paths that name nothing, and every change on a read-only mount.
 */
class NodeHandlersTest {
    private static final String ABSENT_CHUNK = "/00/00" + "0".repeat(62);
    private static final String LONG_NAME = "/incoming/" + "n".repeat(256);
    private static final byte[] VALUE = {'v'};

    @TempDir
    Path dir;

    private static String chunkPath(Digest digest) {
        return "/" + digest.prefix() + "/" + digest;
    }

    @Test
    void theFixedFoldersRefuseChangesWithEpermOrEacces() throws IOException {
        try (MountlessTree tree = MountlessTree.create(dir)) {
            tree.deliver("a", random(100, 1));
            for (String folder : List.of("/", "/00")) {
                assertEquals(Errno.EACCES, errno(() -> tree.node(folder).create(0644, CALLER)), folder);
                assertEquals(Errno.EISDIR, errno(() -> tree.node(folder).open(false, false)), folder);
                assertEquals(Errno.EISDIR, errno(() -> tree.node(folder).truncate(0)), folder);
                assertEquals(Errno.EISDIR, errno(() -> tree.node(folder).unlink()), folder);
                assertEquals(Errno.EPERM, errno(() -> tree.node(folder).removeFolder()), folder);
                assertEquals(Errno.EPERM, errno(() -> tree.node(folder).renameTo(tree.node("/incoming/b"))), folder);
                assertEquals(Errno.EPERM, errno(() -> tree.node(folder).linkTo(tree.node("/incoming/b"))), folder);
                assertEquals(Errno.EPERM, errno(() -> tree.node(folder).changeMode(0777)), folder);
                assertEquals(Errno.EPERM, errno(() -> tree.node(folder).changeOwner(1L, 1L)), folder);
                assertEquals(Errno.EPERM, errno(() -> tree.node(folder).changeTimes(1L, 1L)), folder);
                assertEquals(Errno.EOPNOTSUPP, errno(() -> tree.node(folder).setXattr("user.x", VALUE, 0)), folder);
                assertEquals(Errno.EOPNOTSUPP, errno(() -> tree.node(folder).removeXattr("user.x")), folder);
                assertEquals(Errno.EINVAL, errno(() -> tree.node(folder).readSymlink()), folder);
                assertEquals(List.of(), tree.node(folder).xattrNames(), folder);
                assertEquals(Errno.ENODATA, errno(() -> tree.node(folder).xattr("user.x")), folder);
                assertNull(tree.node(folder).digest(), folder);
            }
            // Nothing is made in them: the first change a program tries on the mount's root (mkdir, ln -s).
            assertEquals(Errno.EPERM, errno(() -> tree.node("/new").makeFolder(0755, CALLER)));
            assertEquals(Errno.EPERM, errno(() -> tree.node("/00/new").makeSymlink(new byte[] {'x'}, CALLER)));
            assertEquals(Errno.EPERM, errno(() -> tree.node("/new").makeNode(0010644, 0, CALLER)));
            assertEquals(Errno.EACCES, errno(() -> tree.node("/new").create(0644, CALLER)));
            assertEquals(List.of("a"), tree.list("/incoming"), "nothing changed");

            // incoming/ is where the tree starts: the folder of a mount point, as Linux answers for one.
            assertEquals(Errno.EEXIST, errno(() -> tree.node("/incoming").create(0644, CALLER)));
            assertEquals(Errno.EEXIST, errno(() -> tree.node("/incoming").makeFolder(0755, CALLER)));
            assertEquals(Errno.EISDIR, errno(() -> tree.node("/incoming").open(false, false)));
            assertEquals(Errno.EISDIR, errno(() -> tree.node("/incoming").truncate(0)));
            assertEquals(Errno.EISDIR, errno(() -> tree.node("/incoming").unlink()));
            assertEquals(Errno.EBUSY, errno(() -> tree.node("/incoming").removeFolder()));
            assertEquals(Errno.EBUSY, errno(() -> tree.node("/incoming").renameTo(tree.node("/incoming/b"))));
            assertEquals(Errno.EBUSY, errno(() -> tree.node("/incoming/a").renameTo(tree.node("/incoming"))));
            assertEquals(Errno.EPERM, errno(() -> tree.node("/incoming").linkTo(tree.node("/incoming/b"))));
            assertNull(tree.node("/incoming").digest());
            assertEquals(List.of("a"), tree.list("/incoming"), "nothing changed");
        }
    }

    @Test
    void chunksAreReadOnlyAndImmutableButForTheConditionalTouch() throws IOException {
        try (MountlessTree tree = MountlessTree.create(dir)) {
            Digest digest = tree.deliver("a", random(100, 1));
            String chunk = chunkPath(digest);
            assertEquals(Errno.EACCES, errno(() -> tree.node(chunk).open(true, false)), "touch(1) falls back");
            assertEquals(Errno.EACCES, errno(() -> tree.node(chunk).truncate(0)));
            assertEquals(Errno.EPERM, errno(() -> tree.node(chunk).unlink()), "only gc removes chunks");
            assertEquals(Errno.EPERM, errno(() -> tree.node(chunk).changeMode(0644)));
            assertEquals(Errno.EPERM, errno(() -> tree.node(chunk).changeOwner(1L, null)));
            assertEquals(Errno.EPERM, errno(() -> tree.node(chunk).setXattr("user.x", VALUE, 0)));
            assertEquals(Errno.EPERM, errno(() -> tree.node(chunk).setXattr(ChunkFs.DIGEST_XATTR, VALUE, 0)));
            assertEquals(Errno.EPERM, errno(() -> tree.node(chunk).removeXattr(ChunkFs.DIGEST_XATTR)));
            assertEquals(Errno.ENOTDIR, errno(() -> tree.node(chunk).list(page -> {})));
            assertEquals(Errno.EPERM, errno(() -> tree.node(chunk).renameTo(tree.node("/incoming/b"))));
            assertEquals(Errno.EPERM, errno(() -> tree.node(chunk).linkTo(tree.node("/incoming/b"))), "ln PP/D x");
            assertEquals(Errno.EINVAL, errno(() -> tree.node(chunk).readSymlink()));
            assertEquals(Errno.ENOENT, errno(() -> tree.node(chunk).create(0644, CALLER)), "no chunk is created");
            assertEquals(List.of("a"), tree.list("/incoming"), "nothing reached the tree");

            assertArrayEquals(
                    digest.toString().getBytes(StandardCharsets.US_ASCII),
                    tree.node(chunk).xattr(ChunkFs.DIGEST_XATTR));
            assertEquals(List.of(ChunkFs.DIGEST_XATTR), tree.node(chunk).xattrNames());
            assertEquals(Errno.ENODATA, errno(() -> tree.node(chunk).xattr("user.x")));

            long longAgo = 1_000_000_000L * 1_000_000_000L;
            Files.getFileAttributeView(StorePaths.chunk(dir, digest), BasicFileAttributeView.class)
                    .setTimes(null, FileTime.from(longAgo, TimeUnit.NANOSECONDS), null);
            long mtime = tree.node(chunk).attributes().mtime();
            assertEquals(longAgo, tree.node(chunk).attributes().atime());
            tree.node(chunk).changeTimes(0L, 0L);
            Attributes touched = tree.node(chunk).attributes();
            assertEquals(mtime, touched.mtime(), "whatever times were asked for, the mtime is kept");
            assertTrue(touched.atime() > longAgo, "and the atime became now");
            assertTrue(tree.store.contains(digest));
        }
    }

    @Test
    void pathsThatNameNothingSayWhy() throws IOException {
        try (MountlessTree tree = MountlessTree.create(dir)) {
            for (String path : List.of("/nope", "/zz", ABSENT_CHUNK, "/00/" + "0".repeat(64), "/incoming/x")) {
                assertEquals(Errno.ENOENT, errno(() -> tree.node(path).attributes()), path);
                assertEquals(Errno.ENOENT, errno(() -> tree.node(path).open(false, false)), path);
                assertEquals(Errno.ENOENT, errno(() -> tree.node(path).unlink()), path);
                assertEquals(Errno.ENOENT, errno(() -> tree.node(path).digest()), path);
                assertEquals(Errno.ENOENT, errno(() -> tree.node(path).changeMode(0644)), path);
                assertEquals(Errno.ENOENT, errno(() -> tree.node(path).xattrNames()), path);
            }
            for (String path : List.of("/nope", "/00/x", "/incoming/a/b")) {
                assertEquals(Errno.ENOENT, errno(() -> tree.node(path).list(page -> {})), path);
                assertEquals(Errno.ENOENT, errno(() -> tree.node(path).removeFolder()), path);
                assertEquals(Errno.ENOENT, errno(() -> tree.node(path).changeOwner(1L, 1L)), path);
                assertEquals(Errno.ENOENT, errno(() -> tree.node(path).changeTimes(1L, 1L)), path);
                assertEquals(Errno.ENOENT, errno(() -> tree.node(path).setXattr("user.x", VALUE, 0)), path);
                assertEquals(Errno.ENOENT, errno(() -> tree.node(path).xattr("user.x")), path);
                assertEquals(Errno.ENOENT, errno(() -> tree.node(path).readSymlink()), path);
                assertEquals(Errno.ENOENT, errno(() -> tree.node(path).renameTo(tree.node("/incoming/y"))), path);
                assertEquals(Errno.ENOENT, errno(() -> tree.node(path).linkTo(tree.node("/incoming/y"))), path);
            }
            for (String plain : List.of("/nope", "/00/x")) {
                assertEquals(Errno.EACCES, errno(() -> tree.node(plain).create(0644, CALLER)), "read-only here");
            }
            assertEquals(
                    Errno.ENOENT,
                    errno(() -> tree.node("/incoming/a/b").create(0644, CALLER)),
                    "incoming/a does not exist");
            assertEquals(Errno.ENOENT, errno(() -> tree.node(ABSENT_CHUNK).create(0644, CALLER)), "touch makes none");
            assertEquals(Errno.ENOENT, errno(() -> tree.node(ABSENT_CHUNK).changeTimes(null, null)));
            assertEquals(Errno.ENOENT, errno(() -> tree.node(ABSENT_CHUNK).changeOwner(0L, 0L)));
            assertEquals(Errno.ENOENT, errno(() -> tree.node(ABSENT_CHUNK).renameTo(tree.node("/incoming/y"))));
            for (String tooLong : List.of(LONG_NAME, "/" + "n".repeat(256), "/00/" + "0".repeat(256))) {
                assertEquals(Errno.ENAMETOOLONG, errno(() -> tree.node(tooLong).create(0644, CALLER)), tooLong);
                assertEquals(Errno.ENAMETOOLONG, errno(() -> tree.node(tooLong).attributes()), tooLong);
            }
            assertEquals(Errno.ENAMETOOLONG, errno(() -> tree.node(LONG_NAME).makeFolder(0755, CALLER)));
            assertEquals(Errno.ENAMETOOLONG, errno(() -> tree.node(LONG_NAME).makeSymlink(new byte[] {'x'}, CALLER)));
            assertEquals(Errno.ENAMETOOLONG, errno(() -> tree.node(LONG_NAME).makeNode(0010644, 0, CALLER)));
            tree.deliver("a", random(10, 2));
            assertEquals(
                    Errno.ENAMETOOLONG, errno(() -> tree.node("/incoming/a").renameTo(tree.node(LONG_NAME))));
            assertEquals(Errno.EPERM, errno(() -> tree.node("/incoming/a").renameTo(tree.node("/00"))));
            assertEquals(Errno.EPERM, errno(() -> tree.node("/incoming/a").renameTo(tree.node("/new"))));
            assertEquals(Errno.EPERM, errno(() -> tree.node("/incoming/a").linkTo(tree.node("/new"))));
            assertEquals(List.of("a"), tree.list("/incoming"), "nothing moved");
            // A name of 255 bytes is a name.
            tree.node("/incoming/" + "n".repeat(255)).create(0644, CALLER).release();
            assertEquals(2, tree.list("/incoming").size());
        }
    }

    @Test
    void theRootListsIncomingAndThePrefixFoldersWhichListTheirChunks() throws IOException {
        try (MountlessTree tree = MountlessTree.create(dir)) {
            Digest digest = tree.deliver("a", random(10, 3));
            List<String> root = tree.list("/");
            assertEquals(257, root.size());
            assertEquals("incoming", root.get(0));
            assertEquals("00", root.get(1));
            assertEquals("ff", root.get(256));
            assertEquals(List.of(digest.toString()), tree.list("/" + digest.prefix()));
            assertEquals(List.of(), tree.list(digest.prefix().equals("00") ? "/01" : "/00"));

            assertEquals(
                    Attributes.fixedFolder(Attributes.MOUNT_ROOT_INODE, 0555, RootNode.LINKS, 0, 0, Instant.EPOCH),
                    tree.node("/").attributes());
            assertEquals(0755, tree.node("/incoming").attributes().mode(), "the tree's root folder as made");
            assertEquals(EntryType.FOLDER, tree.node("/incoming").attributes().type());
            assertEquals(0555, tree.node("/00").attributes().mode());
            assertTrue(tree.node("/00").attributes().isFolder());
            Attributes chunk = tree.node(chunkPath(digest)).attributes();
            assertFalse(chunk.isFolder());
            assertEquals(0444, chunk.mode());
            assertEquals(10, chunk.size());
            assertEquals(1, chunk.links());
            assertEquals(0644, tree.node("/incoming/a").attributes().mode());
            assertEquals(digest, tree.node(chunkPath(digest)).digest());
            assertEquals(digest, tree.node("/incoming/a").digest());

            Opened opened = tree.node(chunkPath(digest)).open(false, false);
            assertEquals(Caching.DEFAULT, opened.caching(), "not verified in this mount before");
            opened.handle().release();
            Opened again = tree.node(chunkPath(digest)).open(false, false);
            assertEquals(Caching.KEEP, again.caching(), "verified before and unchanged: keep the kernel's pages");
            assertEquals(Errno.EBADF, errno(() -> write(again.handle(), new byte[] {1}, 0)));
            assertEquals(Errno.EACCES, errno(() -> again.handle().truncate(0)), "ftruncate of a chunk");
            assertEquals(
                    0444,
                    tree.nodes
                            .attributes(again.handle(), Node.parse(chunkPath(digest)))
                            .mode());
            Attributes throughName = tree.nodes.attributes(again.handle(), Node.parse("/incoming/a"));
            assertEquals(0644, throughName.mode(), "a file of the tree read by digest shows its entry");
            assertEquals(tree.node("/incoming/a").attributes().inode(), throughName.inode());
            again.handle().release();
        }
    }

    @Test
    void aReadOnlyMountAnswersErofsToEveryChangeAndStillReads() throws IOException {
        byte[] bytes = random(1000, 4);
        String chunk;
        try (MountlessTree tree = MountlessTree.create(dir)) {
            chunk = chunkPath(tree.deliver("a", bytes));
            tree.node("/incoming/d").makeFolder(0755, CALLER);
            tree.node("/incoming/l").makeSymlink("a".getBytes(StandardCharsets.US_ASCII), CALLER);
            tree.node("/incoming/a").setXattr("user.x", VALUE, 0);
        }
        try (MountlessTree tree =
                MountlessTree.open(dir, StoreOptions.defaults().withReadOnly(true))) {
            for (String path : List.of("/", "/00", "/incoming/new", chunk, "/nope")) {
                assertEquals(Errno.EROFS, errno(() -> tree.node(path).create(0644, CALLER)), path);
            }
            for (String path : List.of("/", "/00", "/incoming", "/incoming/a", "/incoming/d", chunk)) {
                assertEquals(Errno.EROFS, errno(() -> tree.node(path).removeFolder()), path);
                assertEquals(Errno.EROFS, errno(() -> tree.node(path).changeMode(0700)), path);
                assertEquals(Errno.EROFS, errno(() -> tree.node(path).changeOwner(1L, 1L)), path);
                assertEquals(Errno.EROFS, errno(() -> tree.node(path).changeTimes(1L, 1L)), path);
                assertEquals(Errno.EROFS, errno(() -> tree.node(path).setXattr("user.x", VALUE, 0)), path);
                assertEquals(Errno.EROFS, errno(() -> tree.node(path).removeXattr("user.x")), path);
                assertEquals(Errno.EROFS, errno(() -> tree.node(path).renameTo(tree.node("/incoming/b"))), path);
                assertEquals(Errno.EROFS, errno(() -> tree.node(path).linkTo(tree.node("/incoming/b"))), path);
            }
            for (String path : List.of("/incoming/new", "/incoming/d/new")) {
                assertEquals(Errno.EROFS, errno(() -> tree.node(path).makeFolder(0755, CALLER)), path);
                assertEquals(Errno.EROFS, errno(() -> tree.node(path).makeNode(0010644, 0, CALLER)), path);
                assertEquals(Errno.EROFS, errno(() -> tree.node(path).makeSymlink(VALUE, CALLER)), path);
            }
            assertEquals(Errno.EROFS, errno(() -> tree.node("/incoming/a").setXattr(ChunkFs.DIGEST_XATTR, VALUE, 0)));
            assertEquals(Errno.EROFS, errno(() -> tree.node(chunk).open(true, false)));
            assertEquals(Errno.EROFS, errno(() -> tree.node(chunk).truncate(0)));
            assertEquals(Errno.EROFS, errno(() -> tree.node(chunk).unlink()));
            assertEquals(Errno.EROFS, errno(() -> tree.node("/incoming/a").open(true, false)));
            assertEquals(Errno.EROFS, errno(() -> tree.node("/incoming/a").open(true, true)));
            assertEquals(Errno.EROFS, errno(() -> tree.node("/incoming/a").truncate(0)));
            assertEquals(Errno.EROFS, errno(() -> tree.node("/incoming/a").unlink()));
            assertEquals(Errno.EROFS, errno(() -> tree.node("/incoming/l").unlink()));

            // Reading still works, and shows what the tree keeps.
            assertEquals(List.of("a", "d", "l"), tree.list("/incoming"));
            assertEquals(0644, tree.node("/incoming/a").attributes().mode());
            assertEquals(bytes.length, tree.node("/incoming/a").attributes().size());
            assertArrayEquals(VALUE, tree.node("/incoming/a").xattr("user.x"));
            assertArrayEquals(new byte[] {'a'}, tree.node("/incoming/l").readSymlink());
            Handle reader = tree.node("/incoming/a").open(false, false).handle();
            assertArrayEquals(bytes, read(reader, 4096));
            assertEquals(Errno.EROFS, errno(() -> reader.truncate(0)));
            assertEquals(Errno.EBADF, errno(() -> write(reader, new byte[] {1}, 0)));
            reader.release();
            assertEquals(List.of(), tree.files.pendingFiles());
        }
    }

    @Test
    void handlesUnknownOrNotOpenForWritingAnswerEbadf() throws IOException {
        try (MountlessTree tree = MountlessTree.create(dir)) {
            OpenHandles handles = new OpenHandles();
            assertEquals(Errno.EBADF, errno(() -> handles.get(1)));
            assertNull(handles.find(1));
            tree.deliver("a", random(10, 5));
            Handle writer = tree.node("/incoming/a").open(true, false).handle();
            Handle sharing = tree.node("/incoming/a").open(false, false).handle();
            long number = handles.add(sharing);
            assertTrue(number > 0);
            assertEquals(Errno.EBADF, errno(() -> write(handles.get(number), new byte[] {1}, 0)));
            assertEquals(sharing, handles.remove(number));
            assertNull(handles.remove(number));
            sharing.release();
            writer.release();
        }
    }
}

package io.chunkfs.fuse;

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
import io.chunkfs.store.StoreOptions;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What each node kind answers by path, refusals above all, on a writable and on a read-only mount. */
class NodeHandlersTest {
    private static final String ABSENT_CHUNK = "/00/00" + "0".repeat(62);
    private static final String LONG_NAME = "/incoming/" + "n".repeat(256);

    @TempDir
    Path dir;

    private static String chunkPath(Digest digest) {
        return "/" + digest.prefix() + "/" + digest;
    }

    @Test
    void theFixedTreeRefusesChangesWithEpermOrEacces() throws IOException {
        try (MountlessTree tree = MountlessTree.create(dir)) {
            String chunk = chunkPath(tree.deliver("a", random(100, 1)));
            for (String folder : List.of("/", "/00", "/incoming")) {
                assertEquals(Errno.EACCES, errno(() -> tree.node(folder).create()), folder);
                assertEquals(Errno.EISDIR, errno(() -> tree.node(folder).open(false, false)), folder);
                assertEquals(Errno.EISDIR, errno(() -> tree.node(folder).truncate(0)), folder);
                assertEquals(Errno.EISDIR, errno(() -> tree.node(folder).unlink()), folder);
                assertEquals(Errno.EPERM, errno(() -> tree.node(folder).removeFolder()), folder);
                assertEquals(Errno.EPERM, errno(() -> tree.node(folder).renameTo(Node.parse("/incoming/b"))), folder);
                assertNull(tree.node(folder).digest(), folder);
            }
            for (String fixed : List.of("/", "/00")) {
                assertEquals(Errno.EPERM, errno(() -> tree.node(fixed).changeOwnerOrMode()), fixed);
                assertEquals(Errno.EPERM, errno(() -> tree.node(fixed).touch()), fixed);
                assertEquals(Errno.EOPNOTSUPP, errno(() -> tree.node(fixed).changeXattr("user.x")), fixed);
            }

            assertEquals(Errno.EACCES, errno(() -> tree.node(chunk).open(true, false)), "touch(1) falls back");
            assertEquals(Errno.EACCES, errno(() -> tree.node(chunk).truncate(0)));
            assertEquals(Errno.EPERM, errno(() -> tree.node(chunk).unlink()), "only gc removes chunks");
            assertEquals(Errno.EPERM, errno(() -> tree.node(chunk).changeOwnerOrMode()));
            assertEquals(Errno.EPERM, errno(() -> tree.node(chunk).changeXattr("user.x")));
            assertEquals(Errno.ENOTDIR, errno(() -> tree.node(chunk).list(name -> {})));
            assertEquals(Errno.EPERM, errno(() -> tree.node(chunk).renameTo(Node.parse("/incoming/b"))));
            assertEquals(Errno.ENOENT, errno(() -> tree.node(chunk).create()), "an existing chunk is not created");
            tree.node(chunk).touch();

            assertEquals(Errno.ENOTDIR, errno(() -> tree.node("/incoming/a").list(name -> {})));
            assertEquals(Errno.EPERM, errno(() -> tree.node("/incoming/a").renameTo(Node.parse("/00"))));
            assertEquals(
                    Errno.ENAMETOOLONG, errno(() -> tree.node("/incoming/a").renameTo(Node.parse(LONG_NAME))));
            assertEquals(Errno.EOPNOTSUPP, errno(() -> tree.node("/incoming/a").changeXattr("trusted.x")));
            assertEquals(Errno.EOPNOTSUPP, errno(() -> tree.node("/incoming").changeXattr("security.x")));
        }
    }

    @Test
    void copyingProgramsSettingModesTimesAndUserAttributesInIncomingAreHeardAndIgnored() throws IOException {
        try (MountlessTree tree = MountlessTree.create(dir)) {
            tree.deliver("a", random(10, 2));
            for (String path : List.of("/incoming", "/incoming/a")) {
                tree.node(path).changeOwnerOrMode();
                tree.node(path).touch();
                tree.node(path).changeXattr("user.chunkfs.digest");
            }
            tree.node("/incoming/not-yet").changeOwnerOrMode();
            assertEquals(
                    Errno.ENOENT, errno(() -> tree.node("/incoming/not-yet").touch()));
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
            }
            for (String path : List.of("/nope", "/00/x", "/incoming/a/b")) {
                assertEquals(Errno.ENOENT, errno(() -> tree.node(path).list(name -> {})), path);
                assertEquals(Errno.ENOENT, errno(() -> tree.node(path).removeFolder()), path);
                assertEquals(Errno.ENOENT, errno(() -> tree.node(path).changeOwnerOrMode()), path);
                assertEquals(Errno.ENOENT, errno(() -> tree.node(path).touch()), path);
                assertEquals(Errno.ENOENT, errno(() -> tree.node(path).changeXattr("user.x")), path);
                assertEquals(Errno.ENOENT, errno(() -> tree.node(path).renameTo(Node.parse("/incoming/y"))), path);
                assertEquals(Errno.EACCES, errno(() -> tree.node(path).create()), "a plain name: read-only here");
            }
            assertEquals(Errno.ENOENT, errno(() -> tree.node(ABSENT_CHUNK).create()), "touch creates no chunk");
            assertEquals(Errno.ENOENT, errno(() -> tree.node(ABSENT_CHUNK).touch()));
            assertEquals(Errno.ENOENT, errno(() -> tree.node(ABSENT_CHUNK).changeOwnerOrMode()));
            assertEquals(Errno.ENAMETOOLONG, errno(() -> tree.node(LONG_NAME).create()));
            assertEquals(
                    Errno.EILSEQ,
                    errno(() -> tree.node("/incoming/bad\uFFFDname").create()));
        }
    }

    @Test
    void theTreeListsItsFoldersAndChunksWithFixedModes() throws IOException {
        try (MountlessTree tree = MountlessTree.create(dir)) {
            Digest digest = tree.deliver("a", random(10, 3));
            List<String> root = new ArrayList<>();
            tree.node("/").list(root::add);
            assertEquals(257, root.size());
            assertEquals("incoming", root.get(0));
            assertEquals("ff", root.get(256));
            List<String> prefix = new ArrayList<>();
            tree.node("/" + digest.prefix()).list(prefix::add);
            assertEquals(List.of(digest.toString()), prefix);

            assertEquals(
                    new Attributes(true, 0555, RootNode.LINKS, 0, java.time.Instant.EPOCH, java.time.Instant.EPOCH),
                    tree.node("/").attributes());
            assertEquals(0755, tree.node("/incoming").attributes().mode());
            assertEquals(0555, tree.node("/00").attributes().mode());
            Attributes chunk = tree.node(chunkPath(digest)).attributes();
            assertFalse(chunk.folder());
            assertEquals(0444, chunk.mode());
            assertEquals(10, chunk.size());
            assertEquals(0644, tree.node("/incoming/a").attributes().mode());
            assertEquals(digest, tree.node(chunkPath(digest)).digest());

            Opened opened = tree.node(chunkPath(digest)).open(false, false);
            assertEquals(Caching.DEFAULT, opened.caching(), "not verified in this mount before");
            opened.handle().release();
            Opened again = tree.node(chunkPath(digest)).open(false, false);
            assertEquals(Caching.KEEP, again.caching(), "verified before and unchanged: keep the kernel's pages");
            assertEquals(Errno.EBADF, errno(() -> write(again.handle(), new byte[] {1}, 0)));
            assertEquals(Errno.EACCES, errno(() -> again.handle().truncate(0)), "ftruncate of a chunk");
            assertEquals(
                    0444,
                    tree.nodes.attributes(again.handle(), chunkPath(digest)).mode());
            assertEquals(
                    0644, tree.nodes.attributes(again.handle(), "/incoming/a").mode());
            again.handle().release();
        }
    }

    @Test
    void aReadOnlyMountAnswersErofsToEveryChangeAndStillReads() throws IOException {
        byte[] bytes = random(1000, 4);
        String chunk;
        try (MountlessTree tree = MountlessTree.create(dir)) {
            chunk = chunkPath(tree.deliver("a", bytes));
        }
        try (MountlessTree tree =
                MountlessTree.open(dir, StoreOptions.defaults().withReadOnly(true))) {
            for (String path : List.of("/", "/00", "/incoming", "/incoming/a", "/incoming/new", chunk, "/nope")) {
                assertEquals(Errno.EROFS, errno(() -> tree.node(path).create()), path);
            }
            for (String path : List.of("/", "/00", "/incoming", "/incoming/a", chunk)) {
                assertEquals(Errno.EROFS, errno(() -> tree.node(path).removeFolder()), path);
                assertEquals(Errno.EROFS, errno(() -> tree.node(path).changeOwnerOrMode()), path);
                assertEquals(Errno.EROFS, errno(() -> tree.node(path).touch()), path);
                assertEquals(Errno.EROFS, errno(() -> tree.node(path).changeXattr("user.x")), path);
                assertEquals(Errno.EROFS, errno(() -> tree.node(path).renameTo(Node.parse("/incoming/b"))), path);
            }
            assertEquals(Errno.EROFS, errno(() -> tree.node(chunk).open(true, false)));
            assertEquals(Errno.EROFS, errno(() -> tree.node(chunk).truncate(0)));
            assertEquals(Errno.EROFS, errno(() -> tree.node(chunk).unlink()));
            assertEquals(Errno.EROFS, errno(() -> tree.node("/incoming/a").open(true, false)));
            assertEquals(Errno.EROFS, errno(() -> tree.node("/incoming/a").truncate(0)));
            assertEquals(Errno.EROFS, errno(() -> tree.node("/incoming/a").unlink()));
            assertEquals(0444, tree.node("/incoming/a").attributes().mode());
            assertEquals(0555, tree.node("/incoming").attributes().mode());

            Handle reader = tree.node("/incoming/a").open(false, false).handle();
            assertArrayEquals(bytes, read(reader, 4096));
            assertEquals(Errno.EROFS, errno(() -> reader.truncate(0)));
            reader.release();
        }
    }

    @Test
    void handlesUnknownOrNotOpenForWritingAnswerEbadf() throws IOException {
        try (MountlessTree tree = MountlessTree.create(dir)) {
            OpenHandles handles = new OpenHandles();
            assertEquals(Errno.EBADF, errno(() -> handles.get(1)));
            assertNull(handles.find(1));
            tree.deliver("a", random(10, 5));
            Handle reader = tree.node("/incoming/a").open(true, false).handle();
            Handle sharing = tree.node("/incoming/a").open(false, false).handle();
            long number = handles.add(sharing);
            assertTrue(number > 0);
            assertEquals(Errno.EBADF, errno(() -> write(handles.get(number), new byte[] {1}, 0)));
            assertEquals(sharing, handles.remove(number));
            assertNull(handles.remove(number));
            sharing.release();
            reader.release();
        }
    }
}

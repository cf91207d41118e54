package io.chunkfs.fuse;

import static io.chunkfs.fuse.MountlessTree.CALLER;
import static io.chunkfs.fuse.MountlessTree.errno;
import static io.chunkfs.fuse.MountlessTree.read;
import static io.chunkfs.fuse.MountlessTree.write;
import static io.chunkfs.testing.TestBytes.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkfs.Stores;
import io.chunkfs.store.Digest;
import io.chunkfs.store.Entry;
import io.chunkfs.store.EntryName;
import io.chunkfs.store.EntryType;
import io.chunkfs.store.Namespace;
import io.chunkfs.store.StoreOptions;
import io.chunkfs.testing.TestClock;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rules of the tree under {@code incoming/} as {@link TreeNode} applies them, without a mount: the errno
 * {@code man 2} gives on Linux for each refused call (and that it changes nothing), set-group-ID folders, the
 * reserved digest attribute, metadata kept and shown back, folder times, hard links, names as bytes and stable
 * inode numbers.
 */
class TreeNodeTest {
    private static final int XATTR_CREATE = 1;
    private static final int XATTR_REPLACE = 2;
    private static final int S_IFIFO = 0010000;
    private static final int S_IFCHR = 0020000;
    private static final int S_IFDIR = 0040000;
    private static final int S_IFREG = 0100000;
    private static final int S_IFLNK = 0120000;
    private static final int S_IFSOCK = 0140000;
    private static final Caller USER = new Caller(1000, 1000);
    private static final byte[] VALUE = {'v', 0, 'w'};

    @TempDir
    Path dir;

    private final TestClock clock = new TestClock(1_700_000_000_000_000_000L);
    private MountlessTree tree;

    @BeforeEach
    void openStore() throws IOException {
        Stores.init(dir);
        tree = open();
    }

    @AfterEach
    void closeStore() throws IOException {
        tree.close();
    }

    private MountlessTree open() throws IOException {
        return MountlessTree.open(dir, StoreOptions.defaults().withClock(clock));
    }

    /** Closes the store and opens it again, as the next mount would. */
    private void reopen() throws IOException {
        tree.close();
        tree = open();
    }

    private NodeHandler node(String path) {
        return tree.node(path);
    }

    private Attributes attributes(String path) throws IOException {
        return node(path).attributes();
    }

    private long tick() {
        return clock.advance(Duration.ofSeconds(1));
    }

    private void mkdir(String path, int mode) throws IOException {
        node(path).makeFolder(mode, CALLER);
    }

    private void symlink(String path, String target) throws IOException {
        node(path).makeSymlink(target.getBytes(StandardCharsets.UTF_8), CALLER);
    }

    /** One entry of the tree as a refusal must leave it: its inode's attributes and extended attributes. */
    private record Seen(Entry entry, Map<String, String> xattrs) {}

    /** Every entry of the tree by path. */
    private Map<String, Seen> snapshot() throws IOException {
        Map<String, Seen> all = new TreeMap<>();
        walk(Namespace.ROOT, "incoming", all);
        return all;
    }

    private void walk(long folder, String path, Map<String, Seen> into) throws IOException {
        Namespace names = tree.store.tree();
        into.put(path, seen(names.entry(folder).orElseThrow()));
        for (Namespace.Child child : names.list(folder, null, 10_000)) {
            String childPath = path + "/" + child.name().escaped();
            if (child.entry().isFolder()) {
                walk(child.entry().inode(), childPath, into);
            } else {
                into.put(childPath, seen(child.entry()));
            }
        }
    }

    private Seen seen(Entry entry) throws IOException {
        Map<String, String> xattrs = new LinkedHashMap<>();
        for (String name : tree.store.tree().xattrNames(entry.inode())) {
            xattrs.put(
                    name,
                    HexFormat.of()
                            .formatHex(
                                    tree.store.tree().xattr(entry.inode(), name).orElseThrow()));
        }
        return new Seen(entry, xattrs);
    }

    /** {@code call} fails with {@code expected} and leaves every entry of the tree as it was. */
    private void refused(int expected, String what, Executable call) throws IOException {
        Map<String, Seen> before = snapshot();
        tick(); // a change would show a new ctime or mtime
        assertEquals(expected, errno(call), what);
        assertEquals(before, snapshot(), what + ": a refused call changes nothing");
    }

    /** incoming/ holding d/ (with d/f, d/sub/), e/ (empty), f (with user.a), l -> f. */
    private void someTree() throws IOException {
        mkdir("/incoming/d", 0755);
        tree.deliver("d/f", random(100, 1));
        mkdir("/incoming/d/sub", 0755);
        mkdir("/incoming/e", 0755);
        tree.deliver("f", random(200, 2));
        node("/incoming/f").setXattr("user.a", VALUE, 0);
        symlink("/incoming/l", "f");
    }

    @Test
    void eachRefusedCallAnswersTheErrnoLinuxGivesAndChangesNothing() throws IOException {
        someTree();
        refused(Errno.EEXIST, "mkdir of a folder's name", () -> mkdir("/incoming/d", 0755));
        refused(Errno.EEXIST, "mkdir of a file's name", () -> mkdir("/incoming/f", 0755));
        refused(Errno.EEXIST, "ln -s onto a name", () -> symlink("/incoming/f", "x"));
        refused(Errno.EEXIST, "mkfifo onto a name", () -> node("/incoming/l").makeNode(S_IFIFO | 0644, 0, CALLER));
        refused(Errno.EEXIST, "create of a name", () -> node("/incoming/f").create(0644, CALLER));
        refused(Errno.EEXIST, "ln onto a name", () -> node("/incoming/f").linkTo(node("/incoming/d/f")));

        refused(
                Errno.ENOTEMPTY,
                "rmdir of a folder with entries",
                () -> node("/incoming/d").removeFolder());
        refused(
                Errno.ENOTEMPTY,
                "mv onto a folder with entries",
                () -> node("/incoming/e").renameTo(node("/incoming/d")));

        refused(Errno.ENOTDIR, "rmdir of a file", () -> node("/incoming/f").removeFolder());
        refused(Errno.ENOTDIR, "rmdir of a symlink", () -> node("/incoming/l").removeFolder());
        refused(
                Errno.ENOTDIR,
                "mv of a folder onto a file",
                () -> node("/incoming/e").renameTo(node("/incoming/f")));
        refused(Errno.ENOTDIR, "stat through a file", () -> attributes("/incoming/f/x"));
        refused(
                Errno.ENOTDIR,
                "create through a file",
                () -> node("/incoming/f/x").create(0644, CALLER));
        refused(Errno.ENOTDIR, "mkdir through a file", () -> mkdir("/incoming/f/x", 0755));
        refused(Errno.ENOTDIR, "mkdir deeper through a file", () -> mkdir("/incoming/f/x/y", 0755));
        refused(
                Errno.ENOTDIR,
                "unlink through a file",
                () -> node("/incoming/f/x").unlink());
        refused(Errno.ENOTDIR, "mv into a file", () -> node("/incoming/d/f").renameTo(node("/incoming/f/x")));
        refused(Errno.ENOTDIR, "ls of a file", () -> node("/incoming/f").list(page -> {}));

        refused(Errno.EISDIR, "unlink of a folder", () -> node("/incoming/d").unlink());
        refused(
                Errno.EISDIR,
                "unlink of an empty folder",
                () -> node("/incoming/e").unlink());
        refused(
                Errno.EISDIR,
                "mv of a file onto a folder",
                () -> node("/incoming/f").renameTo(node("/incoming/e")));
        refused(
                Errno.EISDIR,
                "open of a folder for writing",
                () -> node("/incoming/d").open(true, false));
        refused(Errno.EISDIR, "truncate of a folder", () -> node("/incoming/d").truncate(0));

        refused(
                Errno.ENOENT,
                "create in a missing folder",
                () -> node("/incoming/no/x").create(0644, CALLER));
        refused(Errno.ENOENT, "mkdir in a missing folder", () -> mkdir("/incoming/no/x", 0755));
        refused(Errno.ENOENT, "mkdir -p's second step first", () -> mkdir("/incoming/d/no/x", 0755));
        refused(Errno.ENOENT, "ln -s in a missing folder", () -> symlink("/incoming/no/x", "f"));
        refused(
                Errno.ENOENT,
                "mknod in a missing folder",
                () -> node("/incoming/no/x").makeNode(S_IFIFO | 0644, 0, CALLER));
        refused(
                Errno.ENOENT,
                "mv into a missing folder",
                () -> node("/incoming/f").renameTo(node("/incoming/no/f")));
        refused(
                Errno.ENOENT,
                "ln into a missing folder",
                () -> node("/incoming/f").linkTo(node("/incoming/no/f")));
        refused(Errno.ENOENT, "mv of a missing name", () -> node("/incoming/g").renameTo(node("/incoming/h")));
        refused(
                Errno.ENOENT,
                "unlink of a missing name",
                () -> node("/incoming/g").unlink());
        refused(
                Errno.ENOENT,
                "rmdir of a missing name",
                () -> node("/incoming/g").removeFolder());

        refused(
                Errno.EINVAL,
                "mv of a folder into itself",
                () -> node("/incoming/d").renameTo(node("/incoming/d/x")));
        refused(
                Errno.EINVAL,
                "mv of a folder under itself",
                () -> node("/incoming/d").renameTo(node("/incoming/d/sub/x")));
        refused(Errno.EPERM, "ln of a folder", () -> node("/incoming/e").linkTo(node("/incoming/e2")));
        refused(Errno.EINVAL, "readlink of a file", () -> node("/incoming/f").readSymlink());
        refused(Errno.EINVAL, "readlink of a folder", () -> node("/incoming/d").readSymlink());
        refused(Errno.ENAMETOOLONG, "a symlink target over 4095 bytes", () -> symlink("/incoming/x", "t".repeat(4096)));
        refused(Errno.EINVAL, "mknod of a folder", () -> node("/incoming/x").makeNode(S_IFDIR | 0755, 0, CALLER));
        refused(Errno.EINVAL, "mknod of a symlink", () -> node("/incoming/x").makeNode(S_IFLNK | 0777, 0, CALLER));
        refused(Errno.EINVAL, "mknod of no type", () -> node("/incoming/x").makeNode(0170000 | 0644, 0, CALLER));

        refused(
                Errno.EEXIST,
                "setxattr XATTR_CREATE of an attribute that exists",
                () -> node("/incoming/f").setXattr("user.a", new byte[] {1}, XATTR_CREATE));
        refused(
                Errno.ENODATA,
                "setxattr XATTR_REPLACE of a missing attribute",
                () -> node("/incoming/f").setXattr("user.b", new byte[] {1}, XATTR_REPLACE));
        refused(
                Errno.EINVAL,
                "setxattr with both flags",
                () -> node("/incoming/f").setXattr("user.b", new byte[] {1}, XATTR_CREATE | XATTR_REPLACE));
        refused(
                Errno.EOPNOTSUPP,
                "setxattr of security.*",
                () -> node("/incoming/f").setXattr("security.selinux", new byte[] {1}, 0));
        refused(
                Errno.EOPNOTSUPP,
                "setxattr of an unknown namespace",
                () -> node("/incoming/f").setXattr("other.x", new byte[] {1}, 0));
        refused(
                Errno.EOPNOTSUPP,
                "removexattr of security.*",
                () -> node("/incoming/f").removeXattr("security.selinux"));
        refused(
                Errno.ENODATA,
                "removexattr of a missing attribute",
                () -> node("/incoming/f").removeXattr("user.b"));
        refused(
                Errno.ENODATA,
                "getxattr of a missing attribute",
                () -> node("/incoming/f").xattr("user.b"));
        refused(
                Errno.ENODATA,
                "getxattr of security.*",
                () -> node("/incoming/f").xattr("security.capability"));

        // What was refused works where it may.
        symlink("/incoming/x", "t".repeat(4095));
        assertEquals(4095, node("/incoming/x").readSymlink().length);
        node("/incoming/f").setXattr("user.a", new byte[] {1}, XATTR_REPLACE);
        node("/incoming/f").setXattr("user.b", new byte[] {2}, XATTR_CREATE);
        assertArrayEquals(new byte[] {1}, node("/incoming/f").xattr("user.a"));
        assertArrayEquals(new byte[] {2}, node("/incoming/f").xattr("user.b"));
        node("/incoming/e").renameTo(node("/incoming/d/sub"));
        assertEquals(List.of("f", "sub"), tree.list("/incoming/d"), "an empty folder replaces an empty folder");
    }

    @Test
    void foldersSymlinksAndNodesAreMadeListedAndRemoved() throws IOException {
        mkdir("/incoming/a", 0750);
        mkdir("/incoming/a/b", 0700);
        mkdir("/incoming/a/b/c", 0755);
        byte[] target = {'.', '.', '/', 'x', (byte) 0xe9};
        node("/incoming/a/link").makeSymlink(target, CALLER);
        node("/incoming/a/fifo").makeNode(S_IFIFO | 0640, 0, CALLER);
        node("/incoming/a/sock").makeNode(S_IFSOCK | 0600, 0, CALLER);
        node("/incoming/a/tty").makeNode(S_IFCHR | 0620, 0x0403, CALLER);
        node("/incoming/a/plain").makeNode(S_IFREG | 0604, 0, CALLER);
        node("/incoming/a/typeless").makeNode(0600, 0, CALLER);

        assertEquals(List.of("b", "fifo", "link", "plain", "sock", "tty", "typeless"), tree.list("/incoming/a"));
        Map<String, Integer> types = new TreeMap<>();
        node("/incoming/a")
                .list(page -> page.forEach(
                        listed -> types.put(new String(listed.name(), StandardCharsets.UTF_8), listed.fileTypeBits())));
        assertEquals(S_IFDIR, types.get("b"));
        assertEquals(S_IFLNK, types.get("link"));
        assertEquals(S_IFIFO, types.get("fifo"));
        assertEquals(S_IFSOCK, types.get("sock"));
        assertEquals(S_IFCHR, types.get("tty"));
        assertEquals(S_IFREG, types.get("plain"));

        assertEquals(0750, attributes("/incoming/a").mode());
        assertEquals(EntryType.FOLDER, attributes("/incoming/a/b/c").type());
        assertEquals(3, attributes("/incoming/a").links(), "2 and its one subfolder");
        assertEquals(3, attributes("/incoming").links());
        assertArrayEquals(target, node("/incoming/a/link").readSymlink(), "a target is kept as given");
        assertEquals(target.length, attributes("/incoming/a/link").size());
        assertEquals(EntryType.SYMLINK, attributes("/incoming/a/link").type());
        assertEquals(0640, attributes("/incoming/a/fifo").mode());
        assertEquals(EntryType.FIFO, attributes("/incoming/a/fifo").type());
        assertEquals(EntryType.SOCKET, attributes("/incoming/a/sock").type());
        assertEquals(0x0403, attributes("/incoming/a/tty").device());
        assertEquals(EntryType.CHAR_DEVICE, attributes("/incoming/a/tty").type());
        assertEquals(EntryType.REGULAR, attributes("/incoming/a/plain").type());
        assertEquals(0604, attributes("/incoming/a/plain").mode());
        assertEquals(IncomingFiles.EMPTY, node("/incoming/a/plain").digest());
        assertTrue(tree.store.contains(IncomingFiles.EMPTY), "the chunk an empty file names is in the store");
        assertEquals(EntryType.REGULAR, attributes("/incoming/a/typeless").type(), "mknod with no type: a file");
        assertNull(node("/incoming/a/fifo").digest());

        // A folder moves with what it holds.
        node("/incoming/a/b").renameTo(node("/incoming/moved"));
        assertEquals(List.of("c"), tree.list("/incoming/moved"));
        assertEquals(2, attributes("/incoming/a").links());
        assertEquals(4, attributes("/incoming").links());
        node("/incoming/moved/c").removeFolder();
        node("/incoming/moved").removeFolder();
        for (String name : List.of("fifo", "link", "plain", "sock", "tty", "typeless")) {
            node("/incoming/a/" + name).unlink();
        }
        node("/incoming/a").removeFolder();
        assertEquals(List.of(), tree.list("/incoming"));
        assertEquals(2, attributes("/incoming").links());
    }

    @Test
    void aNewEntryInASetGroupIdFolderGetsItsGroupAndANewFolderTheBitToo() throws IOException {
        mkdir("/incoming/g", 02775);
        node("/incoming/g").changeOwner(null, 50L);
        mkdir("/incoming/p", 0777);

        node("/incoming/g/f").create(0644, USER).release();
        node("/incoming/g/sub").makeFolder(0755, USER);
        node("/incoming/g/l").makeSymlink(new byte[] {'f'}, USER);
        node("/incoming/g/fifo").makeNode(S_IFIFO | 0644, 0, USER);
        node("/incoming/g/sub/deeper").create(0600, USER).release();
        for (String name : List.of("f", "sub", "l", "fifo", "sub/deeper")) {
            Attributes made = attributes("/incoming/g/" + name);
            assertEquals(1000, made.uid(), name + ": the caller owns it");
            assertEquals(50, made.gid(), name + ": the folder's group");
        }
        assertEquals(02755, attributes("/incoming/g/sub").mode(), "a new folder gets the bit");
        assertEquals(0644, attributes("/incoming/g/f").mode(), "a new file does not");
        assertEquals(0644, attributes("/incoming/g/fifo").mode());

        node("/incoming/p/f").create(0644, USER).release();
        node("/incoming/p/sub").makeFolder(0755, USER);
        assertEquals(1000, attributes("/incoming/p/f").gid(), "without the bit: the caller's group");
        assertEquals(1000, attributes("/incoming/p/sub").gid());
        assertEquals(0755, attributes("/incoming/p/sub").mode());
    }

    @Test
    void theDigestAttributeReadsTheCommittedDigestAndIsNeverStoredOrListed() throws IOException {
        byte[] bytes = random(3000, 3);
        Digest digest = tree.deliver("f", bytes);
        byte[] shown = digest.toString().getBytes(StandardCharsets.US_ASCII);
        assertArrayEquals(shown, node("/incoming/f").xattr(ChunkFs.DIGEST_XATTR));
        long inode = attributes("/incoming/f").inode();

        // rsync -aX and cp -a copy it in from another chunkfs file: heard, and ignored.
        Map<String, Seen> before = snapshot();
        tick();
        byte[] other = Digest.sha256(new byte[] {9}).toString().getBytes(StandardCharsets.US_ASCII);
        node("/incoming/f").setXattr(ChunkFs.DIGEST_XATTR, other, 0);
        node("/incoming/f").setXattr(ChunkFs.DIGEST_XATTR, other, XATTR_CREATE);
        node("/incoming/f").removeXattr(ChunkFs.DIGEST_XATTR);
        assertEquals(before, snapshot(), "nothing stored, not even a ctime");
        assertTrue(tree.store.tree().xattr(inode, ChunkFs.DIGEST_XATTR).isEmpty());
        assertArrayEquals(shown, node("/incoming/f").xattr(ChunkFs.DIGEST_XATTR));
        assertEquals(List.of(), node("/incoming/f").xattrNames(), "listxattr shows stored names only");

        node("/incoming/f").setXattr("user.b", VALUE, 0);
        node("/incoming/f").setXattr("user.a", VALUE, 0);
        node("/incoming/f").setXattr("trusted.t", VALUE, 0);
        // An ACL naming user 1234 (a minimal one would not be kept: it says no more than the mode).
        byte[] acl = java.nio.ByteBuffer.allocate(4 + 5 * 8)
                .order(java.nio.ByteOrder.LITTLE_ENDIAN)
                .putInt(2)
                .putShort((short) 0x01)
                .putShort((short) 6)
                .putInt(-1)
                .putShort((short) 0x02)
                .putShort((short) 7)
                .putInt(1234)
                .putShort((short) 0x04)
                .putShort((short) 4)
                .putInt(-1)
                .putShort((short) 0x10)
                .putShort((short) 7)
                .putInt(-1)
                .putShort((short) 0x20)
                .putShort((short) 4)
                .putInt(-1)
                .array();
        node("/incoming/f").setXattr("system.posix_acl_access", acl, 0);
        assertArrayEquals(acl, node("/incoming/f").xattr("system.posix_acl_access"));
        assertEquals(0674, node("/incoming/f").attributes().mode(), "the mode follows the ACL, as on ext4");
        assertEquals(
                List.of("system.posix_acl_access", "trusted.t", "user.a", "user.b"),
                node("/incoming/f").xattrNames());
        assertArrayEquals(VALUE, node("/incoming/f").xattr("user.a"));
        node("/incoming/f").removeXattr("user.a");
        assertEquals(
                List.of("system.posix_acl_access", "trusted.t", "user.b"),
                node("/incoming/f").xattrNames());
        assertEquals(Errno.ENODATA, errno(() -> node("/incoming/f").xattr("user.a")));

        // Bytes not committed yet have no digest; the commit gives the new one.
        Handle writer = node("/incoming/f").open(true, false).handle();
        write(writer, new byte[] {1}, 0);
        assertEquals(Errno.ENODATA, errno(() -> node("/incoming/f").xattr(ChunkFs.DIGEST_XATTR)));
        writer.flush();
        byte[] changed = bytes.clone();
        changed[0] = 1;
        assertArrayEquals(
                Digest.sha256(changed).toString().getBytes(StandardCharsets.US_ASCII),
                node("/incoming/f").xattr(ChunkFs.DIGEST_XATTR));
        writer.release();

        // Only regular files have one.
        mkdir("/incoming/d", 0755);
        symlink("/incoming/l", "f");
        for (String path : List.of("/incoming", "/incoming/d", "/incoming/l")) {
            assertEquals(Errno.ENODATA, errno(() -> node(path).xattr(ChunkFs.DIGEST_XATTR)), path);
            assertNull(node(path).digest(), path);
            node(path).setXattr(ChunkFs.DIGEST_XATTR, other, 0);
            assertEquals(List.of(), node(path).xattrNames(), path);
        }
    }

    @Test
    void modesOwnersAndTimesAreKeptAndShownBackAndEachMovesTheCtime() throws IOException {
        long made = clock.nanos();
        tree.deliver("f", random(10, 4));
        mkdir("/incoming/d", 0755);
        symlink("/incoming/l", "f");

        long t1 = tick();
        node("/incoming/f").changeMode(04755);
        Attributes moded = attributes("/incoming/f");
        assertEquals(04755, moded.mode());
        assertEquals(t1, moded.ctime());
        assertEquals(made, moded.mtime(), "chmod leaves the mtime");

        long t2 = tick();
        node("/incoming/f").changeOwner(1000L, 2000L);
        assertEquals(1000, attributes("/incoming/f").uid());
        assertEquals(2000, attributes("/incoming/f").gid());
        assertEquals(t2, attributes("/incoming/f").ctime());

        long t3 = tick();
        node("/incoming/f").changeOwner(null, 3000L);
        assertEquals(1000, attributes("/incoming/f").uid(), "-1 leaves the owner");
        assertEquals(3000, attributes("/incoming/f").gid());
        assertEquals(t3, attributes("/incoming/f").ctime());

        long t4 = tick();
        long atime = 1_234_567_890L * 1_000_000_000L + 1;
        long mtime = 1_000_000_000L * 1_000_000_000L + 999_999_999;
        node("/incoming/f").changeTimes(atime, mtime);
        assertEquals(atime, attributes("/incoming/f").atime());
        assertEquals(mtime, attributes("/incoming/f").mtime());
        assertEquals(t4, attributes("/incoming/f").ctime());

        long t5 = tick();
        node("/incoming/f").changeTimes(null, -5_000_000_000L);
        assertEquals(atime, attributes("/incoming/f").atime(), "UTIME_OMIT leaves the atime");
        assertEquals(-5_000_000_000L, attributes("/incoming/f").mtime(), "a time before 1970 is a time");
        assertEquals(t5, attributes("/incoming/f").ctime());

        long t6 = tick();
        node("/incoming/d").changeMode(03700);
        node("/incoming/d").changeOwner(7L, 8L);
        node("/incoming/d").changeTimes(atime, mtime);
        node("/incoming/l").changeOwner(9L, 9L);
        Attributes folder = attributes("/incoming/d");
        assertEquals(03700, folder.mode());
        assertEquals(7, folder.uid());
        assertEquals(8, folder.gid());
        assertEquals(mtime, folder.mtime());
        assertEquals(t6, folder.ctime());
        assertEquals(9, attributes("/incoming/l").uid(), "lchown of a symlink");

        long t7 = tick();
        node("/incoming/f").setXattr("user.x", VALUE, 0);
        assertEquals(t7, attributes("/incoming/f").ctime(), "setxattr moves the ctime");
        long t8 = tick();
        node("/incoming/f").removeXattr("user.x");
        assertEquals(t8, attributes("/incoming/f").ctime(), "removexattr too");

        Map<String, Seen> kept = snapshot();
        reopen();
        assertEquals(kept, snapshot(), "all of it is still there at the next mount");
        assertEquals(04755, attributes("/incoming/f").mode());
    }

    @Test
    void aFoldersMtimeAndCtimeChangeWhenAnEntryIsAddedRemovedOrRenamedInIt() throws IOException {
        mkdir("/incoming/d", 0755);
        mkdir("/incoming/e", 0755);
        long incomingMtime = attributes("/incoming").mtime();

        long added = tick();
        node("/incoming/d/f").create(0644, CALLER).release();
        assertFolderChangedAt(added, "/incoming/d", "create");
        assertEquals(incomingMtime, attributes("/incoming").mtime(), "the folder above d/ did not change");

        long untouched = attributes("/incoming/d").mtime();
        tick();
        Handle writer = node("/incoming/d/f").open(true, false).handle();
        write(writer, new byte[] {1}, 0);
        writer.release();
        node("/incoming/d/f").changeMode(0600);
        assertEquals(untouched, attributes("/incoming/d").mtime(), "writing or chmod of an entry is not the folder's");

        long renamed = tick();
        node("/incoming/d/f").renameTo(node("/incoming/d/g"));
        assertFolderChangedAt(renamed, "/incoming/d", "rename within");

        long moved = tick();
        node("/incoming/d/g").renameTo(node("/incoming/e/g"));
        assertFolderChangedAt(moved, "/incoming/d", "rename out of");
        assertFolderChangedAt(moved, "/incoming/e", "rename into");

        long linked = tick();
        node("/incoming/e/g").linkTo(node("/incoming/d/h"));
        assertFolderChangedAt(linked, "/incoming/d", "link");

        long removed = tick();
        node("/incoming/e/g").unlink();
        assertFolderChangedAt(removed, "/incoming/e", "unlink");

        long folderMade = tick();
        mkdir("/incoming/e/sub", 0755);
        assertFolderChangedAt(folderMade, "/incoming/e", "mkdir");
        long folderRemoved = tick();
        node("/incoming/e/sub").removeFolder();
        assertFolderChangedAt(folderRemoved, "/incoming/e", "rmdir");

        long symlinked = tick();
        symlink("/incoming/e/l", "x");
        assertFolderChangedAt(symlinked, "/incoming/e", "symlink");
        long nodeMade = tick();
        node("/incoming/e/p").makeNode(S_IFIFO | 0600, 0, CALLER);
        assertFolderChangedAt(nodeMade, "/incoming/e", "mknod");
        assertEquals(incomingMtime, attributes("/incoming").mtime(), "nothing was added to incoming/ itself");
    }

    private void assertFolderChangedAt(long time, String folder, String what) throws IOException {
        Attributes attributes = attributes(folder);
        assertEquals(time, attributes.mtime(), what + ": mtime of " + folder);
        assertEquals(time, attributes.ctime(), what + ": ctime of " + folder);
    }

    @Test
    void aHardLinkIsOneInodeUnderTwoNames() throws IOException {
        tree.deliver("a", random(500, 5));
        long linkedAt = tick();
        node("/incoming/a").linkTo(node("/incoming/b"));
        Attributes a = attributes("/incoming/a");
        Attributes b = attributes("/incoming/b");
        assertEquals(a.inode(), b.inode());
        assertEquals(2, a.links());
        assertEquals(2, b.links());
        assertEquals(linkedAt, a.ctime(), "link(2) moves the ctime of the inode");
        assertEquals(List.of("a", "b"), tree.list("/incoming"));

        // Writing through one name writes the inode, which the other name shows at once and after the commit.
        byte[] bytes = random(700, 6);
        Handle writer = node("/incoming/b").open(true, true).handle();
        Handle sharing = node("/incoming/a").open(true, false).handle();
        assertEquals(1, tree.files.pendingFiles().size(), "one pending file per inode, whichever name");
        write(writer, bytes, 0);
        assertEquals(bytes.length, attributes("/incoming/a").size());
        assertArrayEquals(bytes, read(sharing, 1000));
        writer.release();
        sharing.release();
        assertEquals(Digest.sha256(bytes), node("/incoming/a").digest());
        assertEquals(Digest.sha256(bytes), node("/incoming/b").digest());
        assertEquals(bytes.length, attributes("/incoming/a").size());

        mkdir("/incoming/d", 0755);
        node("/incoming/b").linkTo(node("/incoming/d/c"));
        assertEquals(3, attributes("/incoming/a").links());

        node("/incoming/a").unlink();
        assertEquals(Errno.ENOENT, errno(() -> attributes("/incoming/a")));
        assertEquals(2, attributes("/incoming/b").links());
        assertEquals(b.inode(), attributes("/incoming/d/c").inode());
        node("/incoming/b").unlink();
        assertEquals(1, attributes("/incoming/d/c").links());
        assertEquals(Digest.sha256(bytes), node("/incoming/d/c").digest(), "the last name still holds the bytes");
        Handle reader = node("/incoming/d/c").open(false, false).handle();
        assertArrayEquals(bytes, read(reader, 1000));
        reader.release();
    }

    @Test
    void aNameThatIsNotUtf8IsMadeListedWithItsBytesAndOpened() throws IOException {
        byte[] latin1 = {'c', 'a', 'f', (byte) 0xe9};
        Node path = Node.parse(concat("/incoming/".getBytes(StandardCharsets.US_ASCII), latin1));
        assertEquals("caf\\xe9", ((Node.Tree) path).shown(), "status and the log show the byte escaped");
        byte[] bytes = random(321, 7);
        Handle handle = tree.nodes.of(path).create(0644, CALLER);
        write(handle, bytes, 0);
        handle.release();

        List<byte[]> listed = rawList(Node.TREE_ROOT);
        assertEquals(1, listed.size());
        assertArrayEquals(latin1, listed.get(0), "listed back with the same bytes");
        assertEquals(Errno.ENOENT, errno(() -> attributes("/incoming/café")), "café in UTF-8 is another name");
        Handle reader = tree.nodes.of(path).open(false, false).handle();
        assertArrayEquals(bytes, read(reader, 1000));
        reader.release();
        assertEquals(Digest.sha256(bytes), tree.nodes.of(path).digest());
        assertTrue(
                tree.store.tree().lookup(Namespace.ROOT, EntryName.of(latin1)).isPresent());

        // A folder too, and a rename to such a name.
        byte[] folder = {(byte) 0xff, (byte) 0xfe};
        Node folderPath = Node.parse(concat("/incoming/".getBytes(StandardCharsets.US_ASCII), folder));
        tree.nodes.of(folderPath).makeFolder(0755, CALLER);
        Node moved =
                Node.parse(concat("/incoming/".getBytes(StandardCharsets.US_ASCII), folder, new byte[] {'/'}, latin1));
        tree.nodes.of(path).renameTo(tree.nodes.of(moved));
        assertArrayEquals(folder, rawList(Node.TREE_ROOT).get(0));
        assertArrayEquals(latin1, rawList(folderPath).get(0));
        assertEquals(Digest.sha256(bytes), tree.nodes.of(moved).digest());
    }

    private List<byte[]> rawList(Node folder) throws IOException {
        List<byte[]> names = new ArrayList<>();
        tree.nodes.of(folder).list(page -> page.forEach(listed -> names.add(listed.name())));
        return names;
    }

    private static byte[] concat(byte[]... parts) {
        int length = Arrays.stream(parts).mapToInt(part -> part.length).sum();
        byte[] all = new byte[length];
        int at = 0;
        for (byte[] part : parts) {
            System.arraycopy(part, 0, all, at, part.length);
            at += part.length;
        }
        return all;
    }

    @Test
    void inodeNumbersAreStableAcrossMountsAndApartFromTheChunksAndPrefixFolders() throws IOException {
        Digest digest = tree.deliver("a", random(64, 8));
        mkdir("/incoming/d", 0755);
        tree.deliver("d/b", random(64, 9));
        symlink("/incoming/l", "a");
        List<String> paths = List.of("/incoming", "/incoming/a", "/incoming/d", "/incoming/d/b", "/incoming/l");
        Map<String, Long> inodes = new LinkedHashMap<>();
        for (String path : paths) {
            inodes.put(path, attributes(path).inode());
        }
        assertEquals(Namespace.ROOT, inodes.get("/incoming"));
        assertEquals(paths.size(), new HashSet<>(inodes.values()).size(), "one number each");
        Map<String, Long> listedInodes = listedInodes("/incoming");
        assertEquals(inodes.get("/incoming/a"), listedInodes.get("a"), "readdir gives the number stat gives");
        assertEquals(inodes.get("/incoming/d"), listedInodes.get("d"));
        assertEquals(Namespace.ROOT, listedInodes("/").get("incoming"), "the root lists incoming/ by its number");

        node("/incoming/a").renameTo(node("/incoming/d/a"));
        assertEquals(inodes.get("/incoming/a"), attributes("/incoming/d/a").inode(), "a rename keeps the number");
        node("/incoming/d/a").renameTo(node("/incoming/a"));

        reopen();
        for (String path : paths) {
            assertEquals(inodes.get(path), attributes(path).inode(), path + " after the next mount");
        }
        assertEquals(listedInodes, listedInodes("/incoming"));

        // A number is never given to another entry, even after its entry is gone.
        node("/incoming/d/b").unlink();
        node("/incoming/n").create(0644, CALLER).release();
        assertFalse(inodes.containsValue(attributes("/incoming/n").inode()), "a new entry gets a new number");

        Set<Long> fixed = new HashSet<>();
        fixed.add(attributes("/").inode());
        for (String prefix : tree.list("/")) {
            if (!prefix.equals("incoming")) {
                fixed.add(attributes("/" + prefix).inode());
            }
        }
        long chunk = attributes("/" + digest.prefix() + "/" + digest).inode();
        assertEquals(chunk, listedInodes("/" + digest.prefix()).get(digest.toString()));
        fixed.add(chunk);
        assertEquals(258, fixed.size(), "the root, 256 prefix folders and a chunk: one number each");
        for (long number : fixed) {
            assertTrue(number >= Attributes.FIXED_INODES, "above the tree's numbers: " + number);
        }
        for (long number : inodes.values()) {
            assertTrue(number > 0 && number < Attributes.FIXED_INODES, "a tree number: " + number);
        }
        assertNotEquals(attributes("/incoming/a").inode(), chunk, "a file and the chunk it holds are two nodes");
    }

    private Map<String, Long> listedInodes(String folder) throws IOException {
        Map<String, Long> inodes = new TreeMap<>();
        node(folder)
                .list(page -> page.forEach(
                        listed -> inodes.put(new String(listed.name(), StandardCharsets.UTF_8), listed.inode())));
        return inodes;
    }
}

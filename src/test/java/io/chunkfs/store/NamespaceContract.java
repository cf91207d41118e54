package io.chunkfs.store;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkfs.store.Namespace.Child;
import io.chunkfs.store.Namespace.RenameMode;
import io.chunkfs.store.Namespace.XattrMode;
import io.chunkfs.testing.TestBytes;
import io.chunkfs.testing.TestClock;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import jnr.constants.platform.Errno;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * What every {@link Namespace} promises, as tests: a backend's test class extends this and says how to open the
 * namespace kept for a folder. Each test starts from a new namespace and ends by walking the whole tree ({@link
 * NamespaceWalk#check}): whatever a test did, the tree must still be a tree with the right link counts.
 */
public abstract class NamespaceContract {
    /** The owner {@link #open} gives a new namespace's root. */
    protected static final long OWNER_UID = 1000;

    protected static final long OWNER_GID = 100;

    /** Where {@link #clock} starts: the namespace's "now" (nanoseconds since the epoch). */
    protected static final long START = 1_700_000_000_123_456_789L;

    /** The time of entries the tests make, distinct from the namespace's now. */
    protected static final long MADE = 1_600_000_000_987_654_321L;

    private static final long ROOT = Namespace.ROOT;

    /** The clock the namespace must read for "now" (ctime, a changed folder's mtime). */
    protected final TestClock clock = new TestClock(START);

    @TempDir
    protected Path dir;

    /** The namespace under test. */
    protected Namespace ns;

    /**
     * Opens the namespace kept for {@code dir}: a new one if there is none (its root owned by {@link #OWNER_UID}:
     * {@link #OWNER_GID}, mode 0755, {@link Namespace#treeRoots()} on), else the one that is there, as it was left;
     * writable, sync level {@link SyncLevel#FILE}, reading {@link #clock}.
     */
    protected abstract Namespace open(Path dir) throws IOException;

    @BeforeEach
    final void openNew() throws IOException {
        ns = open(dir);
    }

    @AfterEach
    final void checkTreeAndClose() throws IOException {
        try {
            NamespaceWalk.check(ns);
        } finally {
            ns.close();
        }
    }

    /** Closes the namespace and opens it again, as the next process would. */
    protected final void reopen() throws IOException {
        ns.close();
        ns = open(dir);
    }

    // ---- helpers

    protected static EntryName name(String text) throws PosixException {
        return EntryName.of(text);
    }

    protected static EntryName name(byte[] bytes) throws PosixException {
        return EntryName.of(bytes);
    }

    private static byte[] bytes(int... values) {
        byte[] bytes = new byte[values.length];
        for (int k = 0; k < values.length; k++) {
            bytes[k] = (byte) values[k];
        }
        return bytes;
    }

    protected static Digest digest(String content) {
        return Digest.sha256(content.getBytes(UTF_8));
    }

    protected static NewEntry file(String content) {
        byte[] bytes = content.getBytes(UTF_8);
        return NewEntry.file(Digest.sha256(bytes), bytes.length, 0644, OWNER_UID, OWNER_GID, MADE);
    }

    protected static NewEntry folder() {
        return NewEntry.folder(0755, OWNER_UID, OWNER_GID, MADE);
    }

    private Entry mkfile(long folder, String name, String content) throws IOException {
        return ns.create(folder, name(name), file(content));
    }

    private Entry mkdir(long folder, String name) throws IOException {
        return ns.create(folder, name(name), folder());
    }

    private Entry stat(long inode) throws IOException {
        return ns.entry(inode).orElseThrow(() -> new AssertionError("no inode " + inode));
    }

    private Entry at(long folder, String name) throws IOException {
        return ns.lookup(folder, name(name)).orElseThrow(() -> new AssertionError("no " + name + " in " + folder));
    }

    private boolean exists(long folder, String name) throws IOException {
        return ns.lookup(folder, name(name)).isPresent();
    }

    /** Every name of {@code folder}, page by page. */
    private List<EntryName> names(long folder, int page) throws IOException {
        List<EntryName> names = new ArrayList<>();
        EntryName after = null;
        while (true) {
            List<Child> children = ns.list(folder, after, page);
            for (Child child : children) {
                names.add(child.name());
            }
            if (children.size() < page) {
                return names;
            }
            after = children.get(children.size() - 1).name();
        }
    }

    private List<EntryName> names(long folder) throws IOException {
        return names(folder, 100);
    }

    private static List<EntryName> names(String... names) throws PosixException {
        List<EntryName> list = new ArrayList<>();
        for (String name : names) {
            list.add(name(name));
        }
        return list;
    }

    private List<Digest> allNamedDigests(int page) throws IOException {
        List<Digest> digests = new ArrayList<>();
        Digest after = null;
        while (true) {
            List<Digest> got = ns.namedDigests(after, page);
            digests.addAll(got);
            if (got.size() < page) {
                return digests;
            }
            after = got.get(got.size() - 1);
        }
    }

    /** The whole tree as paths, to show that a refused change changed nothing. */
    private Map<String, Entry> snapshot() throws IOException {
        return NamespaceWalk.check(ns).byPath();
    }

    protected static PosixException assertErrno(Errno errno, Executable call) {
        PosixException e = assertThrows(PosixException.class, call, "expected " + errno);
        assertEquals(errno.intValue(), e.errno(), () -> "expected " + errno + ", got " + e.getMessage());
        return e;
    }

    // ---- names: lookup, entry, list

    @Test
    void aNewNamespaceHasAnEmptyRootFolderOwnedAsOpened() throws IOException {
        Entry root = stat(ROOT);
        assertEquals(ROOT, root.inode());
        assertEquals(EntryType.FOLDER, root.type());
        assertEquals(0755, root.mode());
        assertEquals(OWNER_UID, root.uid());
        assertEquals(OWNER_GID, root.gid());
        assertEquals(2, root.links());
        assertNull(root.digest());
        assertNull(root.target());
        assertEquals(List.of(), ns.list(ROOT, null, 10));
        assertEquals(Optional.empty(), ns.lookup(ROOT, name("nothing")));
        assertTrue(ns.treeRoots());
        assertEquals(List.of(), ns.namedDigests(null, 10));
    }

    @Test
    void lookupAndListNeedAFolderThatExists() throws IOException {
        Entry file = mkfile(ROOT, "f", "x");
        Entry gone = mkdir(ROOT, "gone");
        ns.removeFolder(ROOT, name("gone"));
        long never = file.inode() + 1_000_000;
        for (long missing : new long[] {never, gone.inode()}) {
            assertErrno(Errno.ENOENT, () -> ns.lookup(missing, name("a")));
            assertErrno(Errno.ENOENT, () -> ns.list(missing, null, 10));
            assertErrno(Errno.ENOENT, () -> ns.list(missing, name("a"), 10));
            assertEquals(Optional.empty(), ns.entry(missing));
        }
        assertErrno(Errno.ENOTDIR, () -> ns.lookup(file.inode(), name("a")));
        assertErrno(Errno.ENOTDIR, () -> ns.list(file.inode(), null, 10));
        assertEquals(file, at(ROOT, "f"));
        assertEquals(file, stat(file.inode()));
    }

    @Test
    void listPagesThroughEveryNameOnceInUnsignedByteOrder() throws IOException {
        List<byte[]> raw = List.of(
                bytes('a'),
                bytes('B'),
                bytes('b'),
                bytes('a', 'b'),
                bytes('a', 'a'),
                bytes('a', ' ', 'b'),
                bytes('Z'),
                bytes('~'),
                bytes(0x01),
                bytes(0x7f),
                bytes(0x80),
                bytes(0xff),
                bytes(0xff, 0x01),
                bytes(0xe9), // Latin-1 é
                bytes(0xc3, 0xa9), // UTF-8 é
                bytes('c', 'a', 'f', 0xe9),
                bytes('c', 'a', 'f', 0xc3, 0xa9),
                bytes('c', 'a', 'f'));
        List<EntryName> expected = new ArrayList<>();
        for (byte[] name : raw) {
            ns.create(ROOT, name(name), file("x"));
            expected.add(name(name));
        }
        Collections.sort(expected);
        for (int k = 1; k < expected.size(); k++) {
            assertTrue(Arrays.compareUnsigned(
                            expected.get(k - 1).bytes(), expected.get(k).bytes())
                    < 0);
        }
        assertEquals(name(bytes(0x01)), expected.get(0));
        assertEquals(name(bytes(0xff, 0x01)), expected.get(expected.size() - 1), "high bytes sort last");
        for (int page : new int[] {1, 2, 3, 7, expected.size(), 100}) {
            assertEquals(expected, names(ROOT, page), "pages of " + page);
        }
        // after a name that is not there: those above it
        assertEquals(
                List.of(name("b"), name("caf")),
                ns.list(ROOT, name("az"), 2).stream().map(Child::name).toList());
        assertEquals(List.of(), ns.list(ROOT, name(bytes(0xff, 0x01)), 10));
        for (Child child : ns.list(ROOT, null, 100)) {
            assertEquals(Optional.of(child.entry()), ns.lookup(ROOT, child.name()));
        }
    }

    @Test
    void pagingWhileTheFolderChangesListsEveryNameThatStaysOnce() throws IOException {
        Set<EntryName> stays = new TreeSet<>();
        for (int k = 0; k < 30; k++) {
            String name = "n" + (k < 10 ? "0" : "") + k;
            mkfile(ROOT, name, "x");
            stays.add(name(name));
        }
        List<EntryName> seen = new ArrayList<>();
        EntryName after = null;
        int pages = 0;
        while (true) {
            List<Child> page = ns.list(ROOT, after, 4);
            page.forEach(child -> seen.add(child.name()));
            pages++;
            if (page.size() < 4) {
                break;
            }
            after = page.get(page.size() - 1).name();
            // others change the folder between pages: remove a name seen and one not seen yet, add names
            // behind and ahead of the cursor, move a name from ahead of it to behind it
            for (String removed : List.of("n0" + (pages % 4), "n" + (15 + pages))) {
                if (exists(ROOT, removed)) {
                    ns.unlink(ROOT, name(removed));
                    stays.remove(name(removed));
                }
            }
            mkfile(ROOT, "a" + pages, "x");
            mkfile(ROOT, "n" + (10 + pages) + "z", "x");
            String moved = "n" + (24 + pages);
            if (exists(ROOT, moved)) {
                ns.rename(ROOT, name(moved), ROOT, name("b" + pages), RenameMode.REPLACE);
                stays.remove(name(moved));
            }
        }
        assertTrue(pages > 5 && stays.size() > 10, pages + " pages, " + stays.size() + " names stayed");
        assertEquals(new HashSet<>(seen).size(), seen.size(), "no name twice: " + seen);
        assertTrue(seen.containsAll(stays), "every name that stayed: " + stays + " in " + seen);
        for (int k = 1; k < seen.size(); k++) {
            assertTrue(seen.get(k - 1).compareTo(seen.get(k)) < 0, "rising order: " + seen);
        }
    }

    @Test
    void namesThatAreNotUtf8AreKeptExactly() throws IOException {
        byte[] latin1 = "café".getBytes(ISO_8859_1);
        byte[] utf8 = "café".getBytes(UTF_8);
        List<byte[]> odd = List.of(
                bytes(0xc3, 0x28), // a broken two-byte sequence
                bytes(0xed, 0xa0, 0x80), // a UTF-16 surrogate in UTF-8
                bytes(0xc0, 0xaf), // an overlong '/'
                bytes('\\', 'x', 'e', '9')); // what escaped() shows for 0xe9, as text
        Entry latin = ns.create(ROOT, name(latin1), file("latin"));
        Entry unicode = ns.create(ROOT, name(utf8), file("utf8"));
        assertNotEquals(latin.inode(), unicode.inode());
        assertFalse(name(latin1).isUtf8());
        assertEquals(
                digest("latin"), ns.lookup(ROOT, name(latin1)).orElseThrow().digest());
        assertEquals(digest("utf8"), ns.lookup(ROOT, name(utf8)).orElseThrow().digest());
        for (byte[] name : odd) {
            ns.create(ROOT, name(name), file(Arrays.toString(name)));
        }
        for (int round = 0; round < 2; round++) {
            List<byte[]> listed = ns.list(ROOT, null, 100).stream()
                    .map(child -> child.name().bytes())
                    .toList();
            assertEquals(6, listed.size());
            for (byte[] name : List.of(latin1, utf8, odd.get(0), odd.get(1), odd.get(2), odd.get(3))) {
                assertTrue(listed.stream().anyMatch(l -> Arrays.equals(l, name)), Arrays.toString(name));
            }
            for (byte[] name : odd) {
                assertEquals(
                        digest(Arrays.toString(name)),
                        ns.lookup(ROOT, name(name)).orElseThrow().digest());
            }
            assertEquals(latin, ns.lookup(ROOT, name(latin1)).orElseThrow());
            reopen();
        }
    }

    @Test
    void aNameOf255BytesIsKeptAnd256AreTooLong() throws IOException {
        byte[] ascii = new byte[EntryName.MAX_BYTES];
        Arrays.fill(ascii, (byte) 'x');
        byte[] multibyte = ("é".repeat(127) + "y").getBytes(UTF_8);
        assertEquals(255, multibyte.length);
        Entry a = ns.create(ROOT, name(ascii), file("a"));
        Entry b = ns.create(ROOT, name(multibyte), folder());
        assertEquals(a, ns.lookup(ROOT, name(ascii)).orElseThrow());
        assertEquals(b, ns.lookup(ROOT, name(multibyte)).orElseThrow());
        List<Child> listed = ns.list(ROOT, null, 10);
        assertEquals(2, listed.size());
        assertArrayEquals(ascii, listed.get(0).name().bytes());
        assertArrayEquals(multibyte, listed.get(1).name().bytes());
        ns.rename(ROOT, name(ascii), b.inode(), name(ascii), RenameMode.NOREPLACE);
        assertEquals(a.inode(), ns.lookup(b.inode(), name(ascii)).orElseThrow().inode());

        byte[] tooLong = new byte[EntryName.MAX_BYTES + 1];
        Arrays.fill(tooLong, (byte) 'x');
        assertErrno(Errno.ENAMETOOLONG, () -> EntryName.of(tooLong));
        assertErrno(Errno.ENAMETOOLONG, () -> EntryName.of("é".repeat(128)));
    }

    @Test
    void invalidNamesAreRefusedWithEinval() throws IOException {
        for (String bad : List.of(".", "..", "a/b", "/", "a/", "a\0b", "\0", "")) {
            assertErrno(Errno.EINVAL, () -> EntryName.of(bad));
            assertErrno(Errno.EINVAL, () -> EntryName.of(bad.getBytes(UTF_8)));
        }
        List<String> fine = List.of("...", ".a", "a.", "..a", " ", "\n", "\\", "-");
        for (String good : fine) {
            mkfile(ROOT, good, good);
        }
        assertEquals(fine.size(), names(ROOT).size());
        for (String good : fine) {
            assertEquals(digest(good), at(ROOT, good).digest());
        }
    }

    // ---- create

    @Test
    void createMakesARegularFileNamingItsChunk() throws IOException {
        Digest chunk = digest("content");
        NewEntry made = NewEntry.file(chunk, 123_456_789_012L, 04755, 4_294_967_294L, 65_534, MADE);
        Entry file = ns.create(ROOT, name("f"), made);
        assertNotEquals(ROOT, file.inode());
        assertEquals(
                new Entry(
                        file.inode(),
                        EntryType.REGULAR,
                        04755,
                        4_294_967_294L,
                        65_534,
                        MADE,
                        MADE,
                        MADE,
                        123_456_789_012L,
                        1,
                        chunk,
                        null,
                        0),
                file);
        assertEquals(file, stat(file.inode()));
        assertEquals(file, at(ROOT, "f"));
        Entry root = stat(ROOT);
        assertEquals(2, root.links(), "a file is no subfolder");
        assertEquals(START, root.mtime(), "a folder that gained a name was changed now");
        assertEquals(START, root.ctime());
        assertEquals(List.of(chunk), ns.namedDigests(null, 10));
    }

    @Test
    void createMakesAFolderThatCountsInItsParentsLinks() throws IOException {
        Entry a = mkdir(ROOT, "a");
        assertEquals(
                new Entry(
                        a.inode(), EntryType.FOLDER, 0755, OWNER_UID, OWNER_GID, MADE, MADE, MADE, 0, 2, null, null, 0),
                a);
        assertEquals(3, stat(ROOT).links());
        Entry b = mkdir(a.inode(), "b");
        mkfile(a.inode(), "f", "x");
        mkdir(ROOT, "c");
        assertEquals(3, stat(a.inode()).links());
        assertEquals(4, stat(ROOT).links());
        assertEquals(2, stat(b.inode()).links());
        assertEquals(names("b", "f"), names(a.inode()));
        assertEquals(names("a", "c"), names(ROOT));
    }

    @Test
    void createMakesSymlinksThatKeepTheirTargetBytesExactly() throws IOException {
        byte[] odd = bytes('.', '.', '/', 0xe9, 0x01, '/', ' ', 'x', 0xff, '/');
        byte[] longest = new byte[4095];
        for (int k = 0; k < longest.length; k++) {
            longest[k] = (byte) (k % 255 + 1);
        }
        Entry s = ns.create(ROOT, name("s"), NewEntry.symlink(odd, 7, 8, MADE));
        Entry l = ns.create(ROOT, name("l"), NewEntry.symlink(longest, 7, 8, MADE));
        assertEquals(EntryType.SYMLINK, s.type());
        assertEquals(0777, s.mode());
        assertEquals(odd.length, s.size());
        assertEquals(1, s.links());
        assertNull(s.digest());
        assertEquals(7, s.uid());
        assertEquals(8, s.gid());
        assertArrayEquals(odd, s.target());
        assertEquals(4095, l.size());
        for (int round = 0; round < 2; round++) {
            assertArrayEquals(odd, at(ROOT, "s").target());
            assertArrayEquals(odd, stat(s.inode()).target());
            assertArrayEquals(longest, at(ROOT, "l").target());
            assertEquals(s, stat(s.inode()));
            reopen();
        }
        assertEquals(List.of(), ns.namedDigests(null, 10), "a symlink names no chunk");
    }

    @Test
    void createMakesFifosSocketsAndDeviceNodesWithTheirDeviceNumbers() throws IOException {
        Map<String, NewEntry> made = new LinkedHashMap<>();
        made.put("fifo", NewEntry.special(EntryType.FIFO, 0640, 0, 1, 2, MADE));
        made.put("socket", NewEntry.special(EntryType.SOCKET, 0755, 0, 1, 2, MADE));
        made.put("null", NewEntry.special(EntryType.CHAR_DEVICE, 0666, (1 << 8) | 3, 0, 0, MADE));
        made.put("disk", NewEntry.special(EntryType.BLOCK_DEVICE, 0660, 0x0000_0fff_0012_3456L, 0, 6, MADE));
        Map<String, Entry> created = new LinkedHashMap<>();
        for (Map.Entry<String, NewEntry> each : made.entrySet()) {
            NewEntry n = each.getValue();
            Entry e = ns.create(ROOT, name(each.getKey()), n);
            assertEquals(
                    new Entry(
                            e.inode(),
                            n.type(),
                            n.mode(),
                            n.uid(),
                            n.gid(),
                            MADE,
                            MADE,
                            MADE,
                            0,
                            1,
                            null,
                            null,
                            n.device()),
                    e);
            created.put(each.getKey(), e);
        }
        reopen();
        for (Map.Entry<String, Entry> each : created.entrySet()) {
            assertEquals(each.getValue(), at(ROOT, each.getKey()));
        }
        assertEquals(0x0000_0fff_0012_3456L, at(ROOT, "disk").device());
        assertEquals(259, at(ROOT, "null").device());
    }

    @Test
    void createRefusesAnExistingNameAndChangesNothing() throws IOException {
        mkfile(ROOT, "f", "x");
        mkdir(ROOT, "d");
        ns.create(ROOT, name("s"), NewEntry.symlink(bytes('t'), 0, 0, MADE));
        Map<String, Entry> before = snapshot();
        clock.advance(Duration.ofSeconds(1));
        for (String existing : List.of("f", "d", "s")) {
            assertErrno(Errno.EEXIST, () -> ns.create(ROOT, name(existing), file("y")));
            assertErrno(Errno.EEXIST, () -> ns.create(ROOT, name(existing), folder()));
            assertErrno(Errno.EEXIST, () -> ns.create(ROOT, name(existing), NewEntry.symlink(bytes('u'), 0, 0, 1)));
            assertErrno(
                    Errno.EEXIST,
                    () -> ns.create(ROOT, name(existing), NewEntry.special(EntryType.FIFO, 0600, 0, 0, 0, 1)));
        }
        assertEquals(before, snapshot());
    }

    @Test
    void createAndCreateOrReplaceNeedAFolderThatExists() throws IOException {
        Entry file = mkfile(ROOT, "f", "x");
        Entry gone = mkdir(ROOT, "gone");
        ns.removeFolder(ROOT, name("gone"));
        Map<String, Entry> before = snapshot();
        for (long missing : new long[] {gone.inode(), file.inode() + 1_000_000}) {
            assertErrno(Errno.ENOENT, () -> ns.create(missing, name("a"), file("y")));
            assertErrno(Errno.ENOENT, () -> ns.create(missing, name("a"), folder()));
            assertErrno(Errno.ENOENT, () -> ns.createOrReplace(missing, name("a"), file("y")));
        }
        assertErrno(Errno.ENOTDIR, () -> ns.create(file.inode(), name("a"), file("y")));
        assertErrno(Errno.ENOTDIR, () -> ns.create(file.inode(), name("a"), folder()));
        assertErrno(Errno.ENOTDIR, () -> ns.createOrReplace(file.inode(), name("a"), file("y")));
        assertEquals(before, snapshot());
    }

    // ---- createOrReplace

    @Test
    void createOrReplaceMakesANewFileOrReplacesOneThatIsNotAFolder() throws IOException {
        Entry one = ns.createOrReplace(ROOT, name("a"), file("one"));
        assertEquals(one, at(ROOT, "a"));
        assertEquals(1, one.links());
        assertEquals(digest("one"), one.digest());

        Entry two = ns.createOrReplace(ROOT, name("a"), file("two"));
        assertNotEquals(one.inode(), two.inode());
        assertEquals(Optional.empty(), ns.entry(one.inode()), "the replaced file's last name is gone, and it");
        assertEquals(two, at(ROOT, "a"));
        assertEquals(List.of(digest("two")), ns.namedDigests(null, 10));

        ns.link(two.inode(), ROOT, name("b"));
        Entry three = ns.createOrReplace(ROOT, name("a"), file("three"));
        assertEquals(three, at(ROOT, "a"));
        Entry other = at(ROOT, "b");
        assertEquals(two.inode(), other.inode(), "the other name keeps the old inode");
        assertEquals(1, other.links());
        assertEquals(digest("two"), other.digest());

        ns.create(ROOT, name("s"), NewEntry.symlink(bytes('t'), 0, 0, MADE));
        ns.create(ROOT, name("p"), NewEntry.special(EntryType.FIFO, 0600, 0, 0, 0, MADE));
        Entry overSymlink = ns.createOrReplace(ROOT, name("s"), file("four"));
        Entry overFifo = ns.createOrReplace(ROOT, name("p"), file("five"));
        assertEquals(EntryType.REGULAR, at(ROOT, "s").type());
        assertEquals(overSymlink, at(ROOT, "s"));
        assertEquals(overFifo, at(ROOT, "p"));
        assertEquals(names("a", "b", "p", "s"), names(ROOT));
        assertEquals(2, stat(ROOT).links());
    }

    @Test
    void createOrReplaceRefusesAFolderWithEisdir() throws IOException {
        Entry full = mkdir(ROOT, "full");
        mkfile(full.inode(), "inside", "x");
        mkdir(ROOT, "empty");
        Map<String, Entry> before = snapshot();
        clock.advance(Duration.ofSeconds(1));
        assertErrno(Errno.EISDIR, () -> ns.createOrReplace(ROOT, name("full"), file("y")));
        assertErrno(Errno.EISDIR, () -> ns.createOrReplace(ROOT, name("empty"), file("y")));
        assertEquals(before, snapshot());
    }

    // ---- link

    @Test
    void linkGivesAnInodeAnotherNameAndCountsIt() throws IOException {
        Entry f = mkfile(ROOT, "f", "x");
        Entry d = mkdir(ROOT, "d");
        long now = clock.advance(Duration.ofSeconds(1));
        Entry linked = ns.link(f.inode(), d.inode(), name("g"));
        assertEquals(f.inode(), linked.inode());
        assertEquals(2, linked.links());
        assertEquals(now, linked.ctime(), "a new name changes the inode");
        assertEquals(f.mtime(), linked.mtime());
        assertEquals(f.digest(), linked.digest());
        assertEquals(linked, at(d.inode(), "g"));
        assertEquals(linked, at(ROOT, "f"));
        assertEquals(linked, stat(f.inode()));
        assertEquals(now, stat(d.inode()).mtime(), "the folder that gained a name");
        assertEquals(2, stat(d.inode()).links(), "a file's name is no subfolder");

        assertEquals(3, ns.link(f.inode(), ROOT, name("h")).links());
        ns.setAttributes(f.inode(), AttributeChange.mode(0600));
        assertEquals(0600, at(d.inode(), "g").mode(), "one inode seen through every name");
        assertEquals(0600, at(ROOT, "h").mode());
        assertEquals(List.of(digest("x")), ns.namedDigests(null, 10), "a chunk named by one inode is listed once");

        Entry s = ns.create(ROOT, name("s"), NewEntry.symlink(bytes('t'), 0, 0, MADE));
        assertEquals(2, ns.link(s.inode(), d.inode(), name("s2")).links(), "a symlink may have two names");
        Entry p = ns.create(ROOT, name("p"), NewEntry.special(EntryType.FIFO, 0600, 0, 0, 0, MADE));
        assertEquals(2, ns.link(p.inode(), d.inode(), name("p2")).links());
    }

    @Test
    void linkRefusesFoldersExistingNamesAndWhatIsMissing() throws IOException {
        Entry f = mkfile(ROOT, "f", "x");
        Entry d = mkdir(ROOT, "d");
        mkfile(d.inode(), "taken", "y");
        Entry gone = mkfile(ROOT, "gone", "z");
        ns.unlink(ROOT, name("gone"));
        Map<String, Entry> before = snapshot();
        clock.advance(Duration.ofSeconds(1));
        assertErrno(Errno.EPERM, () -> ns.link(d.inode(), ROOT, name("d2")));
        assertErrno(Errno.EPERM, () -> ns.link(ROOT, d.inode(), name("root")));
        assertErrno(Errno.EEXIST, () -> ns.link(f.inode(), ROOT, name("f")));
        assertErrno(Errno.EEXIST, () -> ns.link(f.inode(), d.inode(), name("taken")));
        assertErrno(Errno.EEXIST, () -> ns.link(f.inode(), ROOT, name("d")));
        assertErrno(Errno.ENOENT, () -> ns.link(gone.inode(), ROOT, name("back")));
        assertErrno(Errno.ENOENT, () -> ns.link(f.inode() + 1_000_000, ROOT, name("new")));
        assertErrno(Errno.ENOENT, () -> ns.link(f.inode(), f.inode() + 1_000_000, name("new")));
        assertErrno(Errno.ENOTDIR, () -> ns.link(f.inode(), f.inode(), name("new")));
        assertEquals(before, snapshot());
        assertEquals(1, stat(f.inode()).links());
    }

    // ---- rename

    @Test
    void renameMovesANameToAnotherFolder() throws IOException {
        Entry src = mkdir(ROOT, "src");
        Entry dst = mkdir(ROOT, "dst");
        Entry f = mkfile(src.inode(), "f", "x");
        long now = clock.advance(Duration.ofSeconds(1));
        ns.rename(src.inode(), name("f"), dst.inode(), name("g"), RenameMode.REPLACE);
        assertFalse(exists(src.inode(), "f"));
        Entry moved = at(dst.inode(), "g");
        assertEquals(f.inode(), moved.inode());
        assertEquals(1, moved.links());
        assertEquals(now, moved.ctime(), "a moved inode's ctime changes");
        assertEquals(f.mtime(), moved.mtime());
        assertEquals(now, stat(src.inode()).mtime());
        assertEquals(now, stat(dst.inode()).mtime());
        assertEquals(2, stat(src.inode()).links());
        assertEquals(2, stat(dst.inode()).links());
        ns.rename(dst.inode(), name("g"), dst.inode(), name("h"), RenameMode.NOREPLACE);
        assertEquals(names("h"), names(dst.inode()));
    }

    @Test
    void renameReplacesAFileWithAFile() throws IOException {
        Entry a = mkfile(ROOT, "a", "one");
        Entry b = mkfile(ROOT, "b", "two");
        ns.rename(ROOT, name("a"), ROOT, name("b"), RenameMode.REPLACE);
        assertFalse(exists(ROOT, "a"));
        assertEquals(a.inode(), at(ROOT, "b").inode());
        assertEquals(Optional.empty(), ns.entry(b.inode()), "the replaced file had no other name");
        assertEquals(List.of(digest("one")), ns.namedDigests(null, 10));

        Entry c = mkfile(ROOT, "c", "three");
        Entry d = mkdir(ROOT, "d");
        ns.link(c.inode(), d.inode(), name("c2"));
        long now = clock.advance(Duration.ofSeconds(1));
        ns.rename(ROOT, name("b"), ROOT, name("c"), RenameMode.REPLACE);
        assertEquals(a.inode(), at(ROOT, "c").inode());
        Entry other = at(d.inode(), "c2");
        assertEquals(c.inode(), other.inode());
        assertEquals(1, other.links(), "the replaced inode lost one of its two names");
        assertEquals(now, other.ctime());

        ns.create(ROOT, name("s"), NewEntry.symlink(bytes('t'), 0, 0, MADE));
        ns.rename(ROOT, name("c"), ROOT, name("s"), RenameMode.REPLACE);
        assertEquals(a.inode(), at(ROOT, "s").inode(), "a file replaces a symlink");
        assertEquals(names("d", "s"), names(ROOT));
    }

    @Test
    void renameReplacesAnEmptyFolderWithAFolder() throws IOException {
        Entry p = mkdir(ROOT, "p");
        Entry q = mkdir(ROOT, "q");
        Entry a = mkdir(p.inode(), "a");
        Entry x = mkfile(a.inode(), "x", "x");
        Entry b = mkdir(p.inode(), "b");
        Entry e = mkdir(q.inode(), "e");
        assertEquals(4, stat(p.inode()).links());

        ns.rename(p.inode(), name("a"), p.inode(), name("b"), RenameMode.REPLACE);
        assertEquals(Optional.empty(), ns.entry(b.inode()), "the replaced folder is gone");
        assertEquals(a.inode(), at(p.inode(), "b").inode());
        assertEquals(x.inode(), at(a.inode(), "x").inode());
        assertEquals(names("b"), names(p.inode()));
        assertEquals(3, stat(p.inode()).links());

        ns.rename(p.inode(), name("b"), q.inode(), name("e"), RenameMode.REPLACE);
        assertEquals(Optional.empty(), ns.entry(e.inode()));
        assertEquals(a.inode(), at(q.inode(), "e").inode());
        assertEquals(2, stat(p.inode()).links());
        assertEquals(3, stat(q.inode()).links());
        assertEquals(2, stat(a.inode()).links());
        assertEquals(x.inode(), at(a.inode(), "x").inode());
    }

    @Test
    void renameRefusesToReplaceAcrossKindsOrANonEmptyFolder() throws IOException {
        Entry f = mkfile(ROOT, "f", "x");
        mkdir(ROOT, "empty");
        Entry full = mkdir(ROOT, "full");
        mkfile(full.inode(), "inside", "y");
        Entry other = mkdir(ROOT, "other");
        mkdir(other.inode(), "sub");
        ns.create(ROOT, name("s"), NewEntry.symlink(bytes('t'), 0, 0, MADE));
        Map<String, Entry> before = snapshot();
        clock.advance(Duration.ofSeconds(1));
        assertErrno(Errno.ENOTEMPTY, () -> ns.rename(ROOT, name("empty"), ROOT, name("full"), RenameMode.REPLACE));
        assertErrno(Errno.ENOTEMPTY, () -> ns.rename(ROOT, name("empty"), ROOT, name("other"), RenameMode.REPLACE));
        assertErrno(Errno.EISDIR, () -> ns.rename(ROOT, name("f"), ROOT, name("empty"), RenameMode.REPLACE));
        assertErrno(Errno.EISDIR, () -> ns.rename(ROOT, name("s"), ROOT, name("empty"), RenameMode.REPLACE));
        assertErrno(Errno.ENOTDIR, () -> ns.rename(ROOT, name("empty"), ROOT, name("f"), RenameMode.REPLACE));
        assertErrno(Errno.ENOTDIR, () -> ns.rename(ROOT, name("full"), ROOT, name("s"), RenameMode.REPLACE));
        for (RenameMode mode : RenameMode.values()) {
            assertErrno(Errno.ENOENT, () -> ns.rename(ROOT, name("missing"), ROOT, name("f"), mode));
            assertErrno(Errno.ENOENT, () -> ns.rename(ROOT, name("missing"), ROOT, name("new"), mode));
            assertErrno(Errno.ENOENT, () -> ns.rename(f.inode() + 1_000_000, name("f"), ROOT, name("g"), mode));
            assertErrno(Errno.ENOENT, () -> ns.rename(ROOT, name("f"), f.inode() + 1_000_000, name("g"), mode));
            assertErrno(Errno.ENOTDIR, () -> ns.rename(ROOT, name("full"), f.inode(), name("g"), mode));
            assertErrno(Errno.ENOTDIR, () -> ns.rename(f.inode(), name("x"), ROOT, name("g"), mode));
        }
        assertEquals(before, snapshot());
    }

    @Test
    void renameRefusesToMoveAFolderIntoItselfOrBelowItWithEinval() throws IOException {
        Entry a = mkdir(ROOT, "a");
        Entry b = mkdir(a.inode(), "b");
        Entry c = mkdir(b.inode(), "c");
        mkfile(c.inode(), "y", "y");
        Entry sibling = mkdir(ROOT, "sibling");
        Map<String, Entry> before = snapshot();
        clock.advance(Duration.ofSeconds(1));
        for (RenameMode mode : List.of(RenameMode.REPLACE, RenameMode.NOREPLACE)) {
            assertErrno(Errno.EINVAL, () -> ns.rename(ROOT, name("a"), a.inode(), name("x"), mode));
            assertErrno(Errno.EINVAL, () -> ns.rename(ROOT, name("a"), b.inode(), name("x"), mode));
            assertErrno(Errno.EINVAL, () -> ns.rename(ROOT, name("a"), c.inode(), name("x"), mode));
            assertErrno(Errno.EINVAL, () -> ns.rename(a.inode(), name("b"), b.inode(), name("x"), mode));
            assertErrno(Errno.EINVAL, () -> ns.rename(a.inode(), name("b"), c.inode(), name("x"), mode));
        }
        // swapping a folder with a name below it
        assertErrno(Errno.EINVAL, () -> ns.rename(ROOT, name("a"), c.inode(), name("y"), RenameMode.EXCHANGE));
        assertErrno(Errno.EINVAL, () -> ns.rename(c.inode(), name("y"), ROOT, name("a"), RenameMode.EXCHANGE));
        assertErrno(Errno.EINVAL, () -> ns.rename(ROOT, name("a"), a.inode(), name("b"), RenameMode.EXCHANGE));
        assertErrno(Errno.EINVAL, () -> ns.rename(a.inode(), name("b"), ROOT, name("a"), RenameMode.EXCHANGE));
        assertEquals(before, snapshot());

        // up and sideways is fine
        ns.rename(b.inode(), name("c"), ROOT, name("c"), RenameMode.NOREPLACE);
        ns.rename(ROOT, name("a"), sibling.inode(), name("a"), RenameMode.NOREPLACE);
        ns.rename(sibling.inode(), name("a"), c.inode(), name("a"), RenameMode.NOREPLACE);
        assertEquals(b.inode(), at(at(c.inode(), "a").inode(), "b").inode());
        assertEquals(names("c", "sibling"), names(ROOT));
    }

    @Test
    void renameNoReplaceRefusesAnExistingName() throws IOException {
        Entry a = mkfile(ROOT, "a", "one");
        mkfile(ROOT, "b", "two");
        mkdir(ROOT, "d");
        mkdir(ROOT, "e");
        Map<String, Entry> before = snapshot();
        clock.advance(Duration.ofSeconds(1));
        assertErrno(Errno.EEXIST, () -> ns.rename(ROOT, name("a"), ROOT, name("b"), RenameMode.NOREPLACE));
        assertErrno(Errno.EEXIST, () -> ns.rename(ROOT, name("d"), ROOT, name("e"), RenameMode.NOREPLACE));
        assertErrno(Errno.EEXIST, () -> ns.rename(ROOT, name("a"), ROOT, name("d"), RenameMode.NOREPLACE));
        assertErrno(Errno.EEXIST, () -> ns.rename(ROOT, name("d"), ROOT, name("a"), RenameMode.NOREPLACE));
        assertEquals(before, snapshot());
        ns.rename(ROOT, name("a"), ROOT, name("c"), RenameMode.NOREPLACE);
        assertEquals(a.inode(), at(ROOT, "c").inode());
        assertEquals(names("b", "c", "d", "e"), names(ROOT));
    }

    @Test
    void renameExchangeSwapsTwoNames() throws IOException {
        Entry f = mkfile(ROOT, "f", "one");
        Entry g = mkfile(ROOT, "g", "two");
        long now = clock.advance(Duration.ofSeconds(1));
        ns.rename(ROOT, name("f"), ROOT, name("g"), RenameMode.EXCHANGE);
        assertEquals(g.inode(), at(ROOT, "f").inode());
        assertEquals(digest("two"), at(ROOT, "f").digest());
        assertEquals(f.inode(), at(ROOT, "g").inode());
        assertEquals(now, at(ROOT, "g").ctime());
        assertEquals(now, at(ROOT, "f").ctime());
        assertEquals(1, at(ROOT, "f").links());

        // a file and a folder with a child, in different folders: the folder's parent changes
        Entry q = mkdir(ROOT, "q");
        Entry d = mkdir(q.inode(), "d");
        Entry x = mkfile(d.inode(), "x", "x");
        assertEquals(3, stat(ROOT).links());
        assertEquals(3, stat(q.inode()).links());
        ns.rename(ROOT, name("f"), q.inode(), name("d"), RenameMode.EXCHANGE);
        assertEquals(d.inode(), at(ROOT, "f").inode());
        assertEquals(g.inode(), at(q.inode(), "d").inode());
        assertEquals(x.inode(), at(d.inode(), "x").inode());
        assertEquals(4, stat(ROOT).links(), "the root gained a subfolder");
        assertEquals(2, stat(q.inode()).links(), "q lost its subfolder");
        assertEquals(2, stat(d.inode()).links());

        // two folders in different folders: neither parent's count changes
        Entry r = mkdir(q.inode(), "r");
        ns.rename(ROOT, name("f"), q.inode(), name("r"), RenameMode.EXCHANGE);
        assertEquals(r.inode(), at(ROOT, "f").inode());
        assertEquals(d.inode(), at(q.inode(), "r").inode());
        assertEquals(4, stat(ROOT).links());
        assertEquals(3, stat(q.inode()).links());

        Map<String, Entry> before = snapshot();
        assertErrno(Errno.ENOENT, () -> ns.rename(ROOT, name("f"), ROOT, name("missing"), RenameMode.EXCHANGE));
        assertErrno(Errno.ENOENT, () -> ns.rename(ROOT, name("missing"), ROOT, name("f"), RenameMode.EXCHANGE));
        assertEquals(before, snapshot());
    }

    @Test
    void renameOntoAnotherNameOfTheSameInodeDoesNothing() throws IOException {
        Entry f = mkfile(ROOT, "f", "x");
        Entry d = mkdir(ROOT, "d");
        ns.link(f.inode(), d.inode(), name("g"));
        ns.link(f.inode(), ROOT, name("h"));
        Map<String, Entry> before = snapshot();
        clock.advance(Duration.ofSeconds(1));
        ns.rename(ROOT, name("f"), d.inode(), name("g"), RenameMode.REPLACE);
        ns.rename(ROOT, name("f"), ROOT, name("h"), RenameMode.REPLACE);
        ns.rename(ROOT, name("f"), ROOT, name("f"), RenameMode.REPLACE);
        ns.rename(ROOT, name("d"), ROOT, name("d"), RenameMode.REPLACE);
        assertEquals(before, snapshot(), "both names stay, nothing changes");
        assertEquals(3, stat(f.inode()).links());

        ns.rename(ROOT, name("f"), d.inode(), name("g"), RenameMode.EXCHANGE);
        assertEquals(f.inode(), at(ROOT, "f").inode());
        assertEquals(f.inode(), at(d.inode(), "g").inode());
        assertEquals(3, stat(f.inode()).links());
    }

    @Test
    void movingFoldersKeepsTheLinkCountsOfBothParents() throws IOException {
        Entry p = mkdir(ROOT, "p");
        Entry q = mkdir(ROOT, "q");
        Entry a = mkdir(p.inode(), "a");
        Entry a1 = mkdir(a.inode(), "a1");
        Entry b = mkdir(p.inode(), "b");
        mkfile(p.inode(), "f", "x");
        assertEquals(4, stat(p.inode()).links());

        ns.rename(p.inode(), name("a"), q.inode(), name("a"), RenameMode.REPLACE);
        assertEquals(3, stat(p.inode()).links());
        assertEquals(3, stat(q.inode()).links());
        assertEquals(3, stat(a.inode()).links(), "a moved folder keeps its own count");

        ns.rename(p.inode(), name("b"), a.inode(), name("b2"), RenameMode.NOREPLACE);
        assertEquals(2, stat(p.inode()).links());
        assertEquals(4, stat(a.inode()).links());

        ns.rename(q.inode(), name("a"), p.inode(), name("a"), RenameMode.REPLACE);
        assertEquals(3, stat(p.inode()).links());
        assertEquals(2, stat(q.inode()).links());

        ns.rename(p.inode(), name("a"), p.inode(), name("renamed"), RenameMode.REPLACE);
        assertEquals(3, stat(p.inode()).links(), "a rename within a folder");

        ns.rename(a.inode(), name("a1"), ROOT, name("a1"), RenameMode.REPLACE);
        assertEquals(3, stat(a.inode()).links());
        assertEquals(5, stat(ROOT).links());
        assertEquals(a1.inode(), at(ROOT, "a1").inode());
        assertEquals(b.inode(), at(a.inode(), "b2").inode());
        assertEquals(a.inode(), at(p.inode(), "renamed").inode());
    }

    // ---- unlink, removeFolder

    @Test
    void unlinkRemovesANameAndTheInodeWithItsLast() throws IOException {
        Entry f = mkfile(ROOT, "f", "x");
        Entry d = mkdir(ROOT, "d");
        ns.link(f.inode(), d.inode(), name("g"));
        long now = clock.advance(Duration.ofSeconds(1));
        Entry first = ns.unlink(ROOT, name("f"));
        assertEquals(f.inode(), first.inode());
        assertEquals(1, first.links());
        assertEquals(first, stat(f.inode()));
        assertEquals(now, first.ctime());
        assertFalse(exists(ROOT, "f"));
        assertEquals(now, stat(ROOT).mtime());
        assertEquals(List.of(digest("x")), ns.namedDigests(null, 10));

        Entry last = ns.unlink(d.inode(), name("g"));
        assertEquals(f.inode(), last.inode());
        assertEquals(0, last.links(), "links now one less: none");
        assertEquals(digest("x"), last.digest());
        assertEquals(Optional.empty(), ns.entry(f.inode()));
        assertEquals(List.of(), ns.namedDigests(null, 10));
        assertEquals(List.of(), ns.list(d.inode(), null, 10));

        Entry s = ns.create(ROOT, name("s"), NewEntry.symlink(bytes('t'), 0, 0, MADE));
        Entry p = ns.create(d.inode(), name("p"), NewEntry.special(EntryType.SOCKET, 0600, 0, 0, 0, MADE));
        ns.unlink(ROOT, name("s"));
        ns.unlink(d.inode(), name("p"));
        assertEquals(Optional.empty(), ns.entry(s.inode()));
        assertEquals(Optional.empty(), ns.entry(p.inode()));
        assertEquals(names("d"), names(ROOT));
    }

    @Test
    void unlinkRefusesFoldersAndWhatIsMissing() throws IOException {
        Entry f = mkfile(ROOT, "f", "x");
        Entry d = mkdir(ROOT, "d");
        Map<String, Entry> before = snapshot();
        clock.advance(Duration.ofSeconds(1));
        assertErrno(Errno.EISDIR, () -> ns.unlink(ROOT, name("d")));
        assertErrno(Errno.ENOENT, () -> ns.unlink(ROOT, name("missing")));
        assertErrno(Errno.ENOENT, () -> ns.unlink(d.inode(), name("f")));
        assertErrno(Errno.ENOENT, () -> ns.unlink(f.inode() + 1_000_000, name("f")));
        assertErrno(Errno.ENOTDIR, () -> ns.unlink(f.inode(), name("f")));
        assertEquals(before, snapshot());
    }

    @Test
    void removeFolderRemovesAnEmptyFolder() throws IOException {
        Entry p = mkdir(ROOT, "p");
        Entry d = mkdir(p.inode(), "d");
        ns.setXattr(d.inode(), "user.x", bytes(1), XattrMode.CREATE);
        assertEquals(3, stat(p.inode()).links());
        long now = clock.advance(Duration.ofSeconds(1));
        ns.removeFolder(p.inode(), name("d"));
        assertFalse(exists(p.inode(), "d"));
        assertEquals(Optional.empty(), ns.entry(d.inode()));
        Entry parent = stat(p.inode());
        assertEquals(2, parent.links());
        assertEquals(now, parent.mtime());
        assertEquals(now, parent.ctime());
        ns.removeFolder(ROOT, name("p"));
        assertEquals(2, stat(ROOT).links());
        assertEquals(List.of(), ns.list(ROOT, null, 10));
    }

    @Test
    void removeFolderRefusesFilesAndFoldersThatAreNotEmpty() throws IOException {
        Entry f = mkfile(ROOT, "f", "x");
        ns.create(ROOT, name("s"), NewEntry.symlink(bytes('t'), 0, 0, MADE));
        Entry withFile = mkdir(ROOT, "withFile");
        mkfile(withFile.inode(), "x", "x");
        Entry withFolder = mkdir(ROOT, "withFolder");
        mkdir(withFolder.inode(), "sub");
        Map<String, Entry> before = snapshot();
        clock.advance(Duration.ofSeconds(1));
        assertErrno(Errno.ENOTDIR, () -> ns.removeFolder(ROOT, name("f")));
        assertErrno(Errno.ENOTDIR, () -> ns.removeFolder(ROOT, name("s")));
        assertErrno(Errno.ENOTEMPTY, () -> ns.removeFolder(ROOT, name("withFile")));
        assertErrno(Errno.ENOTEMPTY, () -> ns.removeFolder(ROOT, name("withFolder")));
        assertErrno(Errno.ENOENT, () -> ns.removeFolder(ROOT, name("missing")));
        assertErrno(Errno.ENOENT, () -> ns.removeFolder(f.inode() + 1_000_000, name("withFile")));
        assertErrno(Errno.ENOTDIR, () -> ns.removeFolder(f.inode(), name("x")));
        assertEquals(before, snapshot());
        ns.unlink(withFile.inode(), name("x"));
        ns.removeFolder(ROOT, name("withFile"));
        assertEquals(names("f", "s", "withFolder"), names(ROOT));
    }

    // ---- attributes, content

    @Test
    void setAttributesChangesWhatIsGivenAndMovesTheCtime() throws IOException {
        Entry f = mkfile(ROOT, "f", "x");
        long t1 = clock.advance(Duration.ofSeconds(1));
        Entry e = ns.setAttributes(f.inode(), AttributeChange.mode(04711));
        assertEquals(
                new Entry(
                        f.inode(),
                        EntryType.REGULAR,
                        04711,
                        OWNER_UID,
                        OWNER_GID,
                        MADE,
                        MADE,
                        t1,
                        1,
                        1,
                        f.digest(),
                        null,
                        0),
                e);
        assertEquals(e, stat(f.inode()));

        long t2 = clock.advance(Duration.ofSeconds(1));
        e = ns.setAttributes(f.inode(), AttributeChange.owner(4_294_967_294L, null));
        assertEquals(4_294_967_294L, e.uid());
        assertEquals(OWNER_GID, e.gid());
        assertEquals(t2, e.ctime());
        e = ns.setAttributes(f.inode(), AttributeChange.owner(null, 7L));
        assertEquals(4_294_967_294L, e.uid());
        assertEquals(7, e.gid());

        long t3 = clock.advance(Duration.ofSeconds(1));
        e = ns.setAttributes(f.inode(), AttributeChange.times(123L, null));
        assertEquals(123, e.atime());
        assertEquals(MADE, e.mtime());
        assertEquals(t3, e.ctime());
        e = ns.setAttributes(f.inode(), AttributeChange.times(null, -5_000_000_001L));
        assertEquals(123, e.atime());
        assertEquals(-5_000_000_001L, e.mtime(), "a time before 1970");

        long t4 = clock.advance(Duration.ofSeconds(1));
        Entry touched = ns.setAttributes(f.inode(), new AttributeChange(null, null, null, null, null));
        assertEquals(t4, touched.ctime(), "even no change is a change of the ctime");
        assertEquals(e.mode(), touched.mode());
        assertEquals(e.mtime(), touched.mtime());

        Entry all = ns.setAttributes(ROOT, new AttributeChange(01777, 0L, 0L, 5L, 6L));
        assertEquals(01777, all.mode());
        assertEquals(0, all.uid());
        assertEquals(0, all.gid());
        assertEquals(5, all.atime());
        assertEquals(6, all.mtime());
        assertEquals(t4, all.ctime());
        assertEquals(EntryType.FOLDER, all.type());

        assertErrno(Errno.ENOENT, () -> ns.setAttributes(f.inode() + 1_000_000, AttributeChange.mode(0600)));
        reopen();
        assertEquals(touched, stat(f.inode()));
        assertEquals(all, stat(ROOT));
    }

    @Test
    void setContentPointsAFileAtAnotherChunk() throws IOException {
        Entry f = mkfile(ROOT, "f", "x");
        ns.link(f.inode(), ROOT, name("g"));
        long later = clock.nanos() + 5_000_000_000L;
        Entry e = ns.setContent(f.inode(), digest("new"), 999, later);
        assertEquals(digest("new"), e.digest());
        assertEquals(999, e.size());
        assertEquals(later, e.mtime());
        assertEquals(later, e.ctime());
        assertEquals(MADE, e.atime());
        assertEquals(2, e.links());
        assertEquals(e, stat(f.inode()));
        assertEquals(e, at(ROOT, "g"), "every name sees the new content");
        assertEquals(List.of(digest("new")), ns.namedDigests(null, 10), "the old chunk is no longer named");

        Entry earlier = ns.setContent(f.inode(), digest("newer"), 0, MADE - 1);
        assertEquals(MADE - 1, earlier.mtime());
        assertTrue(earlier.ctime() >= earlier.mtime(), "ctime " + earlier.ctime());
        assertEquals(0, earlier.size());
        reopen();
        assertEquals(earlier, at(ROOT, "f"));
    }

    @Test
    void setContentRefusesWhatIsNotARegularFile() throws IOException {
        Entry d = mkdir(ROOT, "d");
        Entry s = ns.create(ROOT, name("s"), NewEntry.symlink(bytes('t'), 0, 0, MADE));
        Entry p = ns.create(ROOT, name("p"), NewEntry.special(EntryType.FIFO, 0600, 0, 0, 0, MADE));
        Entry c = ns.create(ROOT, name("c"), NewEntry.special(EntryType.CHAR_DEVICE, 0600, 259, 0, 0, MADE));
        Map<String, Entry> before = snapshot();
        clock.advance(Duration.ofSeconds(1));
        Digest chunk = digest("y");
        assertErrno(Errno.EISDIR, () -> ns.setContent(d.inode(), chunk, 1, START));
        assertErrno(Errno.EISDIR, () -> ns.setContent(ROOT, chunk, 1, START));
        assertErrno(Errno.EINVAL, () -> ns.setContent(s.inode(), chunk, 1, START));
        assertErrno(Errno.EINVAL, () -> ns.setContent(p.inode(), chunk, 1, START));
        assertErrno(Errno.EINVAL, () -> ns.setContent(c.inode(), chunk, 1, START));
        assertErrno(Errno.ENOENT, () -> ns.setContent(d.inode() + 1_000_000, chunk, 1, START));
        assertEquals(before, snapshot());
        assertEquals(List.of(), ns.namedDigests(null, 10));
    }

    // ---- extended attributes

    @Test
    void setXattrFollowsTheCreateAndReplaceFlags() throws IOException {
        Entry f = mkfile(ROOT, "f", "x");
        long i = f.inode();
        assertEquals(Optional.empty(), ns.xattr(i, "user.a"));
        assertEquals(List.of(), ns.xattrNames(i));

        long t1 = clock.advance(Duration.ofSeconds(1));
        ns.setXattr(i, "user.a", bytes(1), XattrMode.CREATE);
        assertArrayEquals(bytes(1), ns.xattr(i, "user.a").orElseThrow());
        assertEquals(t1, stat(i).ctime(), "an extended attribute changes the inode");

        clock.advance(Duration.ofSeconds(1));
        assertErrno(Errno.EEXIST, () -> ns.setXattr(i, "user.a", bytes(2), XattrMode.CREATE));
        assertArrayEquals(bytes(1), ns.xattr(i, "user.a").orElseThrow());
        assertErrno(Errno.ENODATA, () -> ns.setXattr(i, "user.b", bytes(2), XattrMode.REPLACE));
        assertEquals(Optional.empty(), ns.xattr(i, "user.b"));
        assertEquals(t1, stat(i).ctime(), "a refused change changes nothing");

        long t3 = clock.advance(Duration.ofSeconds(1));
        ns.setXattr(i, "user.a", bytes(3), XattrMode.REPLACE);
        assertArrayEquals(bytes(3), ns.xattr(i, "user.a").orElseThrow());
        assertEquals(t3, stat(i).ctime());
        ns.setXattr(i, "user.a", bytes(4, 4), XattrMode.ANY);
        assertArrayEquals(bytes(4, 4), ns.xattr(i, "user.a").orElseThrow());
        ns.setXattr(i, "user.b", bytes(5), XattrMode.ANY);
        assertArrayEquals(bytes(5), ns.xattr(i, "user.b").orElseThrow());

        byte[] everyByte = new byte[256];
        for (int k = 0; k < 256; k++) {
            everyByte[k] = (byte) k;
        }
        ns.setXattr(i, "user.binary", everyByte, XattrMode.ANY);
        ns.setXattr(i, "user.empty", new byte[0], XattrMode.CREATE);
        assertArrayEquals(everyByte, ns.xattr(i, "user.binary").orElseThrow());
        assertArrayEquals(new byte[0], ns.xattr(i, "user.empty").orElseThrow(), "an empty value is a value");
        assertEquals(List.of("user.a", "user.b", "user.binary", "user.empty"), ns.xattrNames(i));

        long t4 = clock.advance(Duration.ofSeconds(1));
        ns.removeXattr(i, "user.a");
        assertEquals(Optional.empty(), ns.xattr(i, "user.a"));
        assertEquals(t4, stat(i).ctime());
        assertErrno(Errno.ENODATA, () -> ns.removeXattr(i, "user.a"));
        assertErrno(Errno.ENODATA, () -> ns.removeXattr(i, "user.never"));
        ns.setXattr(i, "user.a", bytes(6), XattrMode.CREATE);
        assertArrayEquals(bytes(6), ns.xattr(i, "user.a").orElseThrow(), "created again after its removal");

        reopen();
        assertArrayEquals(everyByte, ns.xattr(i, "user.binary").orElseThrow());
        assertEquals(List.of("user.a", "user.b", "user.binary", "user.empty"), ns.xattrNames(i));
    }

    @Test
    void xattrValuesUpTo65536BytesAreKeptAndLargerOnesAreE2big() throws IOException {
        Entry f = mkfile(ROOT, "f", "x");
        byte[] largest = TestBytes.random(65536, 1);
        byte[] tooLarge = TestBytes.random(65537, 2);
        ns.setXattr(f.inode(), "user.large", largest, XattrMode.CREATE);
        assertArrayEquals(largest, ns.xattr(f.inode(), "user.large").orElseThrow());
        for (XattrMode mode : XattrMode.values()) {
            assertErrno(Errno.E2BIG, () -> ns.setXattr(f.inode(), "user.large", tooLarge, mode));
            assertErrno(Errno.E2BIG, () -> ns.setXattr(f.inode(), "user.new", tooLarge, mode));
        }
        assertArrayEquals(largest, ns.xattr(f.inode(), "user.large").orElseThrow());
        assertEquals(List.of("user.large"), ns.xattrNames(f.inode()));
    }

    @Test
    void xattrNamesAreListedSortedPerInode() throws IOException {
        Entry f = mkfile(ROOT, "f", "x");
        Entry d = mkdir(ROOT, "d");
        Entry s = ns.create(ROOT, name("s"), NewEntry.symlink(bytes('t'), 0, 0, MADE));
        List<String> given = List.of(
                "user.b", "trusted.x", "user.a", "security.selinux", "user.A", "user.a.b", "user.a-", "system.x");
        for (String xattr : given) {
            ns.setXattr(f.inode(), xattr, xattr.getBytes(UTF_8), XattrMode.CREATE);
        }
        ns.setXattr(d.inode(), "user.folder", bytes(1), XattrMode.CREATE);
        ns.setXattr(s.inode(), "user.link", bytes(2), XattrMode.CREATE);
        List<String> sorted = new ArrayList<>(given);
        Collections.sort(sorted);
        assertEquals(sorted, ns.xattrNames(f.inode()));
        assertEquals(List.of("user.folder"), ns.xattrNames(d.inode()));
        assertEquals(List.of("user.link"), ns.xattrNames(s.inode()));
        assertEquals(List.of(), ns.xattrNames(ROOT));
        for (String xattr : given) {
            assertArrayEquals(xattr.getBytes(UTF_8), ns.xattr(f.inode(), xattr).orElseThrow());
        }
        assertEquals(Optional.empty(), ns.xattr(d.inode(), "user.b"));
    }

    @Test
    void xattrsBelongToTheInodeAndGoWithIt() throws IOException {
        Entry f = mkfile(ROOT, "f", "x");
        Entry d = mkdir(ROOT, "d");
        ns.link(f.inode(), d.inode(), name("g"));
        ns.setXattr(f.inode(), "user.a", bytes(1), XattrMode.CREATE);
        ns.setXattr(d.inode(), "user.d", bytes(2), XattrMode.CREATE);
        ns.unlink(ROOT, name("f"));
        assertArrayEquals(bytes(1), ns.xattr(f.inode(), "user.a").orElseThrow(), "the other name keeps them");
        ns.unlink(d.inode(), name("g"));
        ns.removeFolder(ROOT, name("d"));
        for (long gone : new long[] {f.inode(), d.inode(), f.inode() + 1_000_000}) {
            assertErrno(Errno.ENOENT, () -> ns.xattr(gone, "user.a"));
            assertErrno(Errno.ENOENT, () -> ns.xattrNames(gone));
            assertErrno(Errno.ENOENT, () -> ns.setXattr(gone, "user.a", bytes(3), XattrMode.ANY));
            assertErrno(Errno.ENOENT, () -> ns.removeXattr(gone, "user.a"));
        }
        Entry fresh = mkfile(ROOT, "f", "x");
        Entry freshFolder = mkdir(ROOT, "d");
        assertEquals(List.of(), ns.xattrNames(fresh.inode()), "a new inode under the old name starts bare");
        assertEquals(List.of(), ns.xattrNames(freshFolder.inode()));
    }

    // ---- gc roots

    @Test
    void namedDigestsListsEachChunkOnceInOrderPageByPage() throws IOException {
        Entry d = mkdir(ROOT, "d");
        Set<Digest> expected = new TreeSet<>();
        for (int k = 0; k < 20; k++) {
            Entry f = mkfile(k % 2 == 0 ? ROOT : d.inode(), "f" + k, "content " + k);
            expected.add(f.digest());
            if (k % 3 == 0) {
                mkfile(d.inode(), "same" + k, "content " + k); // another inode, the same chunk
                ns.link(f.inode(), ROOT, name("link" + k));
            }
        }
        ns.create(ROOT, name("s"), NewEntry.symlink(bytes('t'), 0, 0, MADE));
        List<Digest> inOrder = new ArrayList<>(expected);
        for (int k = 1; k < inOrder.size(); k++) {
            assertTrue(Arrays.compareUnsigned(
                            inOrder.get(k - 1).toBytes(), inOrder.get(k).toBytes())
                    < 0);
        }
        for (int page : new int[] {1, 3, 7, 20, 100}) {
            assertEquals(inOrder, allNamedDigests(page), "pages of " + page);
        }
        assertEquals(inOrder.subList(5, 8), ns.namedDigests(inOrder.get(4), 3));
        assertEquals(List.of(), ns.namedDigests(inOrder.get(inOrder.size() - 1), 10));
        assertEquals(inOrder, ns.namedDigests(Digest.of(new byte[Digest.BYTES]), 100));
        byte[] highest = new byte[Digest.BYTES];
        Arrays.fill(highest, (byte) 0xff);
        assertEquals(List.of(), ns.namedDigests(Digest.of(highest), 100));

        // a chunk named by two inodes stays named until both go
        ns.unlink(ROOT, name("f0"));
        ns.unlink(ROOT, name("link0"));
        assertTrue(ns.namedDigests(null, 100).contains(digest("content 0")));
        ns.unlink(d.inode(), name("same0"));
        assertFalse(ns.namedDigests(null, 100).contains(digest("content 0")));
        assertEquals(19, ns.namedDigests(null, 100).size());
    }

    @Test
    void removeNamesOfMissingChunksRemovesEveryNameOfThoseChunksOnly() throws IOException {
        Entry d = mkdir(ROOT, "d");
        Entry e = mkdir(d.inode(), "e");
        mkfile(ROOT, "k1", "kept");
        mkfile(d.inode(), "k2", "kept");
        Entry m1 = mkfile(ROOT, "m1", "missing");
        ns.link(m1.inode(), d.inode(), name("m1b"));
        Entry m2 = mkfile(e.inode(), "m2", "missing");
        Entry n = mkfile(ROOT, "n", "gone too");
        ns.setXattr(m1.inode(), "user.x", bytes(1), XattrMode.CREATE);
        ns.create(ROOT, name("s"), NewEntry.symlink(bytes('t'), 0, 0, MADE));

        Set<Digest> asked = new HashSet<>();
        Namespace.Presence onlyKept = chunk -> {
            asked.add(chunk);
            return chunk.equals(digest("kept"));
        };
        assertEquals(4, ns.removeNamesOfMissingChunks(onlyKept));
        assertEquals(Set.of(digest("kept"), digest("missing"), digest("gone too")), asked);
        assertEquals(names("d", "k1", "s"), names(ROOT));
        assertEquals(names("e", "k2"), names(d.inode()));
        assertEquals(List.of(), names(e.inode()));
        for (Entry gone : List.of(m1, m2, n)) {
            assertEquals(Optional.empty(), ns.entry(gone.inode()));
        }
        assertEquals(List.of(digest("kept")), ns.namedDigests(null, 10));
        assertEquals(3, stat(d.inode()).links());

        assertEquals(0, ns.removeNamesOfMissingChunks(onlyKept));
        Map<String, Entry> before = snapshot();
        assertEquals(0, ns.removeNamesOfMissingChunks(chunk -> true));
        assertEquals(before, snapshot());
    }

    @Test
    void treeRootsIsASettingThatSurvivesReopening() throws IOException {
        assertTrue(ns.treeRoots());
        ns.setTreeRoots(false);
        assertFalse(ns.treeRoots());
        reopen();
        assertFalse(ns.treeRoots(), "opening an existing namespace keeps its setting");
        ns.setTreeRoots(true);
        reopen();
        assertTrue(ns.treeRoots());
    }

    // ---- inode numbers, persistence

    @Test
    void inodeNumbersAreNeverGivenOutTwice() throws IOException {
        Set<Long> given = new HashSet<>();
        given.add(ROOT);
        for (int round = 0; round < 3; round++) {
            List<Long> made = new ArrayList<>();
            for (int k = 0; k < 5; k++) {
                made.add(mkfile(ROOT, "f" + k, "x").inode());
                made.add(mkdir(ROOT, "d" + k).inode());
            }
            made.add(ns.create(ROOT, name("s"), NewEntry.symlink(bytes('t'), 0, 0, MADE))
                    .inode());
            made.add(ns.createOrReplace(ROOT, name("f0"), file("y")).inode());
            for (long inode : made) {
                assertTrue(given.add(inode), "inode " + inode + " given out again");
            }
            for (int k = 0; k < 5; k++) {
                ns.unlink(ROOT, name("f" + k));
                ns.removeFolder(ROOT, name("d" + k));
            }
            ns.unlink(ROOT, name("s"));
            if (round == 1) {
                reopen();
            }
        }
        reopen();
        assertTrue(given.add(mkfile(ROOT, "after", "x").inode()));
    }

    @Test
    void everyChangeSurvivesClosingAndReopening() throws IOException {
        Entry d = mkdir(ROOT, "d");
        Entry e = mkdir(d.inode(), "e");
        Entry f = mkfile(d.inode(), "f", "one");
        ns.link(f.inode(), e.inode(), name("f2"));
        ns.create(e.inode(), name(bytes('l', 0xe9)), NewEntry.symlink(bytes('.', '.', 0xe9), 3, 4, MADE));
        ns.create(ROOT, name("dev"), NewEntry.special(EntryType.BLOCK_DEVICE, 0600, 0x812, 0, 6, MADE));
        mkfile(ROOT, "doomed", "x");
        mkdir(ROOT, "doomedFolder");
        mkfile(ROOT, "replaced", "old");
        clock.advance(Duration.ofSeconds(3));
        ns.rename(d.inode(), name("f"), ROOT, name("moved"), RenameMode.REPLACE);
        ns.rename(d.inode(), name("e"), ROOT, name("e"), RenameMode.NOREPLACE);
        ns.rename(ROOT, name("d"), ROOT, name("e"), RenameMode.EXCHANGE);
        ns.setAttributes(f.inode(), new AttributeChange(0600, 11L, 12L, 13L, 14L));
        ns.setContent(f.inode(), digest("two"), 3, START + 99);
        ns.setXattr(f.inode(), "user.a", bytes(1, 2, 3), XattrMode.CREATE);
        ns.setXattr(e.inode(), "user.e", bytes(4), XattrMode.CREATE);
        ns.unlink(ROOT, name("doomed"));
        ns.removeFolder(ROOT, name("doomedFolder"));
        ns.createOrReplace(ROOT, name("replaced"), file("new"));
        Map<String, Entry> before = snapshot();
        List<Digest> digests = ns.namedDigests(null, 10);

        reopen();
        assertEquals(before, snapshot());
        assertEquals(digests, ns.namedDigests(null, 10));
        assertEquals(List.of(digest("new"), digest("two")).stream().sorted().toList(), digests);
        assertArrayEquals(bytes(1, 2, 3), ns.xattr(f.inode(), "user.a").orElseThrow());
        assertEquals(List.of("user.e"), ns.xattrNames(e.inode()));
        assertEquals(names("d", "dev", "e", "moved", "replaced"), names(ROOT));
        assertEquals(e.inode(), at(ROOT, "d").inode(), "exchanged");
        assertEquals(d.inode(), at(ROOT, "e").inode());
        assertEquals(2, at(ROOT, "moved").links());
        assertArrayEquals(
                bytes('.', '.', 0xe9),
                ns.lookup(e.inode(), name(bytes('l', 0xe9))).orElseThrow().target());
    }
}

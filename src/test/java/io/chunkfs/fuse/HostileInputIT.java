package io.chunkfs.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkfs.store.Digest;
import io.chunkfs.testing.Requirement;
import io.chunkfs.testing.Shell;
import io.chunkfs.testing.StorePaths;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every odd or hostile thing a user can try on the mount, with the errno it must give and the proof
 * that nothing in the store changed.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HostileInputIT {
    static final String CONTENT = "hostile-test-chunk";
    static final Digest DIGEST = Digest.sha256(CONTENT.getBytes(StandardCharsets.UTF_8));
    static final String CHUNK = DIGEST.prefix() + "/" + DIGEST;
    static final String OTHER_PREFIX = DIGEST.prefix().equals("00") ? "01" : "00";
    static final String ERRNO = "import errno, os, stat, sys\n"
            + "def run(f):\n"
            + "    try:\n        f()\n        print('OK')\n"
            + "    except OSError as e:\n        print(errno.errorcode[e.errno])\n";

    MountFixture mount;

    @BeforeAll
    void mount(@TempDir Path dir) throws Exception {
        mount = new MountFixture(dir).mount();
        mount.sh("printf '" + CONTENT + "' > incoming/kept").ok();
    }

    @AfterAll
    void unmount() throws Exception {
        mount.close();
        assertTrue(mount.verify().ok());
    }

    /** Each case: a Python statement (run with cwd = the mount) and the errno name it must raise. */
    static List<String[]> cases() {
        String longName = "x".repeat(300);
        List<String[]> cases = new ArrayList<>(List.of(
                new String[] {"open('incoming/..', 'w')", "EISDIR"},
                new String[] {"open('..' + '/' + os.path.basename(os.getcwd()) + '/00/x', 'w')", "EACCES"},
                new String[] {"open('incoming/" + longName + "', 'w')", "ENAMETOOLONG"},
                new String[] {
                    "open('" + DIGEST.prefix() + "/" + DIGEST.toString().toUpperCase(Locale.ROOT) + "')", "ENOENT"
                },
                new String[] {
                    "open('" + DIGEST.prefix() + "/" + DIGEST.toString().substring(1) + "')", "ENOENT"
                },
                new String[] {"open('" + DIGEST.prefix() + "/" + DIGEST + "0')", "ENOENT"},
                new String[] {"open('" + OTHER_PREFIX + "/" + DIGEST + "')", "ENOENT"},
                new String[] {"open('" + DIGEST.prefix() + "/" + longName + "')", "ENAMETOOLONG"},
                new String[] {"open('" + CHUNK + "', 'r+b')", "EACCES"},
                new String[] {"open('" + CHUNK + "', 'ab')", "EACCES"},
                new String[] {"open('" + CHUNK + "', 'wb')", "EACCES"},
                new String[] {"os.truncate('" + CHUNK + "', 0)", "EACCES"},
                new String[] {"os.chmod('" + CHUNK + "', 0o666)", "EPERM"},
                new String[] {"os.chown('" + CHUNK + "', 1, 1)", "EPERM"},
                new String[] {"os.unlink('" + CHUNK + "')", "EPERM"},
                new String[] {"os.rename('" + CHUNK + "', 'incoming/stolen')", "EPERM"},
                new String[] {"os.rename('incoming/kept', '" + OTHER_PREFIX + "/" + DIGEST + "')", "EPERM"},
                new String[] {"os.rename('incoming/kept', 'kept')", "EPERM"},
                new String[] {"os.link('" + CHUNK + "', 'incoming/hard')", "EPERM"},
                new String[] {"os.mkdir('" + DIGEST.prefix() + "/dir')", "EPERM"},
                new String[] {"os.rmdir('" + DIGEST.prefix() + "')", "EPERM"},
                new String[] {"os.rmdir('incoming')", "EBUSY"},
                new String[] {"os.mkdir('incoming/kept')", "EEXIST"},
                new String[] {"os.rmdir('incoming/kept')", "ENOTDIR"},
                new String[] {"open('incoming/kept/x', 'w')", "ENOTDIR"},
                new String[] {"os.mkdir('incoming/missing/x')", "ENOENT"},
                new String[] {"os.link('incoming', 'incoming/x')", "EPERM"},
                new String[] {"os.symlink('x', 'incoming/" + longName + "')", "ENAMETOOLONG"},
                new String[] {"os.mkfifo('" + DIGEST.prefix() + "/fifo')", "EPERM"},
                new String[] {"os.symlink('x', '" + DIGEST.prefix() + "/link')", "EPERM"},
                new String[] {"os.setxattr('" + CHUNK + "', 'user.x', b'1')", "EPERM"},
                new String[] {"os.setxattr('" + CHUNK + "', 'user.chunkfs.digest', b'0' * 64)", "EPERM"},
                new String[] {"os.removexattr('" + CHUNK + "', 'user.chunkfs.digest')", "EPERM"},
                // 95 (EOPNOTSUPP): Python names it after its alias ENOTSUP; jnr's ENOTSUP() was 45.
                new String[] {"os.setxattr('incoming/kept', 'security.x', b'1')", "ENOTSUP"},
                new String[] {"os.setxattr('.', 'user.x', b'1')", "ENOTSUP"},
                new String[] {"os.chmod('.', 0o777)", "EPERM"},
                new String[] {"os.utime('" + DIGEST.prefix() + "')", "EPERM"},
                new String[] {"open('newfile', 'w')", "EACCES"},
                new String[] {"os.utime('" + OTHER_PREFIX + "/" + OTHER_PREFIX + "0".repeat(62) + "')", "ENOENT"}));
        return cases;
    }

    private TreeMap<String, String> snapshot() throws Exception {
        TreeMap<String, String> files = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(mount.store)) {
            for (Path path : walk.toList()) {
                String name = mount.store.relativize(path).toString();
                // tree.db-shm is SQLite's shared-memory index of the log, which reads change too: not stored data.
                // tree.db and tree.db-wal (the tree and its log) are compared.
                if (name.startsWith(".writers")
                        || name.startsWith(".tmp")
                        || name.equals(".chunks/.atime-probe")
                        || name.equals("tree.db-shm")) {
                    continue;
                }
                String what = Files.isSymbolicLink(path)
                        ? "-> " + Files.readSymbolicLink(path)
                        : Files.isRegularFile(path)
                                ? Digest.sha256(Files.readAllBytes(path)).toString()
                                : "dir";
                files.put(name, what);
            }
        }
        return files;
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource("cases")
    void refusedAndNothingChanges(String statement, String errno) throws Exception {
        TreeMap<String, String> before = snapshot();
        String out = mount.sh("python3 - <<'EOF'\n" + ERRNO + "run(lambda: " + statement + ")\nEOF")
                .ok()
                .out()
                .strip();
        assertEquals(errno, out, statement);
        assertEquals(before, snapshot(), "the store is unchanged after " + statement);
        assertEquals(CONTENT, mount.sh("cat " + CHUNK).ok().out());
    }

    @Test
    void emptyFileAndOddButValidNames() throws Exception {
        for (String name :
                new String[] {"empty", "with space", "tab\there", "new\nline", "ümlaut-ö", "-dash", ".hidden"}) {
            String python = "import os\nwith open(os.path.join('incoming', " + pythonString(name)
                    + "), 'wb') as f: pass\n" + "print(os.getxattr(os.path.join('incoming', " + pythonString(name)
                    + "), 'user.chunkfs.digest').decode())";
            assertEquals(
                    Digest.sha256(new byte[0]).toString(),
                    mount.sh("python3 - <<'EOF'\n" + python + "\nEOF")
                            .ok()
                            .out()
                            .strip(),
                    name);
        }
        String listed = mount.sh("python3 -c \"import os; print(repr(sorted(os.listdir('incoming'))))\"")
                .ok()
                .out();
        assertTrue(listed.contains("'new\\nline'") && listed.contains("'ümlaut-ö'"), listed);
        String bytes = mount.sh(
                        "python3 -c \"import os\nwith open(b'incoming/bad\\xff\\xfe', 'wb') as f: f.write(b'x')\n"
                                + "print(repr([n for n in os.listdir(b'incoming') if n.startswith(b'bad')]))\"")
                .ok()
                .out()
                .strip();
        assertEquals("[b'bad\\xff\\xfe']", bytes, "a name that is not UTF-8 is kept byte for byte");
    }

    @Test
    void aFileWrittenAfterItsNameWasRemovedLeavesNoName() throws Exception {
        String python = "import os\nfd = os.open('incoming/ghost', os.O_WRONLY | os.O_CREAT | os.O_TRUNC)\n"
                + "os.write(fd, b'part one ')\nos.unlink('incoming/ghost')\nos.write(fd, b'part two')\nos.close(fd)\n"
                + "print(os.path.exists('incoming/ghost'))";
        assertEquals(
                "False",
                mount.sh("python3 - <<'EOF'\n" + python + "\nEOF").ok().out().strip());
        assertTrue(mount.verify().ok());
    }

    @Test
    void aChunkPlantedAsALinkIsNeverFollowedOutOfTheStore() throws Exception {
        Path outside = Files.writeString(mount.dir.resolve("secret"), "secret outside the store");
        // A "chunk" that is a symlink to a file outside the store.
        String fake = Digest.sha256("whatever".getBytes(StandardCharsets.UTF_8)).toString();
        Path chunkLink = StorePaths.chunk(mount.store, fake);
        Files.createSymbolicLink(chunkLink, outside);
        try {
            assertEquals(1, mount.sh("cat " + fake.substring(0, 2) + "/" + fake).exit());
            assertTrue(!mount.sh("cat " + fake.substring(0, 2) + "/* incoming/* 2>/dev/null; true")
                    .out()
                    .contains("secret outside"));
        } finally {
            Files.delete(chunkLink);
        }
    }

    /**
     * Someone with write access to the store folder swaps the tree's database for a symlink to a file outside the
     * store, or plants its log, shared memory or rollback journal as one, before a mount starts. The mount and the
     * commands that read the tree refuse to open it, in one line; the file outside is neither written nor read,
     * and once the link is gone the store opens with its names.
     */
    @ParameterizedTest
    @ValueSource(strings = {"tree.db", "tree.db-wal", "tree.db-shm", "tree.db-journal"})
    void aTreeFileSwappedForASymlinkIsRefusedNotFollowed(String swapped, @TempDir Path other) throws Exception {
        MountFixture fixture = new MountFixture(other);
        try (fixture) {
            fixture.mount();
            fixture.sh("printf kept > incoming/kept").ok();
        }
        Path outside = Files.createDirectories(other.resolve("outside"));
        Path target = outside.resolve(swapped);
        Path link = fixture.store.resolve(swapped);
        if (swapped.equals("tree.db")) {
            Files.move(link, target);
        } else {
            Files.writeString(target, "outside the store, not a " + swapped);
            Files.deleteIfExists(link);
        }
        Files.createSymbolicLink(link, target);
        Map<String, String> before = outsideFiles(outside);
        // A read of the file outside moves its access time: set before its mtime, so even under relatime.
        FileTime longAgo = FileTime.from(Instant.parse("2001-02-03T04:05:06Z"));
        Files.setAttribute(target, "lastAccessTime", longAgo);
        Files.readAllBytes(target);
        Requirement.require(
                !longAgo.equals(Files.getAttribute(target, "lastAccessTime")), "reads move access times in " + other);
        Files.setAttribute(target, "lastAccessTime", longAgo);

        Shell.Result mounted =
                Shell.chunkfs(other, "-s", fixture.store.toString(), "mount", "-f", fixture.mnt.toString());
        assertEquals(1, mounted.exit(), mounted.toString());
        assertEquals(1, mounted.err().strip().lines().count(), "one line: " + mounted.err());
        assertTrue(mounted.err().contains(fixture.store.resolve("tree.db").toString()), mounted.err());
        if (swapped.equals("tree.db")) {
            assertTrue(mounted.err().contains("is not a regular file (a symlink"), mounted.err());
        }
        assertFalse(fixture.isMounted());
        Shell.Result receipts = Shell.chunkfs(other, "-s", fixture.store.toString(), "receipts");
        assertEquals(1, receipts.exit(), receipts.toString());
        assertEquals(1, receipts.err().strip().lines().count(), "one line: " + receipts.err());
        assertEquals("", receipts.out());

        assertEquals(longAgo, Files.getAttribute(target, "lastAccessTime"), "nothing read outside the store");
        assertEquals(before, outsideFiles(outside), "nothing written or made outside the store");
        assertTrue(Files.isSymbolicLink(link), "the link is left as it was");

        Files.delete(link);
        if (swapped.equals("tree.db")) {
            Files.move(target, link);
        }
        try (fixture) {
            fixture.mount();
            assertEquals("kept", fixture.sh("cat incoming/kept").ok().out());
        }
        assertTrue(fixture.verify().ok());
    }

    /** The files of {@code folder}: name, size, modification time and digest. */
    private static Map<String, String> outsideFiles(Path folder) throws Exception {
        Map<String, String> files = new TreeMap<>();
        try (Stream<Path> list = Files.list(folder)) {
            for (Path file : list.toList()) {
                files.put(
                        file.getFileName().toString(),
                        Files.size(file) + " " + Files.getLastModifiedTime(file) + " "
                                + Digest.sha256(Files.readAllBytes(file)));
            }
        }
        return files;
    }

    private static String pythonString(String text) {
        return "'"
                + text.replace("\\", "\\\\")
                        .replace("'", "\\'")
                        .replace("\n", "\\n")
                        .replace("\t", "\\t") + "'";
    }
}

package io.chunkfs.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkfs.store.Digest;
import io.chunkfs.testing.Shell;
import io.chunkfs.testing.StorePaths;
import io.chunkfs.testing.TestBytes;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** File semantics of one live mount, driven by real processes. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MountedFilesIT {
    Path dir;
    MountFixture mount;
    Path mnt;
    Path work;

    @BeforeAll
    void mount(@TempDir Path dir) throws Exception {
        this.dir = dir;
        mount = new MountFixture(dir).mount();
        mnt = mount.mnt;
        work = Files.createDirectories(dir.resolve("work"));
    }

    @AfterAll
    void unmount() throws Exception {
        mount.close();
        assertTrue(mount.verify().ok(), "store verifies after the whole class");
    }

    private Path randomFile(String name, int size, long seed) throws Exception {
        byte[] bytes = TestBytes.random(size, seed);
        return Files.write(work.resolve(name), bytes);
    }

    private static String sha256(Path file) throws Exception {
        return Digest.sha256(Files.readAllBytes(file)).toString();
    }

    private String digestXattr(String name) {
        return mount.sh("getfattr --only-values -n user.chunkfs.digest incoming/" + name)
                .ok()
                .out()
                .strip();
    }

    @Test
    void cpThenCatNeverRaces() throws Exception {
        Path file = randomFile("a.bin", 3_000_000, 1);
        String digest = sha256(file);
        String out = mount.sh("cp " + file + " incoming/ && sha256sum " + digest.substring(0, 2) + "/" + digest)
                .ok()
                .out();
        assertEquals(digest, out.substring(0, 64));
        assertEquals(digest, digestXattr("a.bin"));
        assertTrue(Files.exists(StorePaths.chunk(mount.store, digest)));
        assertEquals(
                digest,
                mount.sh("sha256sum incoming/a.bin").ok().out().substring(0, 64),
                "the receipt reads back the bytes");
    }

    @Test
    void aFileShowsItsChunksSizeAndItsOwnTimes() throws Exception {
        Path file = randomFile("sized.bin", 12345, 2);
        long before = Long.parseLong(mount.sh("date +%s%N").ok().out().strip());
        mount.sh("cp " + file + " incoming/").ok();
        long after = Long.parseLong(mount.sh("date +%s%N").ok().out().strip());
        String digest = sha256(file);
        String stat = mount.sh("stat -c '%s %.9Y' incoming/sized.bin " + digest.substring(0, 2) + "/" + digest)
                .ok()
                .out();
        String[] lines = stat.strip().split("\n");
        String[] named = lines[0].split(" ");
        String[] chunk = lines[1].split(" ");
        assertEquals("12345", named[0], "the chunk's size");
        assertEquals(chunk[0], named[0]);
        // Its mtime is its own, the time of its last write during the copy (as on ext4), no longer the chunk's.
        long modified = nanos(named[1]);
        assertTrue(modified >= before && modified <= after, before + " <= " + modified + " <= " + after);
    }

    /** A time as stat's {@code %.9Y} prints it, in nanoseconds. */
    private static long nanos(String seconds) {
        return new java.math.BigDecimal(seconds).movePointRight(9).longValueExact();
    }

    @Test
    void writingStylesAllCommitTheirFinalBytes() throws Exception {
        mount.sh("printf 'hello\\n' > incoming/echo.txt").ok();
        assertEquals(Digest.sha256("hello\n".getBytes(StandardCharsets.UTF_8)).toString(), digestXattr("echo.txt"));

        mount.sh("dd if=/dev/zero of=incoming/dd.bin bs=64k count=40 status=none")
                .ok();
        assertEquals(Digest.sha256(new byte[64 * 1024 * 40]).toString(), digestXattr("dd.bin"));

        // A program writing in pieces, at random offsets, out of order, with a final ftruncate.
        String python = String.join(
                "\n",
                "import os, random, hashlib",
                "random.seed(7)",
                "size = 1_000_000",
                "model = bytearray(size)",
                "fd = os.open('incoming/random.bin', os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)",
                "for i in range(300):",
                "    off = random.randrange(size)",
                "    data = os.urandom(random.randrange(1, 20000))",
                "    data = data[:size - off]",
                "    os.pwrite(fd, data, off)",
                "    model[off:off + len(data)] = data",
                "os.ftruncate(fd, size - 1000)",
                "del model[size - 1000:]",
                "os.close(fd)",
                "print(hashlib.sha256(model).hexdigest())");
        String expected =
                mount.sh("python3 - <<'EOF'\n" + python + "\nEOF").ok().out().strip();
        assertEquals(expected, digestXattr("random.bin"));
        assertEquals(
                expected, mount.sh("sha256sum < incoming/random.bin").ok().out().substring(0, 64));
    }

    @Test
    void overwritingANameStagesANewVersion() throws Exception {
        Path first = randomFile("v1", 5000, 3);
        Path second = randomFile("v2", 3000, 4);
        mount.sh("cp " + first + " incoming/version && cp " + second + " incoming/version")
                .ok();
        assertEquals(sha256(second), digestXattr("version"));
        assertTrue(
                mount.sh("ls " + sha256(first).substring(0, 2) + "/" + sha256(first))
                                .exit()
                        == 0,
                "the first version's chunk stays");
        mount.sh("printf abc > incoming/version").ok();
        assertEquals(Digest.sha256("abc".getBytes(StandardCharsets.UTF_8)).toString(), digestXattr("version"));
        mount.sh("truncate -s 1 incoming/version").ok();
        assertEquals(Digest.sha256("a".getBytes(StandardCharsets.UTF_8)).toString(), digestXattr("version"));
    }

    @Test
    void emptyFileBecomesTheEmptyChunk() {
        mount.sh(": > incoming/empty && touch incoming/empty2").ok();
        String empty = Digest.sha256(new byte[0]).toString();
        assertEquals(empty, digestXattr("empty"));
        assertEquals(empty, digestXattr("empty2"));
        assertEquals("0", mount.sh("stat -c %s e3/" + empty).ok().out().strip());
    }

    @Test
    void dupedFileFlushedTwiceIsCommittedOnce() throws Exception {
        String python = String.join(
                "\n",
                "import os",
                "fd = os.open('incoming/dup.bin', os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)",
                "os.write(fd, b'dup-content')",
                "fd2 = os.dup(fd)",
                "os.close(fd)",
                "os.utime('" + StorePaths.chunks(mount.store)
                        + "/' + __import__('hashlib').sha256(b'dup-content').hexdigest()[:2] + '/' + __import__('hashlib').sha256(b'dup-content').hexdigest(), (1000000000, 1000000000))",
                "os.close(fd2)");
        mount.sh("python3 - <<'EOF'\n" + python + "\nEOF").ok();
        Digest digest = Digest.sha256("dup-content".getBytes(StandardCharsets.UTF_8));
        Path chunk = StorePaths.chunk(mount.store, digest);
        BasicFileAttributes attributes = Files.readAttributes(chunk, BasicFileAttributes.class);
        assertEquals(
                FileTime.from(Instant.ofEpochSecond(1_000_000_000)),
                attributes.lastAccessTime(),
                "the second close must not insert (and so touch) the chunk again");
    }

    @Test
    void readingAFileWhileItIsWrittenCommitsNothingEarly() {
        String python = String.join(
                "\n",
                "import os, hashlib",
                "w = os.open('incoming/growing', os.O_WRONLY | os.O_CREAT | os.O_TRUNC)",
                "os.write(w, b'first half ')",
                "r = os.open('incoming/growing', os.O_RDONLY)",
                "seen = os.read(r, 100)",
                "os.close(r)",
                "os.write(w, b'second half')",
                "os.close(w)",
                "print(seen.decode())",
                "print(hashlib.sha256(b'first half ').hexdigest())");
        String[] out =
                mount.sh("python3 - <<'EOF'\n" + python + "\nEOF").ok().out().split("\n");
        assertEquals("first half ", out[0], "a reader sees what was written so far");
        assertEquals(
                Digest.sha256("first half second half".getBytes(StandardCharsets.UTF_8))
                        .toString(),
                digestXattr("growing"));
        mount.sh("test ! -e " + out[1].substring(0, 2) + "/" + out[1]).ok();
    }

    @Test
    void renameAndRemoveWorkOnReceiptsNeverOnChunks() throws Exception {
        Path file = randomFile("mv.bin", 777, 5);
        String digest = sha256(file);
        mount.sh("cp " + file + " incoming/mv.bin && mv incoming/mv.bin incoming/moved.bin")
                .ok();
        assertEquals(digest, digestXattr("moved.bin"));
        mount.sh("test ! -e incoming/mv.bin").ok();
        mount.sh("rm incoming/moved.bin").ok();
        mount.sh("test ! -e incoming/moved.bin").ok();
        mount.sh("test -f " + digest.substring(0, 2) + "/" + digest).ok();
        assertTrue(mount.sh("ls incoming").ok().out().lines().noneMatch(line -> line.equals("moved.bin")));
    }

    @Test
    void rsyncStyleWriteToTempThenRename() throws Exception {
        Path file = randomFile("rsynced", 40_000, 6);
        mount.sh("cp " + file + " incoming/.rsynced.XXXX && mv incoming/.rsynced.XXXX incoming/rsynced")
                .ok();
        assertEquals(sha256(file), digestXattr("rsynced"));
    }

    @Test
    void prefixFolderListsExactlyItsChunks() throws Exception {
        for (int i = 0; i < 20; i++) {
            mount.sh("printf 'list-%d' " + i + " > incoming/list" + i).ok();
        }
        for (int prefix : new int[] {
            0x00,
            0x5a,
            0xff,
            Integer.parseInt(
                    Digest.sha256("list-3".getBytes(StandardCharsets.UTF_8)).prefix(), 16)
        }) {
            String pp = String.format(Locale.ROOT, "%02x", prefix);
            Set<String> listed =
                    new TreeSet<>(mount.sh("ls -A " + pp).ok().out().lines().collect(Collectors.toSet()));
            Set<String> onDisk;
            try (Stream<Path> files = Files.list(StorePaths.prefix(mount.store, pp))) {
                onDisk = files.map(p -> p.getFileName().toString())
                        .filter(Digest::isValid)
                        .collect(Collectors.toCollection(TreeSet::new));
            }
            assertEquals(onDisk, listed);
        }
        assertEquals(257, mount.sh("ls -A").ok().out().lines().count(), "incoming plus 256 prefix folders");
    }

    @Test
    void statShowsTheBackingSizeAndTimes() throws Exception {
        Path file = randomFile("stat.bin", 4321, 8);
        mount.sh("cp " + file + " incoming/").ok();
        Digest digest = Digest.parse(sha256(file));
        Path chunk = StorePaths.chunk(mount.store, digest);
        Files.setAttribute(chunk, "lastAccessTime", FileTime.from(Instant.ofEpochSecond(1_500_000_000)));
        Files.setLastModifiedTime(chunk, FileTime.from(Instant.ofEpochSecond(1_400_000_000)));
        // attr_timeout is 1 s: wait for the attributes to come from the store, not the kernel cache.
        String expected = "4321 1500000000 1400000000 -r--r--r--";
        long deadline = System.nanoTime() + 5_000_000_000L;
        String seen;
        do {
            seen = mount.sh("stat -c '%s %X %Y %A' " + digest.prefix() + "/" + digest)
                    .ok()
                    .out()
                    .strip();
        } while (!seen.equals(expected) && System.nanoTime() < deadline);
        assertEquals(expected, seen);
        mount.sh("find " + digest.prefix() + " -name " + digest + " -size 4321c | grep -q .")
                .ok();
    }

    @Test
    void touchMarksAChunkAndKeepsItsMtime() throws Exception {
        Path file = randomFile("touch.bin", 999, 9);
        mount.sh("cp " + file + " incoming/").ok();
        Digest digest = Digest.parse(sha256(file));
        Path chunk = StorePaths.chunk(mount.store, digest);
        String path = digest.prefix() + "/" + digest;
        for (String touch : new String[] {
            "touch " + path,
            "touch -a " + path,
            "touch -m " + path,
            "touch -d '2001-01-01' " + path,
            "echo " + path + " | xargs touch"
        }) {
            Files.setAttribute(chunk, "lastAccessTime", FileTime.from(Instant.ofEpochSecond(1_000_000_000)));
            Files.setLastModifiedTime(chunk, FileTime.from(Instant.ofEpochSecond(1_100_000_000)));
            Instant before = Instant.now().minusSeconds(2);
            mount.sh(touch).ok();
            BasicFileAttributes attributes = Files.readAttributes(chunk, BasicFileAttributes.class);
            assertTrue(attributes.lastAccessTime().toInstant().isAfter(before), touch + " sets atime to now");
            assertEquals(
                    FileTime.from(Instant.ofEpochSecond(1_100_000_000)),
                    attributes.lastModifiedTime(),
                    touch + " keeps mtime");
        }
    }

    @Test
    void touchOfAMissingChunkFailsAndCreatesNothing() throws Exception {
        String missing = "ab" + "0".repeat(62);
        Shell.Result result = mount.sh("touch ab/" + missing).fails();
        assertTrue(result.err().contains("No such file or directory"), result.err());
        assertFalse(Files.exists(mount.store.resolve(".chunks/ab/" + missing), LinkOption.NOFOLLOW_LINKS));
        mount.sh("test ! -e ab/" + missing).ok();
    }

    @Test
    void everythingElseIsRefusedWithTheExpectedErrno() throws Exception {
        Path file = randomFile("refuse.bin", 100, 10);
        mount.sh("cp " + file + " incoming/").ok();
        String digest = sha256(file);
        String chunk = digest.substring(0, 2) + "/" + digest;
        String[][] cases = {
            {"echo x > 00/newfile", "Permission denied"},
            {"echo x > rootfile", "Permission denied"},
            {"mkdir incoming/refuse.bin", "File exists"},
            {"mkdir newdir", "Operation not permitted"},
            {"ln " + chunk + " incoming/hard", "Operation not permitted"},
            {"ln -s " + chunk + " 00/soft", "Operation not permitted"},
            {"rm -f " + chunk, "Operation not permitted"},
            {"mv " + chunk + " incoming/stolen", "Operation not permitted"},
            {"mv incoming/refuse.bin " + chunk.substring(0, 2) + "/", "Operation not permitted"},
            {"cat " + digest.substring(0, 2) + "/" + digest.toUpperCase(Locale.ROOT), "No such file or directory"},
            {"cat " + digest.substring(0, 2) + "/" + digest.substring(1), "No such file or directory"},
            {"cat " + (digest.startsWith("00") ? "01" : "00") + "/" + digest, "No such file or directory"},
            {"cat zz", "No such file or directory"},
            {"echo x >> " + chunk, "Permission denied"},
            {"chmod 644 " + chunk, "Operation not permitted"},
            {"truncate -s 0 " + chunk, "Permission denied"},
            {"setfattr -n user.x -v 1 " + chunk, "Operation not permitted"},
            {"mkfifo 00/fifo", "Operation not permitted"},
            {"rmdir incoming/refuse.bin", "Not a directory"},
            {"mkdir incoming/none/sub", "No such file or directory"},
        };
        for (String[] c : cases) {
            Shell.Result result = mount.sh(c[0]).fails();
            assertTrue(
                    result.err().contains(c[1]), c[0] + " should fail with '" + c[1] + "' but said: " + result.err());
        }
        assertEquals(digest, mount.sh("sha256sum " + chunk).ok().out().substring(0, 64), "the chunk is unchanged");
        mount.sh("test ! -e incoming/stolen && test ! -e incoming/hard && test ! -e 00/newfile")
                .ok();
    }

    @Test
    void dfShowsTheBackingFileSystem() throws Exception {
        String mounted = mount.sh("df -B1 --output=size . | tail -1").ok().out().strip();
        String backing = Shell.bash(mount.store, "df -B1 --output=size . | tail -1")
                .ok()
                .out()
                .strip();
        long a = Long.parseLong(mounted);
        long b = Long.parseLong(backing);
        assertTrue(Math.abs(a - b) <= b / 100, "df through the mount " + a + " vs the backing disk " + b);
    }

    @Test
    void mountTableShowsTheChunkfsType() {
        assertTrue(Shell.bash(dir, "grep -F ' " + mnt + " fuse.chunkfs ' /proc/mounts")
                .ok()
                .out()
                .contains(mount.store.toString()));
    }

    @Test
    void parallelWritersOfSameAndDifferentContent() throws Exception {
        Path same = randomFile("same.bin", 200_000, 11);
        StringBuilder script = new StringBuilder();
        for (int i = 0; i < 16; i++) {
            script.append("cp ").append(same).append(" incoming/same").append(i).append(" &\n");
            script.append("head -c ")
                    .append(50_000 + i)
                    .append(" /dev/urandom > ")
                    .append(work)
                    .append("/diff")
                    .append(i)
                    .append(" && cp ")
                    .append(work)
                    .append("/diff")
                    .append(i)
                    .append(" incoming/diff")
                    .append(i)
                    .append(" &\n");
        }
        script.append("wait\n");
        mount.sh(script.toString()).ok();
        for (int i = 0; i < 16; i++) {
            assertEquals(sha256(same), digestXattr("same" + i));
            assertEquals(sha256(work.resolve("diff" + i)), digestXattr("diff" + i));
        }
        assertTrue(mount.verify().ok());
    }

    @Test
    void receiptsAreListedByTheCli() throws Exception {
        Path file = randomFile("listed.bin", 10, 12);
        mount.sh("cp " + file + " incoming/").ok();
        String out = Shell.chunkfs(dir, "-s", mount.store.toString(), "receipts")
                .ok()
                .out();
        assertTrue(out.contains(sha256(file) + "  listed.bin"), out);
        String json = Shell.chunkfs(dir, "-s", mount.store.toString(), "receipts", "--json")
                .ok()
                .out();
        assertTrue(
                json.contains("{\"path\":\"listed.bin\",\"type\":\"file\",\"digest\":\"" + sha256(file) + "\","), json);
    }

    @Test
    void mmapReadsTheRawChunk() throws Exception {
        Path file = randomFile("mmap.bin", 100_000, 13);
        mount.sh("cp " + file + " incoming/").ok();
        String digest = sha256(file);
        String python = "import mmap,hashlib\nf=open('" + digest.substring(0, 2) + "/" + digest + "','rb')\n"
                + "m=mmap.mmap(f.fileno(),0,access=mmap.ACCESS_READ)\nprint(hashlib.sha256(m[:]).hexdigest())";
        assertEquals(
                digest,
                mount.sh("python3 - <<'EOF'\n" + python + "\nEOF").ok().out().strip());
    }

    static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }
}

package io.chunkfs.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkfs.store.Digest;
import io.chunkfs.testing.Shell;
import io.chunkfs.testing.StorePaths;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A local user with write access to the store folder swaps parts of it for symlinks to an outside folder
 * while it is mounted (issue 10, item 1): nothing may be written, touched or listed out there, and nothing
 * may hang. Every command through the mount runs under {@code timeout}, so a hang fails instead of blocking.
 */
class SymlinkSwapIT {
    /** Exit statuses of {@code timeout} when it had to stop the command. */
    private static final List<Integer> TIMED_OUT = List.of(124, 137);

    private static final FileTime LONG_AGO = FileTime.from(Instant.parse("2001-02-03T04:05:06Z"));

    @TempDir
    Path dir;

    Path outside;
    /** Bytes of a real chunk planted outside the store, and of a new file copied in, under the same prefix. */
    byte[] planted;

    byte[] fresh;
    Digest plantedDigest;

    @BeforeEach
    void contents() throws IOException {
        MountFixture.requireFuse();
        outside = Files.createDirectories(dir.resolve("outside"));
        planted = "planted outside the store\n".getBytes(StandardCharsets.UTF_8);
        plantedDigest = Digest.sha256(planted);
        fresh = withPrefix(plantedDigest.prefix(), "copied in through the mount ");
        Files.write(dir.resolve("planted"), planted);
        Files.write(dir.resolve("fresh"), fresh);
    }

    /** Bytes whose digest starts with {@code prefix} (one in 256 tries on average). */
    private static byte[] withPrefix(String prefix, String seed) {
        for (int i = 0; ; i++) {
            byte[] bytes = (seed + i + "\n").getBytes(StandardCharsets.UTF_8);
            if (Digest.sha256(bytes).prefix().equals(prefix)) {
                return bytes;
            }
        }
    }

    private Path plantChunk(Path folder) throws IOException {
        Path chunk = Files.write(Files.createDirectories(folder).resolve(plantedDigest.toString()), planted);
        Files.setLastModifiedTime(chunk, LONG_AGO);
        Files.setAttribute(chunk, "lastAccessTime", LONG_AGO);
        return chunk;
    }

    /** Every entry under {@code root} with its type, size, times and link target, without following links. */
    private static Map<String, String> snapshot(Path root) throws IOException {
        Map<String, String> entries = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path path : (Iterable<Path>) walk::iterator) {
                BasicFileAttributes a =
                        Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                String what = a.isDirectory()
                        ? "dir mtime " + a.lastModifiedTime()
                        : a.isSymbolicLink()
                                ? "link->" + Files.readSymbolicLink(path)
                                : "file " + a.size() + " mtime " + a.lastModifiedTime() + " atime "
                                        + a.lastAccessTime();
                entries.put(root.relativize(path).toString(), what);
            }
        }
        return entries;
    }

    /**
     * Runs {@code script} in the mount under a 20 s timeout; it may fail, but it must not hang. Its output
     * goes to files: a process stuck in a FUSE request cannot be killed, and a pipe it held would never close.
     */
    private Shell.Result bounded(MountFixture fixture, String script) throws IOException {
        Path out = dir.resolve("bounded.out");
        Path err = dir.resolve("bounded.err");
        Shell.Result result = Shell.run(
                fixture.mnt,
                Map.of(),
                List.of("bash", "-c", "timeout -k 5 20 bash -c \"$1\" > " + out + " 2> " + err, "bounded", script),
                60);
        Shell.Result bounded = new Shell.Result(result.exit(), Files.readString(out), Files.readString(err));
        assertFalse(TIMED_OUT.contains(bounded.exit()), () -> "hung: " + script + "; " + bounded);
        return bounded;
    }

    /** What a local user can do through the mount; none of it may reach {@code outside}. */
    private void useTheMount(MountFixture fixture) throws IOException {
        String prefix = plantedDigest.prefix();
        Shell.Result listed = bounded(fixture, "ls -a " + prefix + "/");
        assertFalse(listed.out().contains(plantedDigest.toString()), "listed outside: " + listed);
        Shell.Result read = bounded(fixture, "cat " + prefix + "/" + plantedDigest);
        assertFalse(read.out().equals(new String(planted, StandardCharsets.UTF_8)), "read outside: " + read);
        bounded(fixture, "touch " + prefix + "/" + plantedDigest);
        bounded(fixture, "touch -a -d @0 " + prefix + "/" + plantedDigest);
        bounded(fixture, "cp " + dir.resolve("fresh") + " incoming/fresh");
        bounded(fixture, "cp " + dir.resolve("planted") + " incoming/planted");
        bounded(fixture, "ls -a incoming/");
    }

    @Test
    void aPrefixFolderSwappedForASymlink() throws Exception {
        plantChunk(outside);
        Map<String, String> before = snapshot(outside);
        try (MountFixture fixture = new MountFixture(dir).mount()) {
            Path prefixDir = StorePaths.chunks(fixture.store).resolve(plantedDigest.prefix());
            Path aside = fixture.store.resolve("prefix.moved");
            Files.move(prefixDir, aside);
            Files.createSymbolicLink(prefixDir, outside);

            useTheMount(fixture);
            assertEquals(before, snapshot(outside), "nothing written or touched outside the store");

            Files.delete(prefixDir);
            Files.move(aside, prefixDir);
            assertTrue(fixture.verify().ok());
        }
    }

    @Test
    void theChunksFolderSwappedForASymlink() throws Exception {
        for (int prefix = 0; prefix < 256; prefix++) {
            Files.createDirectories(outside.resolve(String.format(java.util.Locale.ROOT, "%02x", prefix)));
        }
        plantChunk(outside.resolve(plantedDigest.prefix()));
        Map<String, String> before = snapshot(outside);
        try (MountFixture fixture = new MountFixture(dir).mount()) {
            Path chunks = StorePaths.chunks(fixture.store);
            Path aside = fixture.store.resolve("chunks.moved");
            Files.move(chunks, aside);
            Files.createSymbolicLink(chunks, outside);

            useTheMount(fixture);
            assertEquals(before, snapshot(outside), "nothing written or touched outside the store");

            Files.delete(chunks);
            Files.move(aside, chunks);
            assertTrue(fixture.verify().ok());
        }
    }

    @Test
    void theTreeDatabaseSwappedForASymlinkWhileMounted() throws Exception {
        // A database outside, as an attacker would plant it: it must be neither read nor written.
        Files.writeString(outside.resolve("tree.db"), "not a database: a file outside the store");
        Map<String, String> before = snapshot(outside);
        try (MountFixture fixture = new MountFixture(dir).mount()) {
            fixture.sh("echo before > incoming/before").ok();
            Path tree = fixture.store.resolve("tree.db");
            Path aside = fixture.store.resolve("tree.db.moved");
            Files.move(tree, aside);
            Files.createSymbolicLink(tree, outside.resolve("tree.db"));

            useTheMount(fixture);
            bounded(fixture, "mv incoming/fresh incoming/renamed");
            bounded(fixture, "rm -f incoming/before");
            assertEquals(before, snapshot(outside), "nothing written or touched outside the store");

            Files.delete(tree);
            Files.move(aside, tree);
        }
        // The mount kept the files it opened at start: what it did while the link was there is in the tree.
        Shell.Result listed = Shell.chunkfs(dir, "-s", dir.resolve("store").toString(), "receipts")
                .ok();
        assertTrue(listed.out().contains("  renamed"), listed.out());
        assertFalse(listed.out().contains("  before"), listed.out());
        assertEquals(before, snapshot(outside), "nothing written or touched outside the store");
    }

    @Test
    void theTemporaryFolderSwappedForASymlink() throws Exception {
        Map<String, String> before = snapshot(outside);
        try (MountFixture fixture = new MountFixture(dir).mount()) {
            Path tmp = fixture.store.resolve(".tmp");
            Path aside = fixture.store.resolve("tmp.moved");
            Files.move(tmp, aside);
            Files.createSymbolicLink(tmp, outside);

            // Listed while the file is still open (a close would commit it and rename the staged bytes away).
            Shell.Result whileOpen = bounded(
                    fixture,
                    "python3 -c '\n"
                            + "import os, sys\n"
                            + "with open(\"incoming/held\", \"wb\") as f:\n"
                            + "    f.write(os.urandom(200000)); f.flush()\n"
                            + "    print(sorted(os.listdir(sys.argv[1])))\n' " + outside);
            assertEquals("[]", whileOpen.out().strip(), "nothing staged outside the store: " + whileOpen);
            bounded(fixture, "cp " + dir.resolve("fresh") + " incoming/fresh");
            assertEquals(before, snapshot(outside), "nothing staged outside the store");

            Files.delete(tmp);
            Files.move(aside, tmp);
            assertTrue(fixture.verify().ok());
        }
    }

    @Test
    void aChunkReplacedByAFifoFailsWithoutBlocking() throws Exception {
        Path store = dir.resolve("store");
        Shell.chunkfs(dir, "-s", store.toString(), "put", dir.resolve("planted").toString())
                .ok();
        Path chunk = StorePaths.chunk(store, plantedDigest);
        try (MountFixture fixture = new MountFixture(dir).mount()) {
            String name = plantedDigest.prefix() + "/" + plantedDigest;
            // The stat leaves the chunk's entry in the kernel's cache (1 s): the cat that follows at once
            // reaches the server as an open, without a fresh lookup that would see the FIFO first.
            try {
                Shell.Result read = bounded(
                        fixture,
                        "stat " + name + " > /dev/null && rm " + chunk + " && mkfifo -m 0444 " + chunk + " && cat "
                                + name);
                assertNotEquals(0, read.exit(), "a FIFO is no chunk: " + read);
                // A damaged entry: the writable mount set it aside, as verify does, and the name is free again.
                Path aside = chunk.resolveSibling(plantedDigest + ".0.bad");
                assertTrue(Files.exists(aside, LinkOption.NOFOLLOW_LINKS), "the FIFO is set aside: " + read);
                assertFalse(Files.exists(chunk, LinkOption.NOFOLLOW_LINKS), "nothing at the digest path: " + read);
                Shell.Result again = bounded(fixture, "head -c 1 " + name);
                assertNotEquals(0, again.exit(), "no chunk at the name: " + again);
                bounded(fixture, "ls " + plantedDigest.prefix() + "/").ok();
            } finally {
                // Frees a server thread that may be blocked opening the FIFO, so the unmount can finish.
                Shell.bash(
                        dir,
                        "timeout 2 bash -c 'for f in " + chunk + "*; do [ -p \"$f\" ] && echo > \"$f\"; done'"
                                + " || true");
            }
            Files.delete(chunk.resolveSibling(plantedDigest + ".0.bad"));
            assertTrue(fixture.verify().ok());
        }
    }
}

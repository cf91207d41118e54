package io.chunkfs.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkfs.store.Digest;
import io.chunkfs.testing.Shell;
import io.chunkfs.testing.StorePaths;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A store on a tmpfs that runs out of inodes or of space at the step of a commit that needs them. A chunk needs
 * one inode (its staged file) and its bytes' space; its name is a row of the tree ({@code tree.db}), which needs
 * no inode but may need space for the tree's log to grow. Either way close(2) (or the write) fails with ENOSPC, as
 * the README says; nothing partial appears at a digest path, the name is not made, and the store stays valid. The
 * mount point and the mount's log are outside the small disk: only the store uses it.
 */
class OutOfInodesIT {
    private static final int SIZE = 100_000;

    @TempDir
    Path dir;

    Path disk;

    @BeforeEach
    void smallDisk() {
        MountFixture.requireFuse();
        disk = dir.resolve("disk");
        Shell.run(dir, Map.of(), List.of("mkdir", "-p", disk.toString()), 10).ok();
        Shell.run(
                        dir,
                        Map.of(),
                        List.of("mount", "-t", "tmpfs", "-o", "size=64m,nr_inodes=2000", "tmpfs", disk.toString()),
                        30)
                .ok();
    }

    private static final Digest EMPTY = Digest.sha256(new byte[0]);

    @AfterEach
    void removeDisk() {
        Shell.run(dir, Map.of(), List.of("umount", "-l", disk.toString()), 30);
    }

    /**
     * Out of inodes: the chunk cannot be staged, so the copy fails with ENOSPC and nothing is made. With one inode
     * free the same copy succeeds: the staged chunk takes it, and the name needs none.
     */
    @Test
    void aChunkWithoutAnInodeFailsWithEnospcAndItsNameNeedsNone() throws Exception {
        Path source = dir.resolve("source");
        Shell.bash(dir, "head -c " + SIZE + " /dev/urandom > " + source).ok();
        Digest digest = Digest.sha256(Files.readAllBytes(source));
        try (MountFixture fixture = new MountFixture(dir, disk.resolve("store"))) {
            fixture.mount();
            // The first write registers the mount as a writer (a file of its own): do it while inodes are left.
            fixture.sh("echo first > incoming/first").ok();
            List<Path> fillers = exhaustInodes(disk.resolve("fillers"));

            Shell.Result full = fixture.sh("cp " + source + " incoming/big");
            assertEquals(1, full.exit(), full.toString());
            assertTrue(full.err().contains("No space left on device"), full.err());
            assertFalse(Files.exists(StorePaths.chunk(fixture.store, digest)), "no chunk without an inode");
            assertNothingStaged(fixture);
            assertEquals(
                    EMPTY,
                    fixture.receipts().get("big"),
                    "the name create(2) made names the empty file, never a chunk that was not made");
            assertFalse(fixture.sh("ls incoming").ok().out().lines().anyMatch("big"::equals));

            Files.delete(fillers.remove(fillers.size() - 1));
            fixture.sh("cp " + source + " incoming/big").ok();
            assertEquals(digest, fixture.receipts().get("big"), "one inode was enough for the chunk and its name");
            assertEquals(
                    digest.toString(),
                    fixture.sh("getfattr --only-values -n user.chunkfs.digest incoming/big")
                            .ok()
                            .out());
            for (Path filler : fillers) {
                Files.delete(filler);
            }
            assertTrue(fixture.verify().ok());
        }
    }

    /**
     * Out of space after the chunk was staged, so that its commit must grow the tree's log (WAL): the chunk is
     * committed (a rename needs no space), the tree's commit fails (SQLITE_FULL, answered as ENOSPC), and close(2)
     * reports it. The chunk stays, unreferenced; the name is not made; once there is room, the same copy succeeds.
     */
    @Test
    void aTreeCommitWithoutSpaceFailsCloseWithEnospcAndLeavesTheStoreValid() throws Exception {
        Path source = dir.resolve("source");
        Shell.bash(dir, "head -c " + SIZE + " /dev/urandom > " + source).ok();
        Digest digest = Digest.sha256(Files.readAllBytes(source));
        Path filler = disk.resolve("filler");
        try (MountFixture fixture = new MountFixture(dir, disk.resolve("store"))) {
            fixture.mount();
            fixture.sh("echo first > incoming/first").ok();
            // cp reads a FIFO, so that the disk can be filled after cp wrote every byte and before it closes.
            String script = String.join(
                    "\n",
                    "mkfifo " + dir.resolve("fifo"),
                    "cp " + dir.resolve("fifo") + " incoming/big 2> " + dir.resolve("cp.err") + " & cp=$!",
                    "exec 3> " + dir.resolve("fifo"),
                    "cat " + source + " >&3",
                    "for i in $(seq 1 600); do",
                    "  [ \"$(stat -c %s " + fixture.store.resolve(".tmp") + "/* 2>/dev/null)\" = " + SIZE
                            + " ] && echo staged && break",
                    "  sleep 0.05",
                    "done",
                    "filled=$(dd if=/dev/zero of=" + filler + " bs=1M 2>&1)",
                    "case $filled in *'No space left on device'*) echo disk full;; *) echo \"$filled\";; esac",
                    "exec 3>&-",
                    "wait $cp; echo \"cp exit $?\"",
                    "cat " + dir.resolve("cp.err"));
            Shell.Result full = fixture.sh(script);
            assertEquals(
                    List.of("staged", "disk full", "cp exit 1"),
                    full.out().lines().limit(3).toList(),
                    full.toString());
            assertTrue(full.out().contains("No space left on device"), "cp reports close(2)'s ENOSPC: " + full);
            Path chunk = StorePaths.chunk(fixture.store, digest);
            assertTrue(Files.exists(chunk), "the chunk was committed before the tree's commit failed");
            assertEquals(digest, Digest.sha256(Files.readAllBytes(chunk)), "only a complete chunk");
            assertNothingStaged(fixture);
            assertEquals(EMPTY, fixture.receipts().get("big"), "the failed commit left the name as create(2) made it");
            assertFalse(fixture.sh("ls incoming").ok().out().lines().anyMatch("big"::equals));
            assertTrue(
                    fixture.sh("getfattr -n user.chunkfs.digest incoming/big").exit() != 0);

            Files.delete(filler);
            fixture.sh("cp " + source + " incoming/big").ok();
            assertEquals(digest, fixture.receipts().get("big"));
            assertEquals(
                    digest.toString(),
                    fixture.sh("getfattr --only-values -n user.chunkfs.digest incoming/big")
                            .ok()
                            .out());
            assertEquals("first\n", fixture.sh("cat incoming/first").ok().out());
            assertTrue(fixture.verify().ok());
        }
    }

    private static void assertNothingStaged(MountFixture fixture) throws IOException {
        try (Stream<Path> temps = Files.list(fixture.store.resolve(".tmp"))) {
            assertEquals(List.of(), temps.toList(), "nothing left staged");
        }
    }

    /** Creates empty files until the file system has no inode left. */
    private static List<Path> exhaustInodes(Path folder) throws IOException {
        Files.createDirectories(folder);
        List<Path> fillers = new ArrayList<>();
        while (true) {
            Path next = folder.resolve("f" + fillers.size());
            try {
                Files.createFile(next);
            } catch (FileSystemException e) {
                assertTrue(String.valueOf(e.getMessage()).contains("No space left"), e.toString());
                return fillers;
            }
            fillers.add(next);
        }
    }
}

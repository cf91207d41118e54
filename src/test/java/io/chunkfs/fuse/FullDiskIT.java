package io.chunkfs.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkfs.store.Digest;
import io.chunkfs.testing.Shell;
import io.chunkfs.testing.StorePaths;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A store on a small tmpfs: running out of space fails cleanly and leaves the store valid. */
class FullDiskIT {
    @TempDir
    Path dir;

    Path disk;

    @BeforeEach
    void smallDisk() throws Exception {
        MountFixture.requireFuse();
        disk = Files.createDirectories(dir.resolve("disk"));
        Shell.run(dir, Map.of(), List.of("mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", disk.toString()), 30)
                .ok();
    }

    @AfterEach
    void removeDisk() {
        Shell.run(dir, Map.of(), List.of("umount", "-l", disk.toString()), 30);
    }

    @Test
    void cpLargerThanTheFreeSpaceFailsThenSucceedsOnceThereIsRoom() throws Exception {
        Files.writeString(disk.resolve("filler"), "x".repeat(6 << 20));
        Path big = dir.resolve("big");
        Shell.bash(dir, "head -c 12M /dev/urandom > " + big).ok();
        Digest digest = Digest.sha256(Files.readAllBytes(big));
        try (MountFixture fixture = new MountFixture(disk)) {
            fixture.mount();
            Shell.Result full = fixture.sh("cp " + big + " incoming/big");
            assertEquals(1, full.exit(), full.toString());
            assertTrue(full.err().contains("No space left on device"), full.err());
            assertFalse(Files.exists(StorePaths.chunk(fixture.store, digest)));
            try (Stream<Path> temps = Files.list(fixture.store.resolve(".tmp"))) {
                assertEquals(0, temps.count(), "the failed copy left nothing staged");
            }
            assertTrue(fixture.verify().ok());

            Files.delete(disk.resolve("filler"));
            fixture.sh("cp " + big + " incoming/big").ok();
            assertEquals(
                    digest.toString(),
                    fixture.sh("getfattr --only-values -n user.chunkfs.digest incoming/big")
                            .ok()
                            .out());
            assertTrue(fixture.verify().ok());
        }
    }

    /**
     * A write that failed for lack of space loses the bytes staged so far: once space is back, writing the
     * missing part again and closing must not commit the old version plus the late writes as this file.
     * The failure stays until the file is rewritten from the start.
     */
    @Test
    void aFailedWriteStaysFailedUntilTheFileIsRewrittenFromTheStart() throws Exception {
        Files.writeString(disk.resolve("filler"), "x".repeat(9 << 20));
        try (MountFixture fixture = new MountFixture(disk)) {
            fixture.mount();
            String script = String.join(
                    "\n",
                    "import errno, os, sys",
                    "fd = os.open('incoming/f', os.O_WRONLY | os.O_CREAT, 0o644)",
                    "block = b'a' * (1 << 20)",
                    "failed = None",
                    "for i in range(12):",
                    "    try:",
                    "        os.pwrite(fd, block, i << 20)",
                    "    except OSError as e:",
                    "        failed = (i, e.errno)",
                    "        break",
                    "assert failed is not None and failed[1] == errno.ENOSPC, failed",
                    "os.unlink('" + disk.resolve("filler") + "')",
                    "try:",
                    "    os.fsync(fd)",
                    "    print('fsync ok')",
                    "except OSError as e:",
                    "    print('fsync', errno.errorcode[e.errno])",
                    "try:",
                    "    os.pwrite(fd, block, failed[0] << 20)",
                    "    print('rewrite accepted')",
                    "except OSError as e:",
                    "    print('rewrite', errno.errorcode[e.errno])",
                    "try:",
                    "    os.close(fd)",
                    "    print('close ok')",
                    "except OSError as e:",
                    "    print('close', errno.errorcode[e.errno])",
                    "fd = os.open('incoming/f', os.O_WRONLY | os.O_TRUNC)",
                    "os.write(fd, b'whole again')",
                    "os.close(fd)",
                    "print('rewritten from the start')");
            Path program = Files.writeString(dir.resolve("rewrite.py"), script + "\n");
            Shell.Result result = fixture.sh("python3 " + program);
            assertEquals(
                    "fsync ENOSPC\nrewrite ENOSPC\nclose ENOSPC\nrewritten from the start",
                    result.out().strip(),
                    result.toString());
            assertEquals("whole again", fixture.sh("cat incoming/f").ok().out());
            assertTrue(fixture.verify().ok());
        }
    }

    @Test
    void putLargerThanTheFreeSpaceFailsThenSucceeds() throws Exception {
        Path store = disk.resolve("store");
        Shell.chunkfs(dir, "-s", store.toString(), "init").ok();
        Files.writeString(disk.resolve("filler"), "x".repeat(6 << 20));
        Path big = dir.resolve("big");
        Shell.bash(dir, "head -c 12M /dev/urandom > " + big).ok();
        Shell.Result full = Shell.chunkfs(dir, "-s", store.toString(), "put", big.toString());
        assertEquals(1, full.exit());
        assertTrue(full.err().contains("No space left on device"), full.err());
        assertEquals(1, full.err().strip().lines().count(), full.err());
        Shell.chunkfs(dir, "-s", store.toString(), "verify").ok();
        Files.delete(disk.resolve("filler"));
        String out = Shell.chunkfs(dir, "-s", store.toString(), "put", big.toString())
                .ok()
                .out();
        assertEquals(Digest.sha256(Files.readAllBytes(big)) + "  " + big, out.strip());
        Shell.chunkfs(dir, "-s", store.toString(), "verify").ok();
    }
}

package io.chunkfs.fuse;

import io.chunkfs.testing.Shell;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import io.chunkfs.store.Digest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A store on a small tmpfs: running out of space fails cleanly and leaves the store valid. */
class FullDiskIT {
    @TempDir
    Path dir;
    Path disk;

    @BeforeEach
    void smallDisk() throws Exception {
        MountFixture.requireFuse();
        disk = Files.createDirectories(dir.resolve("disk"));
        Shell.run(dir, Map.of(), List.of("mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", disk.toString()), 30).ok();
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
            assertFalse(Files.exists(fixture.store.resolve(".chunks").resolve(digest.prefix()).resolve(digest.toString())));
            try (Stream<Path> temps = Files.list(fixture.store.resolve(".tmp"))) {
                assertEquals(0, temps.count(), "the failed copy left nothing staged");
            }
            assertTrue(fixture.verify().ok());

            Files.delete(disk.resolve("filler"));
            fixture.sh("cp " + big + " incoming/big").ok();
            assertEquals(digest.toString(), fixture.sh("getfattr --only-values -n user.chunkfs.digest incoming/big").ok().out());
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
        String out = Shell.chunkfs(dir, "-s", store.toString(), "put", big.toString()).ok().out();
        assertEquals(Digest.sha256(Files.readAllBytes(big)) + "  " + big, out.strip());
        Shell.chunkfs(dir, "-s", store.toString(), "verify").ok();
    }
}

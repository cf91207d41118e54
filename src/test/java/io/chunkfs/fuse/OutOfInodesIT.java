package io.chunkfs.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
 * A store on a tmpfs with one free inode: the chunk takes it, its receipt finds none. close(2) reports
 * ENOSPC, as the README says; the complete chunk may stay at its digest path, never a partial one, and
 * the store stays valid.
 */
class OutOfInodesIT {
    @TempDir
    Path dir;

    Path disk;

    @BeforeEach
    void fewInodes() {
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

    @AfterEach
    void removeDisk() {
        Shell.run(dir, Map.of(), List.of("umount", "-l", disk.toString()), 30);
    }

    @Test
    void aReceiptWithoutAnInodeFailsCloseWithEnospcAndLeavesTheStoreValid() throws Exception {
        Path source = dir.resolve("source");
        Shell.bash(dir, "head -c 100000 /dev/urandom > " + source).ok();
        Digest digest = Digest.sha256(Files.readAllBytes(source));
        try (MountFixture fixture = new MountFixture(disk)) {
            fixture.mount();
            // The first write registers the mount as a writer (a file of its own): do it while inodes are left.
            fixture.sh("echo first > incoming/first").ok();
            List<Path> fillers = exhaustInodes(disk.resolve("fillers"));
            Files.delete(fillers.remove(fillers.size() - 1));

            Shell.Result full = fixture.sh("cp " + source + " incoming/big");
            assertEquals(1, full.exit(), full.toString());
            assertTrue(full.err().contains("No space left on device"), full.err());
            Path chunk = StorePaths.chunk(fixture.store, digest);
            if (Files.exists(chunk)) {
                assertEquals(digest, Digest.sha256(Files.readAllBytes(chunk)), "only a complete chunk");
            }
            assertTrue(Files.notExists(fixture.store.resolve("receipts/big"), java.nio.file.LinkOption.NOFOLLOW_LINKS));
            try (Stream<Path> temps = Files.list(fixture.store.resolve(".tmp"))) {
                assertEquals(0, temps.count(), "nothing left staged");
            }

            for (Path filler : fillers) {
                Files.delete(filler);
            }
            fixture.sh("cp " + source + " incoming/big").ok();
            assertEquals(
                    digest.toString(),
                    fixture.sh("getfattr --only-values -n user.chunkfs.digest incoming/big")
                            .ok()
                            .out());
            assertTrue(fixture.verify().ok());
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

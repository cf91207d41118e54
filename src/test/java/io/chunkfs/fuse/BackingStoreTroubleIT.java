package io.chunkfs.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkfs.store.Digest;
import io.chunkfs.testing.Shell;
import io.chunkfs.testing.TestBytes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Chunks changed, removed or made unwritable behind the mount's back never pass for good data. */
class BackingStoreTroubleIT {
    @TempDir
    Path dir;

    @Test
    void damagedChunksFailWithEioAndVerifyFindsThem() throws Exception {
        try (MountFixture fixture = new MountFixture(dir).mount()) {
            int[] sizes = {1000, 100_000, 3_000_000};
            Digest[] digests = new Digest[sizes.length];
            for (int i = 0; i < sizes.length; i++) {
                byte[] bytes = TestBytes.random(sizes[i], i);
                Files.write(dir.resolve("f" + i), bytes);
                fixture.sh("cp " + dir.resolve("f" + i) + " incoming/f" + i).ok();
                digests[i] = Digest.sha256(bytes);
            }
            // Replaced (same size), truncated, and deleted behind the mount's back, before anything read them.
            Path replaced = fixture.chunkFile(digests[0]);
            replaced.toFile().setWritable(true);
            Files.write(replaced, TestBytes.random(sizes[0], 99));
            Path truncated = fixture.chunkFile(digests[1]);
            truncated.toFile().setWritable(true);
            try (var channel = java.nio.channels.FileChannel.open(truncated, java.nio.file.StandardOpenOption.WRITE)) {
                channel.truncate(sizes[1] / 2);
            }
            Path replacedBig = fixture.chunkFile(digests[2]);
            replacedBig.toFile().setWritable(true);
            Files.write(replacedBig, TestBytes.random(sizes[2], 98));
            for (int i = 0; i < 3; i++) {
                String path = digests[i].prefix() + "/" + digests[i];
                Shell.Result cat = fixture.sh("cat " + path + " > /dev/null");
                assertEquals(1, cat.exit(), "reading damaged chunk " + i + " must fail: " + cat);
                assertTrue(cat.err().contains("Input/output error"), cat.err());
                Shell.Result receipt = fixture.sh("sha256sum incoming/f" + i);
                assertEquals(1, receipt.exit(), "the receipt reads the same damaged chunk");
            }
            // The mount set the damaged chunks aside already; a chunk deleted behind its back is just missing.
            Files.deleteIfExists(fixture.chunkFile(digests[1]));
            // The kernel may cache the name for attr_timeout (1 s): wait for the lookup to see it gone.
            long deadline = System.nanoTime() + 5_000_000_000L;
            Shell.Result gone;
            do {
                gone = fixture.sh("cat " + digests[1].prefix() + "/" + digests[1] + " > /dev/null");
            } while (!gone.err().contains("No such file") && System.nanoTime() < deadline);
            assertTrue(gone.err().contains("No such file or directory"), gone.err());

            fixture.unmount();
            var result = fixture.verify();
            assertTrue(
                    result.bad().isEmpty() && result.damagedEntries().isEmpty(),
                    "the reads set every damaged chunk aside, as verify would: " + result);
            // Their names stay in the tree, and verify reports each as a name without its chunk.
            assertEquals(
                    java.util.Set.of(digests[0], digests[1], digests[2]),
                    result.namesWithoutChunk().stream()
                            .map(name -> name.digest())
                            .collect(java.util.stream.Collectors.toSet()),
                    result.toString());
            assertTrue(Files.exists(replaced.resolveSibling(digests[0] + ".0.bad")));
            assertTrue(Files.exists(replacedBig.resolveSibling(digests[2] + ".0.bad")));
            // Copying the good bytes again restores the chunk.
            fixture.mount();
            fixture.sh("cp " + dir.resolve("f0") + " incoming/again").ok();
            assertEquals(
                    digests[0].toString(),
                    fixture.sh("sha256sum " + digests[0].prefix() + "/" + digests[0])
                            .ok()
                            .out()
                            .substring(0, 64));
        }
    }

    @Test
    void readOnlyStoreFolderGivesAClearError() throws Exception {
        try (MountFixture fixture = new MountFixture(dir).mount()) {
            fixture.sh("echo before > incoming/before").ok();
            // Root ignores modes: make the store's folders immutable instead of unwritable.
            Shell.Result chattr = Shell.bash(dir, "chattr +i " + fixture.store.resolve(".tmp"));
            if (chattr.exit() != 0) {
                // File systems without chattr (tmpfs): fall back to modes, which bind non-root users only.
                Files.setPosixFilePermissions(
                        fixture.store.resolve(".tmp"), PosixFilePermissions.fromString("r-xr-xr-x"));
            }
            try {
                Shell.Result refused = fixture.sh("echo after > incoming/after");
                if (chattr.exit() == 0) {
                    assertEquals(1, refused.exit(), refused.toString());
                    assertTrue(
                            refused.err().contains("Permission denied")
                                    || refused.err().contains("Operation not permitted"),
                            refused.err());
                }
                assertEquals(
                        "before", fixture.sh("cat incoming/before").ok().out().strip(), "reads still work");
            } finally {
                Shell.bash(dir, "chattr -i " + fixture.store.resolve(".tmp"));
                Files.setPosixFilePermissions(
                        fixture.store.resolve(".tmp"), PosixFilePermissions.fromString("rwxr-xr-x"));
            }
            fixture.sh("echo after > incoming/after").ok();
            assertTrue(fixture.verify().ok());
        }
    }

    @Test
    void aStoreWithoutItsLockFileIsRefusedClearly() throws Exception {
        try (MountFixture fixture = new MountFixture(dir).mount()) {
            fixture.sh("echo x > incoming/x").ok();
            Files.delete(fixture.store.resolve(".lock"));
            Shell.Result gc = Shell.chunkfs(dir, "-s", fixture.store.toString(), "gc", "--margin", "0s");
            assertEquals(1, gc.exit());
            assertTrue(gc.err().contains("missing lock file"), gc.err());
            fixture.unmount();
            Path mnt2 = Files.createDirectories(dir.resolve("mnt2"));
            Shell.Result mount = Shell.chunkfs(dir, "-s", fixture.store.toString(), "mount", mnt2.toString());
            assertEquals(1, mount.exit());
            assertTrue(mount.err().contains("missing lock file"), mount.err());
            assertFalse(MountTable.typeAt(mnt2).isPresent());
        }
    }
}

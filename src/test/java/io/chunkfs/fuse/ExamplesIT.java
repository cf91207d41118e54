package io.chunkfs.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkfs.Stores;
import io.chunkfs.store.ChunkStore;
import io.chunkfs.store.Digest;
import io.chunkfs.testing.Shell;
import io.chunkfs.testing.StorePaths;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The scripts in examples/ and mount-scripts/ do what they say, on a real mount. */
class ExamplesIT {
    private static final Path PROJECT =
            Path.of(System.getProperty("chunkfs.project", ".")).toAbsolutePath();

    @TempDir
    Path dir;

    private Shell.Result script(String name, String... args) {
        List<String> command =
                new java.util.ArrayList<>(List.of("bash", PROJECT.resolve(name).toString()));
        command.addAll(List.of(args));
        return Shell.run(dir, Map.of(), command, 300);
    }

    @Test
    void backupDedupMarkAndSweepAndRestore() throws Exception {
        try (MountFixture fixture = new MountFixture(dir).mount()) {
            Path data = Files.createDirectories(dir.resolve("data"));
            Files.writeString(data.resolve("a.txt"), "alpha");
            Files.writeString(data.resolve("b.txt"), "beta");
            Files.writeString(data.resolve("a-copy.txt"), "alpha");
            Files.writeString(data.resolve("old.txt"), "obsolete");
            Path index = dir.resolve("index");
            Path oldIndex = dir.resolve("old-index");

            String out = script(
                            "examples/backup-dedup.sh",
                            fixture.mnt.toString(),
                            index.toString(),
                            data.resolve("a.txt").toString(),
                            data.resolve("b.txt").toString(),
                            data.resolve("a-copy.txt").toString())
                    .ok()
                    .out();
            assertTrue(out.contains("3 entries") && out.contains("2 distinct chunks"), out);
            script(
                            "examples/backup-dedup.sh",
                            fixture.mnt.toString(),
                            oldIndex.toString(),
                            data.resolve("old.txt").toString())
                    .ok();
            assertEquals(
                    Digest.sha256("alpha".getBytes(StandardCharsets.UTF_8)) + "  " + data.resolve("a.txt"),
                    Files.readAllLines(index).get(0));

            // Make every chunk look long unused, then mark only what the current index names.
            Path chunks = StorePaths.chunks(fixture.store);
            for (String text : new String[] {"alpha", "beta", "obsolete"}) {
                Digest digest = Digest.sha256(text.getBytes(StandardCharsets.UTF_8));
                Files.setAttribute(
                        chunks.resolve(digest.prefix()).resolve(digest.toString()),
                        "lastAccessTime",
                        FileTime.from(Instant.now().minusSeconds(3600)));
            }
            script("examples/mark-and-sweep.sh", fixture.mnt.toString(), fixture.store.toString(), index.toString())
                    .ok();
            try (ChunkStore store = Stores.open(fixture.store)) {
                assertTrue(store.contains(Digest.sha256("alpha".getBytes(StandardCharsets.UTF_8))));
                assertTrue(store.contains(Digest.sha256("beta".getBytes(StandardCharsets.UTF_8))));
                assertFalse(
                        store.contains(Digest.sha256("obsolete".getBytes(StandardCharsets.UTF_8))),
                        "unmarked chunk swept");
            }

            Path restored = dir.resolve("restored");
            script("examples/restore.sh", fixture.mnt.toString(), index.toString(), restored.toString())
                    .ok();
            assertEquals("alpha", Files.readString(restored.resolve("a.txt")));
            assertEquals("beta", Files.readString(restored.resolve("b.txt")));
            assertTrue(fixture.verify().ok());
        }
    }

    @Test
    void anFstabLineMountsThroughTheHelper() throws Exception {
        MountFixture.requireFuse();
        // mount(8) runs /sbin/mount.fuse.chunkfs for type fuse.chunkfs: install the helper there for the test.
        Path helper = Path.of("/sbin/mount.fuse.chunkfs");
        if ("true".equals(System.getenv("CI"))) {
            assertTrue(Files.isWritable(helper.getParent()), "CI runs as root, to install the mount helper");
        } else {
            io.chunkfs.testing.Requirement.require(
                    Files.isWritable(helper.getParent()), "needs root to install the mount helper");
        }
        boolean installed = !Files.exists(helper, java.nio.file.LinkOption.NOFOLLOW_LINKS);
        if (installed) {
            Files.createSymbolicLink(helper, PROJECT.resolve("mount-scripts/mount.chunkfs"));
        }
        try (MountFixture fixture = new MountFixture(dir)) {
            Shell.chunkfs(dir, "-s", fixture.store.toString(), "init").ok();
            Path fstab = Files.writeString(
                    dir.resolve("fstab"),
                    fixture.store + " " + fixture.mnt + " fuse.chunkfs defaults,sync=filesystem 0 0\n");
            Shell.run(dir, Map.of(), List.of("mount", "-T", fstab.toString(), fixture.mnt.toString()), 120)
                    .ok();
            assertTrue(fixture.isMounted());
            fixture.sh("echo fstab > incoming/f && cat incoming/f").ok();
            Shell.run(dir, Map.of(), List.of("umount", fixture.mnt.toString()), 30)
                    .ok();
            fixture.awaitMounted(false);
        } finally {
            if (installed) {
                Files.delete(helper);
            }
        }
    }
}

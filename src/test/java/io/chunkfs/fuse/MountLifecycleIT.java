package io.chunkfs.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkfs.store.Digest;
import io.chunkfs.testing.Await;
import io.chunkfs.testing.Shell;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Mounting and unmounting like a real file system. */
class MountLifecycleIT {
    @TempDir
    Path dir;

    private static void assertOneLineError(Shell.Result result, String expected) {
        assertEquals(1, result.exit(), result.toString());
        assertEquals(1, result.err().strip().lines().count(), "one line: " + result.err());
        assertTrue(result.err().contains(expected), result.err());
    }

    @Test
    void backgroundMountReturnsLiveAndUmountEndsIt() throws Exception {
        MountFixture.requireFuse();
        try (MountFixture fixture = new MountFixture(dir)) {
            Shell.Result mounted = Shell.chunkfs(
                            dir,
                            "-s",
                            fixture.store.toString(),
                            "mount",
                            fixture.mnt.toString(),
                            "--log",
                            fixture.log.toString())
                    .ok();
            assertTrue(fixture.isMounted(), "live when mount returns");
            assertTrue(mounted.out().contains("chunkfs umount"), "tells how to unmount: " + mounted.out());
            fixture.sh("echo data > incoming/f && cat incoming/f").ok();
            Shell.chunkfs(dir, "umount", fixture.mnt.toString()).ok();
            assertFalse(fixture.isMounted());
            assertTrue(fixture.verify().ok());
        }
    }

    @Test
    void mountErrorsAreOneLine() throws Exception {
        MountFixture.requireFuse();
        try (MountFixture fixture = new MountFixture(dir).mount()) {
            assertOneLineError(
                    Shell.chunkfs(dir, "-s", fixture.store.toString(), "mount", fixture.mnt.toString()),
                    "already a mount point");
            assertOneLineError(
                    Shell.chunkfs(
                            dir,
                            "-s",
                            fixture.store.toString(),
                            "mount",
                            dir.resolve("nope").toString()),
                    "does not exist");
            Path notAStore = Files.createDirectories(dir.resolve("notastore"));
            Files.writeString(notAStore.resolve("file"), "x");
            Files.createDirectories(dir.resolve("mnt2"));
            assertOneLineError(
                    Shell.chunkfs(
                            dir,
                            "-s",
                            notAStore.toString(),
                            "mount",
                            dir.resolve("mnt2").toString()),
                    "not a chunkfs store");
            assertOneLineError(Shell.chunkfs(dir, "umount", dir.resolve("mnt2").toString()), "not mounted");
            Shell.Result badOption = Shell.chunkfs(
                    dir,
                    "-s",
                    fixture.store.toString(),
                    "mount",
                    "-o",
                    "bogus",
                    dir.resolve("mnt2").toString());
            assertOneLineError(badOption, "unknown mount option 'bogus'");
        }
    }

    @Test
    void killedMountLeavesNoDeadMountPoint() throws Exception {
        try (MountFixture fixture = new MountFixture(dir).mount()) {
            fixture.sh("echo before > incoming/before").ok();
            Shell.run(dir, Map.of(), List.of("kill", "-9", Long.toString(fixture.pid())), 10)
                    .ok();
            assertTrue(fixture.process().waitFor(30, TimeUnit.SECONDS));
            fixture.awaitMounted(false);
            fixture.mount();
            assertEquals("before", fixture.sh("cat incoming/before").ok().out().strip());
        }
    }

    @Test
    void remountShowsEveryReceipt() throws Exception {
        try (MountFixture fixture = new MountFixture(dir).mount()) {
            for (int i = 0; i < 30; i++) {
                fixture.sh("printf 'r%d' " + i + " > incoming/r" + i).ok();
            }
            fixture.unmount();
            fixture.mount();
            for (int i = 0; i < 30; i++) {
                assertEquals("r" + i, fixture.sh("cat incoming/r" + i).ok().out());
            }
            assertEquals(30, fixture.sh("ls incoming").ok().out().lines().count());
        }
    }

    @Test
    void readOnlyMountRefusesWritesAndTouches() throws Exception {
        try (MountFixture fixture = new MountFixture(dir).mount()) {
            fixture.sh("printf ro > incoming/ro").ok();
            fixture.unmount();
            fixture.mount("ro");
            String digest = Digest.sha256("ro".getBytes(StandardCharsets.UTF_8)).toString();
            String chunk = digest.substring(0, 2) + "/" + digest;
            assertEquals("ro", fixture.sh("cat " + chunk).ok().out());
            for (String refused :
                    new String[] {"echo x > incoming/new", "touch " + chunk, "rm incoming/ro", "echo x > incoming/ro"
                    }) {
                Shell.Result result = fixture.sh(refused).fails();
                assertTrue(result.err().contains("Read-only file system"), refused + ": " + result.err());
            }
            assertTrue(Shell.bash(dir, "grep -F ' " + fixture.mnt + " ' /proc/mounts")
                    .ok()
                    .out()
                    .contains(" ro,"));
        }
    }

    @Test
    void umountWithFilesOpenIsRefusedUntilTheyClose() throws Exception {
        try (MountFixture fixture = new MountFixture(dir).mount()) {
            Process holder = new ProcessBuilder(
                            "bash", "-c", "exec 3>incoming/held; echo held >&3; read line; exec 3>&-")
                    .directory(fixture.mnt.toFile())
                    .start();
            // Wait until the file is open (its name appears) before trying to unmount.
            Await.until(Duration.ofSeconds(30), "incoming/held to be open", () -> {
                assertTrue(holder.isAlive());
                return Files.exists(fixture.mnt.resolve("incoming/held"));
            });
            Shell.Result busy = Shell.chunkfs(dir, "umount", fixture.mnt.toString());
            assertOneLineError(busy, "busy");
            holder.getOutputStream().write("\n".getBytes(StandardCharsets.UTF_8));
            holder.getOutputStream().close();
            assertEquals(0, Await.exit(holder, Duration.ofSeconds(30)));
            Shell.chunkfs(dir, "umount", fixture.mnt.toString()).ok();
            fixture.awaitMounted(false);
            fixture.mount();
            assertEquals("held", fixture.sh("cat incoming/held").ok().out().strip());
        }
    }

    @Test
    void sigtermLetsAWriterInProgressFinish() throws Exception {
        try (MountFixture fixture = new MountFixture(dir).mount()) {
            Process writer = new ProcessBuilder(
                            "bash",
                            "-c",
                            "exec 3>incoming/slow; echo part1 >&3; read line; echo part2 >&3; exec 3>&-; echo closed")
                    .directory(fixture.mnt.toFile())
                    .start();
            Await.until(Duration.ofSeconds(30), "incoming/slow to be open", () -> {
                assertTrue(writer.isAlive());
                return Files.exists(fixture.mnt.resolve("incoming/slow"));
            });
            Shell.run(dir, Map.of(), List.of("kill", "-TERM", Long.toString(fixture.pid())), 10)
                    .ok();
            writer.getOutputStream().write("\n".getBytes(StandardCharsets.UTF_8));
            writer.getOutputStream().close();
            assertEquals(0, Await.exit(writer, Duration.ofSeconds(60)), "the writer's close succeeded");
            assertTrue(fixture.process().waitFor(60, TimeUnit.SECONDS), "SIGTERM ends the mount");
            fixture.awaitMounted(false);
            fixture.mount();
            assertEquals("part1\npart2\n", fixture.sh("cat incoming/slow").ok().out());
            assertTrue(fixture.verify().ok());
        }
    }
}

package io.chunkfs.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkfs.testing.Await;
import io.chunkfs.testing.Requirement;
import io.chunkfs.testing.Shell;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The tree's database on every file system a store folder may sit on: ext4, xfs and btrfs (loop-mounted images),
 * tmpfs, and a FUSE file system (bindfs). On each, a mount writes, renames and removes names while another
 * process ({@code chunkfs receipts}) reads the tree, and after the unmount every name is there and verify finds
 * nothing wrong. The journal is WAL on the local file systems and a rollback journal on FUSE, where WAL's
 * shared memory is not kept coherent.
 */
class TreeFileSystemsIT {
    private static final int FILES = 40;

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"ext4", "xfs", "btrfs", "tmpfs", "fuse"})
    void theTreeWorksOnEveryFileSystemAStoreMaySitOn(String type) throws Exception {
        MountFixture.requireFuse();
        Requirement.require("0".equals(Shell.bash(dir, "id -u").out().strip()), "root is needed to mount " + type);
        Path fs = Files.createDirectories(dir.resolve("fs"));
        List<List<String>> cleanup = new ArrayList<>();
        Process bindfs = null;
        try {
            switch (type) {
                case "tmpfs" -> run("mount", "-t", "tmpfs", "-o", "size=256m", "tmpfs", fs.toString());
                case "fuse" -> {
                    Path plain = Files.createDirectories(dir.resolve("plain"));
                    bindfs = new ProcessBuilder("bindfs", "-f", plain.toString(), fs.toString())
                            .redirectErrorStream(true)
                            .redirectOutput(dir.resolve("bindfs.log").toFile())
                            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                            .start();
                    Process started = bindfs;
                    Await.until(Duration.ofSeconds(30), "the bindfs mount", () -> {
                        assertTrue(started.isAlive(), "bindfs exited");
                        return MountTable.typeAt(fs).isPresent();
                    });
                    cleanup.add(List.of("fusermount", "-u", fs.toString()));
                }
                default -> {
                    Path image = dir.resolve(type + ".img");
                    run("truncate", "-s", "320M", image.toString());
                    Shell.Result mkfs = Shell.run(dir, Map.of(), List.of("mkfs." + type, "-q", image.toString()), 120);
                    Requirement.require(mkfs.exit() == 0, "mkfs." + type + " works here: " + mkfs.err());
                    run("mount", "-o", "loop", image.toString(), fs.toString());
                }
            }
            if (!type.equals("fuse")) {
                cleanup.add(List.of("umount", fs.toString()));
            }
            Path store = fs.resolve("store");
            Shell.chunkfs(dir, "-s", store.toString(), "init").ok();
            try (MountFixture fixture = new MountFixture(dir, store).mount()) {
                // A writer in the background while another process reads the tree again and again.
                fixture.sh("(for i in $(seq 1 " + FILES + "); do head -c $((100 + i)) /dev/urandom > incoming/f$i;"
                                + " done; mv incoming/f1 incoming/moved; rm incoming/f2) > ../writer.log 2>&1 &"
                                + " echo $! > ../writer.pid")
                        .ok();
                for (int read = 0; read < 5; read++) {
                    Shell.chunkfs(dir, "-s", store.toString(), "receipts").ok();
                }
                fixture.sh("while kill -0 $(cat ../writer.pid) 2>/dev/null; do sleep 0.05; done; cat ../writer.log")
                        .ok();
                String journal = Shell.run(
                                dir,
                                Map.of(),
                                List.of(
                                        "sqlite3",
                                        "-readonly",
                                        store.resolve("tree.db").toString(),
                                        "PRAGMA journal_mode"),
                                60)
                        .ok()
                        .out()
                        .strip();
                assertEquals(type.equals("fuse") ? "delete" : "wal", journal, "the journal on " + type);
                List<String> shown =
                        fixture.sh("ls incoming").ok().out().lines().toList();
                assertEquals(FILES - 1, shown.size(), "the mount shows every name: " + shown);
            }
            List<String> listed = Shell.chunkfs(dir, "-s", store.toString(), "receipts")
                    .ok()
                    .out()
                    .lines()
                    .toList();
            assertEquals(FILES - 1, listed.size(), "every name after the unmount: " + listed);
            assertTrue(listed.stream().anyMatch(line -> line.endsWith("  moved")), listed.toString());
            assertTrue(
                    listed.stream().noneMatch(line -> line.endsWith("  f1") || line.endsWith("  f2")),
                    listed.toString());
            Shell.chunkfs(dir, "-s", store.toString(), "verify").ok();
        } finally {
            for (int k = cleanup.size() - 1; k >= 0; k--) {
                Shell.run(dir, Map.of(), cleanup.get(k), 60);
            }
            if (bindfs != null) {
                Await.exit(bindfs, Duration.ofSeconds(30));
            }
        }
    }

    private void run(String... command) {
        Shell.Result result = Shell.run(dir, Map.of(), List.of(command), 120);
        Requirement.require(result.exit() == 0, String.join(" ", command) + " works here: " + result.err());
    }
}

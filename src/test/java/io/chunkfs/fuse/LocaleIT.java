package io.chunkfs.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkfs.store.Digest;
import io.chunkfs.testing.Shell;
import io.chunkfs.testing.StorePaths;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The locale of a process changes nothing another process or a caller sees (issue 10, items 3 and 4):
 * text written for machines uses {@code Locale.ROOT}, and errno values do not depend on the language of
 * {@code strerror}.
 */
class LocaleIT {
    /** A JVM locale whose default number format uses Arabic-Indic digits. */
    private static final List<String> AR_EG = List.of("-Duser.language=ar", "-Duser.country=EG");

    private static final String GERMAN = "de_DE.UTF-8";

    @TempDir
    Path dir;

    @Test
    void aWriterInArabicEgyptIsProtectedFromAGcInArabicEgypt() throws Exception {
        Files.writeString(dir.resolve("late"), "written while another file is still open");
        Digest late = Digest.sha256(Files.readAllBytes(dir.resolve("late")));
        try (MountFixture fixture = new MountFixture(dir)) {
            fixture.mountWithJvm(AR_EG);
            // A writer that stays open: its start is published for gc processes in STORE/.writers/.
            Process held = new ProcessBuilder(
                            "python3",
                            "-c",
                            "import sys\n"
                                    + "f = open('incoming/held', 'wb'); f.write(b'held'); f.flush()\n"
                                    + "print('open', flush=True); sys.stdin.read(); f.close()\n")
                    .directory(fixture.mnt.toFile())
                    .redirectError(ProcessBuilder.Redirect.INHERIT)
                    .start();
            try {
                BufferedReader lines =
                        new BufferedReader(new InputStreamReader(held.getInputStream(), StandardCharsets.UTF_8));
                assertEquals(
                        "open",
                        CompletableFuture.supplyAsync(() -> {
                                    try {
                                        return lines.readLine();
                                    } catch (java.io.IOException e) {
                                        return e.toString();
                                    }
                                })
                                .get(30, TimeUnit.SECONDS));
                // Written after the held writer started: a gc that sees that writer keeps it, even with no margin.
                fixture.sh("cp " + dir.resolve("late") + " incoming/late").ok();
                List<String> gc = new ArrayList<>(List.of("java"));
                gc.addAll(AR_EG);
                gc.addAll(List.of("-jar", Shell.JAR, "-s", fixture.store.toString(), "gc", "--margin", "0s"));
                Shell.Result result = Shell.run(dir, Map.of(), gc, 120).ok();
                assertTrue(
                        Files.exists(StorePaths.chunk(fixture.store, late)),
                        "gc removed a chunk written after an active writer started: " + result.out());
                assertTrue(
                        result.out().matches("(?s).*removed: 0 chunks.*"), "machine-readable digits: " + result.out());
            } finally {
                held.getOutputStream().close();
                assertTrue(held.waitFor(30, TimeUnit.SECONDS), "the held writer did not finish");
            }
            assertEquals(0, held.exitValue());
            assertTrue(fixture.verify().ok());
        }
    }

    /** A German {@code strerror} is needed, else this test proves nothing; CI installs it (.ci/install-test-deps). */
    private void requireGermanMessages() {
        Shell.Result probe = Shell.run(dir, Map.of("LC_ALL", GERMAN), List.of("cat", "/nonexistent"), 30);
        boolean german = !probe.err().contains("No such file or directory");
        if ("true".equals(System.getenv("CI"))) {
            assertTrue(
                    german,
                    "CI=true but " + GERMAN + " gives no German messages (run .ci/install-test-deps): " + probe.err());
        } else {
            io.chunkfs.testing.Requirement.require(german, GERMAN + " gives no German messages on this machine");
        }
    }

    @Test
    void aFullDiskIsEnospcWhateverTheLanguageOfMessages() throws Exception {
        MountFixture.requireFuse();
        requireGermanMessages();
        Path disk = Files.createDirectories(dir.resolve("disk"));
        Shell.run(dir, Map.of(), List.of("mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", disk.toString()), 30)
                .ok();
        try {
            Files.writeString(disk.resolve("filler"), "x".repeat(6 << 20));
            Path big = dir.resolve("big");
            Shell.bash(dir, "head -c 12M /dev/urandom > " + big).ok();
            try (MountFixture fixture = new MountFixture(disk)) {
                fixture.mountWith(List.of(), Map.of("LC_ALL", GERMAN), List.of());
                Shell.Result cp = fixture.sh("cp " + big + " incoming/big");
                assertEquals(1, cp.exit(), cp.toString());
                assertTrue(cp.err().contains("No space left on device"), cp.err());
                Shell.Result python = fixture.sh("python3 -c '\n"
                        + "import sys\n"
                        + "try:\n"
                        + "    with open(\"incoming/big2\", \"wb\") as f:\n"
                        + "        f.write(open(sys.argv[1], \"rb\").read())\n"
                        + "    print(0)\n"
                        + "except OSError as e:\n"
                        + "    print(e.errno)\n' " + big);
                assertEquals("28", python.ok().out().strip(), python.toString());
                assertTrue(fixture.verify().ok());
            }
            // The command line too: one English line, whatever LC_MESSAGES says.
            Shell.Result put = Shell.run(
                    dir,
                    Map.of("LC_ALL", GERMAN),
                    List.of(
                            "java",
                            "-jar",
                            Shell.JAR,
                            "-s",
                            disk.resolve("store").toString(),
                            "put",
                            big.toString()),
                    120);
            assertEquals(1, put.exit(), put.toString());
            assertTrue(put.err().contains("No space left on device"), put.err());
            assertFalse(put.err().contains("Speicherplatz"), put.err());
            Shell.chunkfs(dir, "-s", disk.resolve("store").toString(), "verify").ok();
        } finally {
            Shell.run(dir, Map.of(), List.of("umount", "-l", disk.toString()), 30);
        }
    }
}

package io.chunkfs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkfs.store.Digest;
import io.chunkfs.testing.Await;
import io.chunkfs.testing.Shell;
import io.chunkfs.testing.TestBytes;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The release tarball {@code mvn package} makes, and {@code install-deps}' choice of package names. */
class ReleaseIT {
    private static final Path PROJECT =
            Path.of(System.getProperty("chunkfs.project", ".")).toAbsolutePath();

    /** A folder put first on PATH whose {@code mvn} fails loudly: a release must never build. */
    private static Map<String, String> withoutMaven(Path dir) throws Exception {
        Path bin = Files.createDirectories(dir.resolve("no-maven"));
        Path mvn = Files.writeString(bin.resolve("mvn"), "#!/bin/sh\necho 'mvn must not run' >&2\nexit 99\n");
        Files.setPosixFilePermissions(mvn, PosixFilePermissions.fromString("rwxr-xr-x"));
        return Map.of("PATH", bin + ":" + System.getenv("PATH"));
    }

    /** Unpacks the release tarball into {@code dir} and returns its folder. */
    private static Path unpack(Path dir) throws Exception {
        Path tarball;
        try (Stream<Path> files = Files.list(PROJECT.resolve("target"))) {
            tarball = files.filter(file -> file.getFileName().toString().matches("chunkfs-.*-release\\.tar\\.gz"))
                    .findFirst()
                    .orElseThrow(() -> new AssertionError("mvn package made no release tarball"));
        }
        Shell.run(dir, Map.of(), List.of("tar", "-xzf", tarball.toString()), 60).ok();
        try (Stream<Path> folders = Files.list(dir)) {
            return folders.filter(folder -> folder.getFileName().toString().startsWith("chunkfs-"))
                    .findFirst()
                    .orElseThrow();
        }
    }

    @Test
    void theTarballRunsWithOnlyAJavaRuntime(@TempDir Path dir) throws Exception {
        Path release = unpack(dir);
        for (String file : List.of(
                "chunkfs.jar",
                "chunkfs",
                "mount.chunkfs",
                "install-deps",
                "chunkfs-mount@.service",
                "chunkfs-verify@.service",
                "chunkfs-verify@.timer",
                "README.md")) {
            assertTrue(Files.isRegularFile(release.resolve(file)), file + " is in the tarball");
        }
        for (String script : List.of("chunkfs", "mount.chunkfs", "install-deps")) {
            assertTrue(Files.isExecutable(release.resolve(script)), script + " is executable");
        }
        Map<String, String> environment = withoutMaven(dir);
        // Through a symlink on PATH, as the README installs it.
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Files.createSymbolicLink(bin.resolve("chunkfs"), release.resolve("chunkfs"));
        Files.writeString(dir.resolve("f"), "released");
        Shell.Result put = Shell.run(
                        dir, environment, List.of(bin.resolve("chunkfs").toString(), "-s", "store", "put", "f"), 120)
                .ok();
        assertEquals(Digest.sha256("released".getBytes(StandardCharsets.UTF_8)) + "  f\n", put.out());
        assertEquals(
                "",
                Shell.run(
                                dir,
                                environment,
                                List.of(release.resolve("install-deps").toString(), "--dry-run"),
                                60)
                        .ok()
                        .out(),
                "with libfuse and a Java runtime present, a release needs nothing (no JDK, no Maven)");

        boolean fuse = Files.exists(Path.of("/dev/fuse")) && Files.exists(Path.of("/usr/bin/fusermount"));
        io.chunkfs.testing.Requirement.require(fuse, "FUSE is not available on this machine");
        Path mnt = Files.createDirectories(dir.resolve("mnt"));
        Shell.run(
                        dir,
                        environment,
                        List.of(
                                release.resolve("mount.chunkfs").toString(),
                                dir.resolve("store").toString(),
                                mnt.toString(),
                                "-o",
                                "sync=none"),
                        120)
                .ok();
        try {
            // mount.chunkfs goes through the launcher: the serving process runs with its JVM defaults.
            String serving = Shell.bash(dir, "pgrep -f -- '--foreground .*" + mnt + "' | head -1")
                    .ok()
                    .out()
                    .strip();
            String commandLine =
                    Files.readString(Path.of("/proc", serving, "cmdline")).replace('\0', ' ');
            assertTrue(commandLine.contains(" -XX:+UseSerialGC "), commandLine);
            assertFalse(commandLine.contains("TieredStopAtLevel"), "a mount keeps C2: " + commandLine);
            Shell.Result listed = Shell.run(
                            dir,
                            environment,
                            List.of(
                                    "cat",
                                    mnt.resolve(Digest.sha256("released".getBytes(StandardCharsets.UTF_8))
                                                    .prefix())
                                            .resolve(Digest.sha256("released".getBytes(StandardCharsets.UTF_8))
                                                    .toString())
                                            .toString()),
                            30)
                    .ok();
            assertEquals("released", listed.out());
        } finally {
            Shell.run(dir, environment, List.of(release.resolve("chunkfs").toString(), "umount", mnt.toString()), 120)
                    .ok();
            awaitArchive(release);
        }
    }

    /**
     * The command of the tarball's {@code chunkfs-verify@.service}, run as systemd would run it for the store's
     * instance: {@code %f} is the store path, {@code CHUNKFS_BIN} the launcher, with the unit's environment.
     * A damaged chunk makes it exit 1 (the service shows failed) with the summary on stdout (the journal).
     */
    @Test
    void theVerifyServiceRunsVerifyOnItsInstancesStore(@TempDir Path dir) throws Exception {
        Path release = unpack(dir);
        List<String> unit = Files.readAllLines(release.resolve("chunkfs-verify@.service"));
        Matcher exec = Pattern.compile("ExecStart=/bin/sh -c '([^']*)' (\\S+) %f")
                .matcher(unit.stream()
                        .filter(line -> line.startsWith("ExecStart="))
                        .findFirst()
                        .orElseThrow());
        assertTrue(exec.matches(), exec.toString());
        Map<String, String> environment = new HashMap<>(withoutMaven(dir));
        environment.put("CHUNKFS_BIN", release.resolve("chunkfs").toString());
        environment.put("CHUNKFS_CDS", "off");
        assertTrue(unit.contains("Environment=CHUNKFS_CDS=off"), "the unit's environment, as set here");
        // A store path with a space: the unit hands it to the shell as an argument, which no shell re-reads.
        Path store = dir.resolve("the store");
        Files.writeString(dir.resolve("f"), "verified weekly");
        Shell.run(
                        dir,
                        environment,
                        List.of(release.resolve("chunkfs").toString(), "-s", store.toString(), "put", "f"),
                        120)
                .ok();
        List<String> command = List.of("/bin/sh", "-c", exec.group(1), exec.group(2), store.toString());
        assertTrue(
                Shell.run(dir, environment, command, 120).ok().out().contains(": 0 bad, 0 damaged entries, 0 missing"));

        Digest digest = Digest.sha256("verified weekly".getBytes(StandardCharsets.UTF_8));
        Path chunk = store.resolve(".chunks").resolve(digest.prefix()).resolve(digest.toString());
        Files.setPosixFilePermissions(chunk, PosixFilePermissions.fromString("rw-r--r--"));
        Files.writeString(chunk, "verified weakly");
        Shell.Result damaged = Shell.run(dir, environment, command, 120);
        assertEquals(1, damaged.exit(), damaged.err());
        assertTrue(damaged.out().contains(": 1 bad, 0 damaged entries, 0 missing"), damaged.out());
        assertTrue(damaged.out().contains("bad: " + digest), damaged.out());
    }

    private static final Duration TRAINING = Duration.ofMinutes(3);

    /** Waits until the launcher's background training is over (before the folder is deleted). */
    private static Path awaitArchive(Path release) throws Exception {
        Await.until(
                TRAINING,
                "the launcher's training run ends",
                () -> files(release, ".training").isEmpty());
        List<Path> archives = files(release, ".jsa");
        assertEquals(1, archives.size(), "one archive beside the jar: " + archives);
        return archives.get(0);
    }

    private static List<Path> files(Path folder, String suffix) throws Exception {
        try (Stream<Path> files = Files.list(folder)) {
            return files.filter(file -> file.getFileName().toString().endsWith(suffix))
                    .toList();
        }
    }

    /** What {@code chunkfs} prints and which classes it took from the archive, with extra JVM options. */
    private static Shell.Result launch(Path dir, Path release, String javaOptions, String... args) {
        List<String> command =
                new ArrayList<>(List.of(release.resolve("chunkfs").toString()));
        command.addAll(List.of(args));
        Map<String, String> environment = new HashMap<>(Map.of("CHUNKFS_JAVA_OPTS", javaOptions));
        return Shell.run(dir, environment, command, 120);
    }

    private static String loadedClasses(Path dir, Path release, String... args) throws Exception {
        Path log = dir.resolve("classes.log");
        Files.deleteIfExists(log);
        Shell.Result stats =
                launch(dir, release, "-Xlog:class+load:file=" + log, args).ok();
        assertEquals("", stats.err());
        return Files.readString(log);
    }

    @Test
    void theLauncherMakesAClassDataArchiveOnceAndStartsFromIt(@TempDir Path dir) throws Exception {
        Path release = unpack(dir);
        Files.writeString(dir.resolve("f"), "archived");
        String digest =
                Digest.sha256("archived".getBytes(StandardCharsets.UTF_8)).toString();
        Shell.Result first = launch(dir, release, "", "-s", "store", "put", "f").ok();
        assertEquals(digest + "  f\n", first.out());
        assertEquals("", first.err(), "the first run says nothing of the archive it starts making");
        Path archive = awaitArchive(release);

        String fromArchive = "io.chunkfs.cli.StatsCommand source: shared objects file (top)";
        assertTrue(loadedClasses(dir, release, "-s", "store", "stats").contains(fromArchive));
        Map<String, String> off = Map.of("CHUNKFS_CDS", "off");
        Shell.Result withoutArchive = Shell.run(
                        dir, off, List.of(release.resolve("chunkfs").toString(), "-s", "store", "touch", digest), 120)
                .ok();
        assertEquals("", withoutArchive.err());

        // The archive of another jar (this one, elsewhere) under the name the launcher expects, then a
        // damaged one: the JVM refuses both, silently, and the command runs as without an archive.
        Path other = Files.createDirectories(dir.resolve("other"));
        Files.copy(release.resolve("chunkfs"), other.resolve("chunkfs"), StandardCopyOption.COPY_ATTRIBUTES);
        Files.copy(release.resolve("chunkfs.jar"), other.resolve("chunkfs.jar"));
        Path foreign = Files.move(archive, other.resolve(expectedArchiveName(dir, other)));
        String classes = loadedClasses(dir, other, "-s", "store", "stats");
        assertFalse(classes.contains("(top)"), "an archive of another jar is not used");
        assertTrue(classes.contains("io.chunkfs.cli.StatsCommand source: file:"), "the jar is used instead");
        assertEquals(List.of(foreign), files(other, ".jsa"), "and no other is made");

        Files.setPosixFilePermissions(foreign, PosixFilePermissions.fromString("rw-r--r--"));
        Files.write(foreign, TestBytes.random(100_000, 3));
        Shell.Result damaged = launch(dir, other, "", "-s", "store", "stats").ok();
        assertEquals("", damaged.err());
        assertTrue(damaged.out().contains("chunks: 1\n"), damaged.out());
    }

    /** The name the launcher gives the archive of the jar in {@code release} and the java on PATH. */
    private static String expectedArchiveName(Path dir, Path release) {
        String stamp = Shell.bash(
                        dir, "stat -L -c %s-%Y-%i " + release.resolve("chunkfs.jar") + " \"$(command -v java)\"")
                .ok()
                .out()
                .strip()
                .replace('\n', '-');
        return "chunkfs-" + stamp + ".jsa";
    }

    @Test
    void theLauncherAppliesItsJvmDefaultsAndTheUsersOptionsWin(@TempDir Path dir) throws Exception {
        Path release = unpack(dir);
        Files.writeString(dir.resolve("f"), "flags");
        String put = launch(dir, release, "-XX:+PrintFlagsFinal", "-s", "store", "put", "f")
                .ok()
                .out();
        assertTrue(put.matches("(?s).*\\bTieredStopAtLevel\\s+= 4\\b.*"), "C2 for put, which hashes");
        String stats = launch(dir, release, "-XX:+PrintFlagsFinal", "-s", "store", "stats")
                .ok()
                .out();
        assertTrue(stats.matches("(?s).*\\bUseSerialGC\\s+= true\\b.*"), "the serial collector");
        assertTrue(stats.matches("(?s).*\\bTieredStopAtLevel\\s+= 1\\b.*"), "C1 only for stats");
        Shell.Result parallel = launch(dir, release, "-XX:+UseParallelGC -XX:+PrintFlagsFinal", "-s", "store", "stats")
                .ok();
        assertTrue(parallel.out().matches("(?s).*\\bUseParallelGC\\s+= true\\b.*"), "the user's collector");
        assertTrue(parallel.out().matches("(?s).*\\bUseSerialGC\\s+= false\\b.*"));
        assertEquals("", parallel.err());
        awaitArchive(release);
    }

    /** Fakes of ldconfig (no libfuse 2 installed) and apt-cache (knowing only {@code known}). */
    private static Map<String, String> aptKnowing(Path dir, String known) throws Exception {
        Path bin = Files.createDirectories(dir.resolve("apt-" + known));
        Path ldconfig = Files.writeString(bin.resolve("ldconfig"), "#!/bin/sh\nexit 0\n");
        Path aptCache = Files.writeString(
                bin.resolve("apt-cache"),
                "#!/bin/sh\n"
                        + "[ \"$1\" = policy ] || exit 1\n"
                        + "if [ \"$2\" = " + known
                        + " ]; then printf '%s:\\n  Installed: (none)\\n  Candidate: 1.0\\n' \"$2\"; "
                        + "else printf '%s:\\n  Installed: (none)\\n  Candidate: (none)\\n' \"$2\"; fi\n");
        for (Path fake : List.of(ldconfig, aptCache)) {
            Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        return Map.of("PATH", bin + ":" + System.getenv("PATH"));
    }

    @Test
    void installDepsPicksTheLibfuseTheDistributionHas(@TempDir Path dir) throws Exception {
        io.chunkfs.testing.Requirement.require(
                hasJdkAndMaven(dir), "the checkout's install-deps would also want a JDK or Maven here");
        Path installDeps = PROJECT.resolve("mount-scripts/install-deps");
        assertEquals(
                "libfuse2t64\n",
                Shell.run(dir, aptKnowing(dir, "libfuse2t64"), List.of(installDeps.toString(), "--dry-run"), 60)
                        .ok()
                        .out(),
                "Debian 13, Ubuntu 24.04");
        assertEquals(
                "libfuse2\n",
                Shell.run(dir, aptKnowing(dir, "libfuse2"), List.of(installDeps.toString(), "--dry-run"), 60)
                        .ok()
                        .out(),
                "Debian 12, Ubuntu 22.04");
        Shell.Result neither =
                Shell.run(dir, aptKnowing(dir, "nothing"), List.of(installDeps.toString(), "--dry-run"), 60);
        assertEquals(1, neither.exit());
        assertTrue(neither.err().contains("none of libfuse2t64 libfuse2 is known to apt"), neither.err());
        assertEquals(
                2,
                Shell.run(dir, Map.of(), List.of(installDeps.toString(), "--bogus"), 60)
                        .exit());
    }

    private static boolean hasJdkAndMaven(Path dir) {
        return Shell.bash(dir, "command -v javac && command -v mvn && command -v fusermount && command -v getfattr")
                        .exit()
                == 0;
    }
}

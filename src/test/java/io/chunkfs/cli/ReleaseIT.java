package io.chunkfs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkfs.store.Digest;
import io.chunkfs.testing.Shell;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
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

    @Test
    void theTarballRunsWithOnlyAJavaRuntime(@TempDir Path dir) throws Exception {
        Path tarball;
        try (Stream<Path> files = Files.list(PROJECT.resolve("target"))) {
            tarball = files.filter(file -> file.getFileName().toString().matches("chunkfs-.*-release\\.tar\\.gz"))
                    .findFirst()
                    .orElseThrow(() -> new AssertionError("mvn package made no release tarball"));
        }
        Shell.run(dir, Map.of(), List.of("tar", "-xzf", tarball.toString()), 60).ok();
        Path release;
        try (Stream<Path> folders = Files.list(dir)) {
            release = folders.filter(folder -> folder.getFileName().toString().startsWith("chunkfs-"))
                    .findFirst()
                    .orElseThrow();
        }
        for (String file : List.of(
                "chunkfs.jar", "chunkfs", "mount.chunkfs", "install-deps", "chunkfs-mount@.service", "README.md")) {
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
        }
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

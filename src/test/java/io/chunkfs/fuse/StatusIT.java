package io.chunkfs.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkfs.store.Digest;
import io.chunkfs.store.VerifyResult;
import io.chunkfs.testing.Shell;
import io.chunkfs.testing.StorePaths;
import io.chunkfs.testing.TestBytes;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code chunkfs status} asked of a mount while writers, a held-open file and a damaged chunk keep it busy. */
class StatusIT {
    static final int WRITERS = 4;
    static final int FILES_EACH = 40;
    static final int FILE_SIZE = 128 * 1024;

    /** Runs {@code chunkfs status MOUNT --json} and prints the named fields with Python's json module. */
    private static Shell.Result status(MountFixture mount, String pythonFields) {
        return Shell.bash(
                mount.dir,
                "java -jar " + Shell.JAR + " status " + mount.mnt + " --json | python3 -c '"
                        + "import json, sys; d = json.load(sys.stdin); print(" + pythonFields.replace('\'', '"')
                        + ")'");
    }

    @Test
    void statusReportsALoadedMount(@TempDir Path dir) throws Exception {
        Process holder = null;
        try (MountFixture mount = new MountFixture(dir).mount()) {
            // A chunk damaged on disk before anything read it: the read fails and status names it.
            byte[] victim = TestBytes.random(50_000, 8);
            Files.write(dir.resolve("victim"), victim);
            mount.sh("cp " + dir.resolve("victim") + " incoming/victim").ok();
            Digest damaged = Digest.sha256(victim);
            Path chunkFile = StorePaths.chunk(mount.store, damaged);
            chunkFile.toFile().setWritable(true);
            victim[100] ^= 1;
            Files.write(chunkFile, victim);
            assertTrue(mount.sh("cat " + damaged.prefix() + "/" + damaged + " > /dev/null")
                    .fails()
                    .err()
                    .contains("Input/output error"));
            mount.sh("echo refused > 00/not-here").fails();

            // One file held open with bytes not yet committed, and writers running beside it.
            holder = new ProcessBuilder(
                            "python3",
                            "-c",
                            "import os, sys\n"
                                    + "fd = os.open('incoming/held', os.O_WRONLY | os.O_CREAT, 0o644)\n"
                                    + "os.write(fd, b'x' * 12345)\nprint('ready', flush=True)\nsys.stdin.readline()\nos.close(fd)\n")
                    .directory(mount.mnt.toFile())
                    .start();
            BufferedReader holderOut =
                    new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
            assertEquals("ready", holderOut.readLine());
            StringBuilder load = new StringBuilder();
            for (int w = 0; w < WRITERS; w++) {
                load.append("for i in $(seq ")
                        .append(FILES_EACH)
                        .append("); do head -c ")
                        .append(FILE_SIZE)
                        .append(" /dev/urandom > incoming/w")
                        .append(w)
                        .append("-$i || exit 1; done &\n");
            }
            load.append("wait\n");
            Process writers = new ProcessBuilder("bash", "-c", "set -e\n" + load)
                    .directory(mount.mnt.toFile())
                    .redirectError(ProcessBuilder.Redirect.INHERIT)
                    .start();

            int answeredDuringLoad = 0;
            long lastCommits = -1;
            do {
                long started = System.nanoTime();
                Shell.Result during = status(
                                mount,
                                "d['open_files']['incoming'], d['files_with_uncommitted_bytes'], "
                                        + "[(p['name'], p['size'], p['uncommitted']) for p in d['pending_files'] if p['name'] == 'held'], "
                                        + "d['commits']")
                        .ok();
                assertTrue(
                        System.nanoTime() - started < TimeUnit.SECONDS.toNanos(20),
                        "status answers promptly under load");
                String[] fields = during.out().strip().split(" ", 3);
                assertTrue(Integer.parseInt(fields[0]) >= 1, "the held file is open: " + during.out());
                assertTrue(Integer.parseInt(fields[1]) >= 1, "the held file has uncommitted bytes: " + during.out());
                assertTrue(fields[2].startsWith("[('held', 12345, True)]"), during.out());
                long commits = Long.parseLong(fields[2].substring(fields[2].lastIndexOf(' ') + 1));
                assertTrue(commits >= lastCommits, "commits only grow");
                lastCommits = commits;
                answeredDuringLoad++;
            } while (writers.isAlive() && answeredDuringLoad < 20);
            assertTrue(writers.waitFor(120, TimeUnit.SECONDS));
            assertEquals(0, writers.exitValue());
            OutputStream release = holder.getOutputStream();
            release.write('\n');
            release.close();
            assertTrue(holder.waitFor(30, TimeUnit.SECONDS));
            assertEquals(0, holder.exitValue());

            int files = WRITERS * FILES_EACH;
            Shell.Result after = status(
                            mount,
                            "d['commits'], d['committed_bytes'], d['open_files']['incoming'], "
                                    + "d['files_being_written'], d['verify_failures'], ' '.join(d['suspect_chunks']), "
                                    + "d['errors_by_errno'].get('EACCES', 0), d['errors_by_errno'].get('EIO', 0), "
                                    + "d['seconds_since_sync'] is not None and d['seconds_since_sync'] < 600, d['options']['sync'], "
                                    + "d['store'] == '" + mount.store + "'")
                    .ok();
            String[] fields = after.out().strip().split(" ");
            // Each head > FILE commits once; the victim and the held file once each.
            assertTrue(Long.parseLong(fields[0]) >= files + 2, after.out());
            assertTrue(Long.parseLong(fields[1]) >= (long) files * FILE_SIZE + victim.length + 12345, after.out());
            assertEquals(List.of("0", "0"), List.of(fields).subList(2, 4), "nothing open any more: " + after.out());
            // Every read of the damaged chunk fails (cat's and the kernel's retry): at least one failure, one suspect.
            assertTrue(Long.parseLong(fields[4]) >= 1, after.out());
            assertEquals(damaged.toString(), fields[5], after.out());
            assertTrue(Long.parseLong(fields[6]) >= 1, "the refused create counts as EACCES: " + after.out());
            assertTrue(Long.parseLong(fields[7]) >= 1, "the damaged read counts as EIO: " + after.out());
            assertEquals(List.of("True", "file", "True"), List.of(fields).subList(8, 11), after.out());

            Shell.Result text =
                    Shell.chunkfs(dir, "status", mount.mnt.toString()).ok();
            assertTrue(text.out().contains("since mount: "), text.out());
            assertTrue(text.out().contains(damaged.toString()), text.out());
            String socket = mount.sh("getfattr --only-values -n user.chunkfs.control .")
                    .ok()
                    .out();
            assertEquals(
                    "700",
                    mount.sh("stat -c %a " + Path.of(socket).getParent())
                            .ok()
                            .out()
                            .strip(),
                    "only the owner reaches the control socket");
            assertTrue(
                    Shell.chunkfs(dir, "status", dir.toString()).fails().err().contains("is not a chunkfs mount"));

            mount.unmount();
            assertTrue(!Files.exists(Path.of(socket)), "the control socket goes with the mount");
            // A mount killed with -9 leaves its socket folder behind: the next mount clears it.
            Path stale = Files.createDirectories(Path.of(socket)
                    .getParent()
                    .getParent()
                    .resolve("chunkfs-stale-" + ProcessHandle.current().pid()));
            try (ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
                dead.bind(UnixDomainSocketAddress.of(stale.resolve("control.sock")));
            }
            assertTrue(Files.exists(stale.resolve("control.sock")));
            mount.mount();
            assertTrue(!Files.exists(stale), "a stale control socket folder is removed");
            Shell.chunkfs(dir, "status", mount.mnt.toString()).ok();
            mount.unmount();
            // The read that found the damage set the chunk aside already, as verify would have.
            assertTrue(
                    Files.exists(StorePaths.chunks(mount.store)
                            .resolve(damaged.prefix())
                            .resolve(damaged + ".0.bad")),
                    "the damaged chunk was set aside by the read");
            VerifyResult verified = mount.verify();
            assertEquals(List.of(), verified.bad(), "nothing else is bad");
        } finally {
            if (holder != null) {
                holder.destroyForcibly();
            }
        }
    }

    @Test
    void onlyTheMountingUserMayAsk(@TempDir Path dir) throws Exception {
        boolean root = "0".equals(Shell.bash(dir, "id -u").out().strip());
        if (!"true".equals(System.getenv("CI"))) {
            io.chunkfs.testing.Requirement.require(root, "needs root to create a second user");
        }
        Shell.bash(
                        dir,
                        "id " + SecurityIT.USER + " >/dev/null 2>&1 || useradd --no-create-home --shell "
                                + "/usr/sbin/nologin " + SecurityIT.USER)
                .ok();
        // The other user reaches the jar, the mount (allow_other) and its root attribute, but not the socket.
        java.nio.file.Files.setPosixFilePermissions(
                dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        Path jar = java.nio.file.Files.copy(Path.of(Shell.JAR), dir.resolve("chunkfs.jar"));
        try (MountFixture mount = new MountFixture(dir).mount("allow_other")) {
            Shell.Result other = Shell.run(
                    dir,
                    java.util.Map.of(),
                    List.of(
                            "runuser",
                            "-u",
                            SecurityIT.USER,
                            "--",
                            "java",
                            "-jar",
                            jar.toString(),
                            "status",
                            mount.mnt.toString()),
                    60);
            assertEquals(1, other.exit(), other.out());
            assertTrue(other.err().contains("only the user who mounted it may ask"), other.err());
            assertEquals("", other.out());
            Shell.chunkfs(dir, "status", mount.mnt.toString()).ok();
        }
    }
}

package io.chunkfs.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkfs.store.Digest;
import io.chunkfs.testing.Shell;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 16 writers and 16 readers on one mount for a while: no error, no lost file, flat memory, and the
 * mount's open file descriptors back to where they started. Runs 20 s in the normal suite; set
 * {@code -Dsoak=1h} (any duration like 90s, 10m) for a long run by hand.
 */
class LoadIT {
    @TempDir
    Path dir;

    @Test
    void sixteenWritersAndSixteenReaders() throws Exception {
        Duration length = io.chunkfs.cli.DurationConverter.parse(System.getProperty("soak", "20s"));
        try (MountFixture fixture = new MountFixture(dir).mountWithJvm(List.of("-Xmx256m"))) {
            Path sources = Files.createDirectories(dir.resolve("sources"));
            for (int i = 0; i < 64; i++) {
                Shell.bash(sources, "head -c " + ((i % 16 + 1) * 37_000) + " /dev/urandom > s" + i)
                        .ok();
            }
            fixture.sh("for i in $(seq 0 63); do cp " + sources + "/s$i incoming/seed$i; done")
                    .ok();
            long fdsBefore = openFds(fixture.pid());
            long deadline = System.currentTimeMillis() + length.toMillis();
            // Writers copy the sources under new names; readers check seed receipts and chunks with sha256sum.
            String writer = "n=0; while [ $(date +%s%3N) -lt " + deadline + " ]; do n=$((n+1)); i=$(( (n + W) % 64 )); "
                    + "cp " + sources + "/s$i incoming/w$W-$n || { echo FAIL cp $i; exit 1; }; "
                    + "echo w$W-$n s$i >> " + dir + "/written-$W; done";
            String reader = "while [ $(date +%s%3N) -lt " + deadline + " ]; do i=$((RANDOM % 64)); "
                    + "a=$(sha256sum < incoming/seed$i | cut -c1-64) && b=$(sha256sum < " + sources
                    + "/s$i | cut -c1-64) "
                    + "&& [ \"$a\" = \"$b\" ] && cat ${a:0:2}/$a | cmp -s - " + sources
                    + "/s$i || { echo FAIL read $i; exit 1; }; done";
            List<Process> workers = new ArrayList<>();
            long rssAfterWarmUp = 0;
            for (int w = 0; w < 16; w++) {
                workers.add(start(fixture, writer, w));
                workers.add(start(fixture, reader, w));
            }
            Thread.sleep(Math.min(5_000, length.toMillis() / 4)); // warm-up: memory measured after it, not as sync
            rssAfterWarmUp = rssKb(fixture.pid());
            long peakRss = rssAfterWarmUp;
            while (workers.stream().anyMatch(Process::isAlive)) {
                peakRss = Math.max(peakRss, rssKb(fixture.pid()));
                workers.get(0).waitFor(1, TimeUnit.SECONDS);
            }
            for (Process worker : workers) {
                String output = new String(worker.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertEquals(0, worker.exitValue(), output);
            }
            long files = 0;
            Map<String, Digest> receipts = fixture.receipts();
            for (int w = 0; w < 16; w++) {
                Path written = dir.resolve("written-" + w);
                if (!Files.exists(written)) {
                    continue;
                }
                for (String line : Files.readAllLines(written)) {
                    String[] parts = line.split(" ");
                    Digest expected = Digest.sha256(Files.readAllBytes(sources.resolve(parts[1])));
                    assertEquals(expected, receipts.get(parts[0]), "receipt of " + parts[0]);
                    files++;
                }
            }
            assertTrue(files > 100, "writers got through: " + files);
            long fdsAfter = openFds(fixture.pid());
            assertTrue(
                    fdsAfter <= fdsBefore + 2,
                    "open descriptors back to baseline: before " + fdsBefore + ", after " + fdsAfter);
            assertTrue(
                    peakRss < rssAfterWarmUp * 2 + 100_000,
                    "memory stays flat: RSS after warm-up " + rssAfterWarmUp + " KiB, peak " + peakRss + " KiB");
            assertTrue(fixture.verify().ok());
            System.out.printf(
                    Locale.ROOT,
                    "LoadIT: %s, %d files written, RSS %d -> %d KiB, fds %d -> %d%n",
                    length,
                    files,
                    rssAfterWarmUp,
                    peakRss,
                    fdsBefore,
                    fdsAfter);
        }
    }

    private static Process start(MountFixture fixture, String script, int w) throws Exception {
        ProcessBuilder builder = new ProcessBuilder("bash", "-c", script)
                .directory(fixture.mnt.toFile())
                .redirectErrorStream(true);
        builder.environment().put("W", Integer.toString(w));
        return builder.start();
    }

    private static long openFds(long pid) throws Exception {
        try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
            return fds.count();
        }
    }

    private static long rssKb(long pid) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", ""));
            }
        }
        return 0;
    }
}

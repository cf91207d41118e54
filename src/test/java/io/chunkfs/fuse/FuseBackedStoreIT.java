package io.chunkfs.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkfs.testing.Await;
import io.chunkfs.testing.Requirement;
import io.chunkfs.testing.Shell;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A store inside a FUSE file system, where {@code syncfs(2)} reaches nothing: a bindfs mount run with {@code -d},
 * whose request log shows what the store asked of it. Under {@code sync=filesystem}, the store sync that an
 * {@code fsync} through the chunkfs mount owes must fsync every chunk file it covers (a {@code syncfs} would
 * send bindfs nothing, and a power cut would leave those chunks empty), and {@code init} and the mount say in
 * one line that durability there is only as good as that file system's.
 */
class FuseBackedStoreIT {
    /** libfuse's debug lines for an open or create that succeeded: the handle, then the path. */
    private static final Pattern OPENED =
            Pattern.compile("^\\s*(?:open|create)\\[(\\d+)\\] flags: 0x\\p{XDigit}+ (\\S+)");

    private static final Pattern FSYNC = Pattern.compile("^\\s*fsync\\[(\\d+)\\] datasync: \\d");

    @TempDir
    Path dir;

    @Test
    void theStoreSyncFsyncsEveryChunkItCoversOnAFuseFileSystem() throws Exception {
        MountFixture.requireFuse();
        Path plain = Files.createDirectories(dir.resolve("plain"));
        Path bind = Files.createDirectories(dir.resolve("bind"));
        Path bindLog = dir.resolve("bindfs.log");
        Process bindfs;
        try {
            bindfs = new ProcessBuilder("bindfs", "-d", plain.toString(), bind.toString())
                    .redirectErrorStream(true)
                    .redirectOutput(bindLog.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .start();
        } catch (java.io.IOException e) {
            Requirement.require(false, "bindfs is not available: " + e.getMessage());
            return;
        }
        try {
            Await.until(Duration.ofSeconds(30), "the bindfs mount", () -> {
                if (!bindfs.isAlive()) {
                    throw new AssertionError("bindfs exited: " + Files.readString(bindLog));
                }
                return MountTable.typeAt(bind).isPresent();
            });
            Path store = bind.resolve("store");
            Shell.Result init =
                    Shell.chunkfs(dir, "-s", store.toString(), "init").ok();
            assertTrue(
                    init.err().contains("is on a FUSE file system")
                            && init.err().contains("only as good as"),
                    "init says durability is the FUSE file system's: " + init.err());
            assertEquals(1, init.err().lines().count(), init.err());

            int files = 40;
            Set<String> chunkPaths = new TreeSet<>();
            try (MountFixture fixture = new MountFixture(dir, store).mount("sync=filesystem")) {
                fixture.sh("for i in $(seq 1 " + files + "); do head -c $((1000 + i)) /dev/urandom > incoming/f$i;"
                                + " done")
                        .ok();
                String digests = fixture.sh(
                                "for f in incoming/f*; do getfattr --only-values -n user.chunkfs.digest \"$f\"; echo; done")
                        .ok()
                        .out();
                digests.lines()
                        .filter(line -> line.matches("\\p{XDigit}{64}"))
                        .forEach(digest -> chunkPaths.add("/store/.chunks/" + digest.substring(0, 2) + "/" + digest));
                assertEquals(files, chunkPaths.size(), digests);
                // The fsync a user makes to have everything acknowledged so far durable.
                fixture.sh("python3 -c 'import os; fd = os.open(\"incoming/f1\", os.O_RDONLY); os.fsync(fd);"
                                + " os.close(fd)'")
                        .ok();
                Set<String> synced = fsyncedPaths(bindLog);
                Set<String> missing = new TreeSet<>(chunkPaths);
                missing.removeAll(synced);
                assertTrue(
                        missing.isEmpty(),
                        "bindfs saw no FSYNC for " + missing.size() + " of " + files + " chunk files: " + missing);
                assertTrue(
                        Files.readString(fixture.log).contains("is on a FUSE file system"),
                        "the mount's log says durability is the FUSE file system's");
            }
        } finally {
            Shell.run(dir, Map.of(), List.of("fusermount", "-u", bind.toString()), 60);
            Await.exit(bindfs, Duration.ofSeconds(30));
        }
    }

    /** Every path that got an FSYNC, from bindfs's debug log (handles are reused after release: read in order). */
    private static Set<String> fsyncedPaths(Path log) throws java.io.IOException {
        Map<String, String> pathOfHandle = new HashMap<>();
        Set<String> synced = new HashSet<>();
        for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
            Matcher opened = OPENED.matcher(line);
            if (opened.find()) {
                pathOfHandle.put(opened.group(1), opened.group(2));
                continue;
            }
            Matcher fsync = FSYNC.matcher(line);
            if (fsync.find() && pathOfHandle.containsKey(fsync.group(1))) {
                synced.add(pathOfHandle.get(fsync.group(1)));
            }
        }
        return synced;
    }
}

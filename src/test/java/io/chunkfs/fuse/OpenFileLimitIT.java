package io.chunkfs.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.chunkfs.Stores;
import io.chunkfs.store.ChunkStore;
import io.chunkfs.store.Digest;
import io.chunkfs.store.StoreOptions;
import io.chunkfs.store.SyncLevel;
import io.chunkfs.testing.Shell;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 2,000 readers holding chunks open against a mount started with a low soft limit on descriptors
 * (issue 10, item 5). Every open chunk holds a descriptor in the mount process; the mount raises its soft
 * limit to the hard one, and beyond the hard limit an open fails with EMFILE, not EIO.
 */
class OpenFileLimitIT {
    private static final int CHUNKS = 2000;
    /**
     * HotSpot raises the soft limit by itself unless told not to: the mount runs without that help, as on
     * JVMs that lack it, so that what is tested is chunkfs's own raise.
     */
    private static final List<String> NO_JVM_RAISE = List.of("-XX:-MaxFDLimit");
    /**
     * Opens every chunk listed in argv[1], reads a byte of each and holds them all open; prints "ok N",
     * then "open errno E N" and "read errno E N" per failing errno.
     */
    private static final String OPEN_ALL = String.join(
            "\n",
            "import collections, os, resource, sys",
            "soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)",
            "if soft < 4096:",
            "    resource.setrlimit(resource.RLIMIT_NOFILE, (min(4096, hard), hard))",
            "held, errors = [], collections.Counter()",
            "for name in open(sys.argv[1]).read().split():",
            "    try:",
            "        fd = os.open(name, os.O_RDONLY)",
            "    except OSError as e:",
            "        errors['open', e.errno] += 1",
            "        continue",
            "    held.append(fd)",
            "    try:",
            "        os.read(fd, 1)",
            "    except OSError as e:",
            "        errors['read', e.errno] += 1",
            "print('ok', len(held) - sum(n for (call, _), n in errors.items() if call == 'read'))",
            "for (call, errno), count in sorted(errors.items()):",
            "    print(call, 'errno', errno, count)",
            "for fd in held:",
            "    try:",
            "        os.close(fd)",
            "    except OSError as e:",
            "        print('close errno', e.errno)",
            "");

    @TempDir
    Path dir;

    /** 2,000 chunks in the store before it is mounted (unsynced: this is about reading), and their names. */
    @BeforeEach
    void chunks() throws Exception {
        MountFixture.requireFuse();
        Path store = dir.resolve("store");
        Stores.init(store);
        StringBuilder names = new StringBuilder();
        try (ChunkStore opened = Stores.open(store, StoreOptions.defaults().withSyncLevel(SyncLevel.NONE))) {
            for (int i = 0; i < CHUNKS; i++) {
                Digest digest = opened.insertChunk(("chunk " + i + "\n").getBytes(StandardCharsets.UTF_8))
                        .digest();
                names.append(digest.prefix()).append('/').append(digest).append('\n');
            }
        }
        Files.writeString(dir.resolve("names"), names);
        Files.writeString(dir.resolve("open-all.py"), OPEN_ALL);
    }

    private Shell.Result openAll(MountFixture fixture) {
        return Shell.run(
                        fixture.mnt,
                        Map.of(),
                        List.of(
                                "timeout",
                                "-k",
                                "5",
                                "120",
                                "python3",
                                dir.resolve("open-all.py").toString(),
                                dir.resolve("names").toString()),
                        180)
                .ok();
    }

    private static int count(String output, String regex) {
        Matcher matcher = Pattern.compile(regex, Pattern.MULTILINE).matcher(output);
        return matcher.find() ? Integer.parseInt(matcher.group(1)) : 0;
    }

    @Test
    void allOpensSucceedUnderALowSoftLimit() throws Exception {
        try (MountFixture fixture = new MountFixture(dir)) {
            fixture.mountWith(List.of("prlimit", "--nofile=1024:8192"), Map.of(), NO_JVM_RAISE);
            Shell.Result opened = openAll(fixture);
            assertEquals("ok " + CHUNKS, opened.out().strip(), opened.toString());
            assertTrue(fixture.verify().ok());
        }
    }

    @Test
    void beyondTheHardLimitOpensFailWithEmfileLoggedOnce() throws Exception {
        try (MountFixture fixture = new MountFixture(dir)) {
            fixture.mountWith(List.of("prlimit", "--nofile=1024:1024"), Map.of(), NO_JVM_RAISE);
            Shell.Result opened = openAll(fixture);
            int ok = count(opened.out(), "^ok (\\d+)$");
            int emfile = count(opened.out(), "^open errno 24 (\\d+)$");
            assertTrue(ok > 500 && ok < CHUNKS, opened.toString());
            assertEquals(CHUNKS, ok + emfile, "every failure is EMFILE (24), none EIO (5): " + opened);
            // Once the readers let go, the mount serves again.
            String first = Files.readAllLines(dir.resolve("names")).get(0);
            fixture.sh("cat " + first + " > /dev/null").ok();
            String log = Files.readString(fixture.log);
            assertEquals(1, log.lines().filter(line -> line.contains("EMFILE")).count(), log);
            assertTrue(log.lines().anyMatch(line -> line.contains("EMFILE") && line.contains("1024")), log);
            assertTrue(fixture.verify().ok());
        }
    }
}

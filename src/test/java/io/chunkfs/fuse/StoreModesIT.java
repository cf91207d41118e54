package io.chunkfs.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.chunkfs.store.Digest;
import io.chunkfs.testing.Shell;
import io.chunkfs.testing.StorePaths;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Store modes do not follow the umask (issue 10, item 2): folders are writable by the owner only (0755 or
 * 0700), chunks are 0444, and nothing in the store is writable by group or others: the tree's database and the
 * files SQLite keeps beside it (its log, its shared memory) included.
 */
class StoreModesIT {
    @TempDir
    Path dir;

    private static int mode(Path path) throws IOException {
        int mode = 0;
        for (PosixFilePermission permission : Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS)) {
            mode |= 0400 >> permission.ordinal();
        }
        return mode;
    }

    private static String octal(int mode) {
        return String.format(Locale.ROOT, "%04o", mode);
    }

    /** Every folder and file of {@code store} whose mode breaks the rules, as "path mode". */
    private static List<String> wrongModes(Path store) throws IOException {
        List<String> wrong = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(store)) {
            for (Path path : (Iterable<Path>) walk::iterator) {
                if (Files.isSymbolicLink(path)) {
                    continue; // a link's mode means nothing
                }
                int mode = mode(path);
                boolean chunk = path.getParent().getParent() != null
                        && path.getParent().getParent().getFileName().toString().equals(".chunks")
                        && Digest.isValid(path.getFileName().toString());
                boolean ok = Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)
                        ? mode == 0755 || mode == 0700
                        : chunk ? mode == 0444 : (mode & 0022) == 0;
                if (!ok) {
                    wrong.add((path.equals(store) ? "." : store.relativize(path).toString()) + " " + octal(mode));
                }
            }
        }
        return wrong;
    }

    @ParameterizedTest
    @ValueSource(strings = {"002", "022", "077"})
    void initAndPutSetModesWhateverTheUmask(String umask) throws Exception {
        Path store = dir.resolve("store");
        Files.writeString(dir.resolve("f"), "modes under umask " + umask);
        Shell.bash(
                        dir,
                        "umask " + umask + " && java -jar " + Shell.JAR + " -s " + store + " init" + " && java -jar "
                                + Shell.JAR + " -s " + store + " put f")
                .ok();
        Digest digest = Digest.sha256(Files.readAllBytes(dir.resolve("f")));
        assertEquals("0444", octal(mode(StorePaths.chunk(store, digest))), "a chunk under umask " + umask);
        assertEquals(List.of(), wrongModes(store), "under umask " + umask);
    }

    @ParameterizedTest
    @ValueSource(strings = {"002", "077"})
    void aMountSetsModesWhateverTheUmask(String umask) throws Exception {
        Files.writeString(dir.resolve("f"), "through the mount under umask " + umask);
        Digest digest = Digest.sha256(Files.readAllBytes(dir.resolve("f")));
        try (MountFixture fixture = new MountFixture(dir)) {
            // The mount creates the store, its tree (tree.db and its log) and chunks under the umask it was started
            // with.
            fixture.mountWith(
                    List.of("bash", "-c", "umask " + umask + " && exec \"$@\"", "umask"), Map.of(), List.of());
            fixture.sh("cp " + dir.resolve("f") + " incoming/f").ok();
            assertEquals(digest, fixture.receipts().get("f"), "the receipt, in the tree (tree.db)");
            assertEquals("0444", octal(mode(StorePaths.chunk(fixture.store, digest))), "a chunk under umask " + umask);
            assertEquals(List.of(), wrongModes(fixture.store), "under umask " + umask);
        }
    }
}

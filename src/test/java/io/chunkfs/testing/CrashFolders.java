package io.chunkfs.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Where the crash tests write out the states a simulated power cut leaves: on tmpfs when there is one (hundreds of
 * small stores, written and opened once each), else in the test's own folder.
 */
public final class CrashFolders {
    private static final Path TMPFS = Path.of("/dev/shm");

    private CrashFolders() {}

    /** A new folder for crash states: under /dev/shm named {@code prefix}…, else {@code fallback}/crashes. */
    public static Path create(Path fallback, String prefix) throws IOException {
        return Files.isDirectory(TMPFS) && Files.isWritable(TMPFS)
                ? Files.createTempDirectory(TMPFS, prefix)
                : Files.createDirectory(fallback.resolve("crashes"));
    }

    /** Removes {@code tree} and everything in it, if it is there. */
    public static void delete(Path tree) throws IOException {
        if (!Files.exists(tree)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(tree)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }
}

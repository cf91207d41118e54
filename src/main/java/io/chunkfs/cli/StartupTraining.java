package io.chunkfs.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Enumeration;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * The training run behind the launcher's class-data sharing archive: the launcher runs this class once
 * with {@code -XX:ArchiveClassesAtExit}, and every later start maps the classes it loaded, already parsed
 * and verified, instead of reading them from the jar (a JDK 17 CDS archive holds the classes a run
 * loaded, so the run must load what the commands need). It runs the short commands that scripts call in
 * loops on a scratch store, then loads, without initialising them, the classes of chunkfs, picocli and
 * jnr that a mount needs (a mount cannot be trained without FUSE). Not part of the command line.
 */
final class StartupTraining {
    /** Packages whose classes are loaded whole; the AWS SDK and the rest of the jar are left out. */
    private static final List<String> PRELOADED = List.of("io/chunkfs/", "picocli/", "jnr/", "com/kenai/jffi/");

    private StartupTraining() {}

    public static void main(String[] args) throws IOException {
        Path scratch = Files.createTempDirectory("cds-training");
        PrintStream out = System.out;
        PrintStream err = System.err;
        PrintStream nowhere = new PrintStream(OutputStream.nullOutputStream(), false, StandardCharsets.UTF_8);
        ProcessLocale.setUp();
        System.setOut(nowhere);
        System.setErr(nowhere);
        try {
            train(scratch);
        } finally {
            System.setOut(out);
            System.setErr(err);
            deleteTree(scratch);
        }
        preload();
    }

    private static void train(Path scratch) throws IOException {
        String store = scratch.resolve("store").toString();
        Path file = Files.writeString(scratch.resolve("file"), "training");
        String digest = io.chunkfs.store.Digest.sha256("training".getBytes(StandardCharsets.UTF_8))
                .toString();
        String[][] commands = {
            {"--help"},
            {"--version"},
            {"-s", store, "init"},
            {"-s", store, "put", "--sync", "none", file.toString()},
            {"-s", store, "stats"},
            {"-s", store, "stats", "--json"},
            {"-s", store, "touch", digest},
            {"-s", store, "touch", "0".repeat(64)},
            {"-s", store, "get", digest, "-o", scratch.resolve("got").toString()},
            {"-s", store, "receipts"},
            {"-s", store, "receipts", "--json"},
            {"-s", store, "verify"},
            {"-s", store, "gc", "--json"},
            {"status", scratch.toString()},
            {"umount", scratch.toString()},
            {"mount", "--help"},
            {"s3", "--help"},
            {"no-such-command"},
        };
        for (String[] command : commands) {
            Main.run(command);
        }
    }

    private static void preload() throws IOException {
        String classPath = System.getProperty("java.class.path");
        ClassLoader loader = StartupTraining.class.getClassLoader();
        try (JarFile jar = new JarFile(classPath)) {
            for (Enumeration<JarEntry> entries = jar.entries(); entries.hasMoreElements(); ) {
                String name = entries.nextElement().getName();
                if (name.endsWith(".class")
                        && !name.contains("module-info")
                        && PRELOADED.stream().anyMatch(name::startsWith)) {
                    String className =
                            name.substring(0, name.length() - ".class".length()).replace('/', '.');
                    try {
                        Class.forName(className, false, loader);
                    } catch (LinkageError | ClassNotFoundException e) {
                        // an optional dependency that is not in the jar: such a class is never used either
                    }
                }
            }
        }
    }

    private static void deleteTree(Path root) throws IOException {
        List<Path> paths = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(root)) {
            walk.sorted(Comparator.reverseOrder()).forEach(paths::add);
        }
        for (Path path : paths) {
            Files.deleteIfExists(path);
        }
    }
}

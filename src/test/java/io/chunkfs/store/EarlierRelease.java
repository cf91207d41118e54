package io.chunkfs.store;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

/**
 * A class of an earlier release, as that release had it: its source read from the repository's history with
 * {@code git show}, compiled against this build's classes, and loaded in a class loader of its own that defines it
 * rather than asking its parent (which holds this release's class of the same name).
 */
final class EarlierRelease {
    private static final String STORE_FORMAT = "io.chunkfs.store.StoreFormat";

    private EarlierRelease() {}

    /**
     * {@code StoreFormat} of the release at {@code commit}; the test is skipped if git or that commit is not at hand.
     */
    static Class<?> storeFormat(Path work, String commit) throws Exception {
        String source = gitShow(commit, "src/main/java/io/chunkfs/store/StoreFormat.java");
        assumeTrue(source != null, "the repository's history (commit " + commit + ") is not at hand");
        Path sources = Files.createDirectories(work.resolve("earlier-release-src/io/chunkfs/store"));
        Path classes = Files.createDirectories(work.resolve("earlier-release-classes"));
        Path file = sources.resolve("StoreFormat.java");
        Files.writeString(file, source);
        JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
        assumeTrue(compiler != null, "no Java compiler in this runtime");
        ByteArrayOutputStream errors = new ByteArrayOutputStream();
        int status = compiler.run(
                null,
                null,
                errors,
                "-proc:none",
                "-cp",
                System.getProperty("java.class.path"),
                "-d",
                classes.toString(),
                file.toString());
        if (status != 0) {
            throw new AssertionError(
                    "the earlier release's StoreFormat does not compile: " + errors.toString(StandardCharsets.UTF_8));
        }
        byte[] bytes = Files.readAllBytes(classes.resolve("io/chunkfs/store/StoreFormat.class"));
        ClassLoader loader = new ClassLoader(EarlierRelease.class.getClassLoader()) {
            @Override
            protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
                if (!name.equals(STORE_FORMAT)) {
                    return super.loadClass(name, resolve);
                }
                synchronized (getClassLoadingLock(name)) {
                    Class<?> loaded = findLoadedClass(name);
                    return loaded != null ? loaded : defineClass(name, bytes, 0, bytes.length);
                }
            }
        };
        return Class.forName(STORE_FORMAT, true, loader);
    }

    /** The file at {@code path} in {@code commit}, or null if git cannot show it here. */
    private static String gitShow(String commit, String path) throws IOException, InterruptedException {
        Process git;
        try {
            git = new ProcessBuilder(List.of("git", "show", commit + ":" + path))
                    .redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
        } catch (IOException e) {
            return null; // no git
        }
        byte[] out = git.getInputStream().readAllBytes();
        if (!git.waitFor(60, TimeUnit.SECONDS) || git.exitValue() != 0) {
            git.destroyForcibly();
            return null;
        }
        return new String(out, StandardCharsets.UTF_8);
    }
}

package io.chunkfs.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Runs real processes (bash, coreutils, the chunkfs jar) for the integration tests. */
public final class Shell {
    public record Result(int exit, String out, String err) {
        public Result ok() {
            assertEquals(0, exit, () -> "exit " + exit + ", stderr: " + err + ", stdout: " + out);
            return this;
        }

        public Result fails() {
            if (exit == 0) {
                fail("expected a failure; stdout: " + out);
            }
            return this;
        }
    }

    public static final String JAR = System.getProperty("chunkfs.jar", "target/chunkfs.jar");

    private Shell() {}

    /** Runs {@code script} with bash in {@code dir}. */
    public static Result bash(Path dir, String script) {
        return run(dir, Map.of(), List.of("bash", "-c", "set -o pipefail\n" + script), 300);
    }

    /** Runs the chunkfs jar with {@code args}. */
    public static Result chunkfs(Path dir, String... args) {
        List<String> command = new java.util.ArrayList<>(List.of("java", "-jar", JAR));
        command.addAll(List.of(args));
        return run(dir, Map.of(), command, 120);
    }

    public static Result run(Path dir, Map<String, String> environment, List<String> command, int timeoutSeconds) {
        try {
            ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile());
            // As the launcher does: the JVM needs a UTF-8 locale for non-ASCII file names.
            builder.environment().put("LC_ALL", "C.UTF-8");
            builder.environment().putAll(environment);
            Process process = builder.start();
            process.getOutputStream().close();
            CompletableFuture<String> out = read(process.getInputStream());
            CompletableFuture<String> err = read(process.getErrorStream());
            if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                fail("timed out after " + timeoutSeconds + " s: " + command);
            }
            return new Result(process.exitValue(), out.join(), err.join());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static CompletableFuture<String> read(java.io.InputStream stream) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "<unreadable: " + e + ">";
            }
        });
    }
}

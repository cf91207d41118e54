package io.chunkfs.store.local;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A process of its own that locks a file as a writer of another chunkfs process does (POSIX locks belong to a
 * process, so a test cannot hold one against its own JVM): prints "locked", then holds the lock until its
 * standard input ends.
 */
final class LockHolder {
    private LockHolder() {}

    public static void main(String[] args) throws IOException {
        try (FileChannel channel = FileChannel.open(Path.of(args[0]), StandardOpenOption.WRITE);
                FileLock lock = channel.lock()) {
            System.out.println("locked");
            System.out.flush();
            while (System.in.read() >= 0) {
                // hold the lock until the test closes our standard input
            }
        }
    }

    /** Starts a holder of {@code file}'s lock and returns once it holds it. */
    static Process start(Path file) throws IOException {
        String javaCommand = ProcessHandle.current().info().command().orElse("java");
        Process process = new ProcessBuilder(
                        javaCommand,
                        "-cp",
                        System.getProperty("java.class.path"),
                        LockHolder.class.getName(),
                        file.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        byte[] line = process.getInputStream().readNBytes("locked\n".length());
        if (!new String(line, StandardCharsets.US_ASCII).equals("locked\n")) {
            process.destroyForcibly();
            throw new IOException("the lock holder did not lock " + file);
        }
        return process;
    }
}

package io.chunkfs.fuse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;

/** Unmounts a FUSE mount point with {@code fusermount}. */
public final class Unmount {
    private static final Logger LOG = Logger.getLogger(Unmount.class.getName());
    private static final long RETRY_MILLIS = 100;

    private Unmount() {}

    /** What {@code fusermount -u} said. */
    public record Result(int exitCode, String message) {
        public boolean ok() {
            return exitCode == 0;
        }

        public boolean busy() {
            return message.contains("busy");
        }
    }

    /** One plain (or lazy) unmount attempt. */
    public static Result once(Path mountPoint, boolean lazy) {
        List<String> command = new ArrayList<>(List.of("fusermount", "-u"));
        if (lazy) {
            command.add("-z");
        }
        command.add(mountPoint.toAbsolutePath().toString());
        try {
            Process process =
                    new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            return new Result(process.waitFor(), output);
        } catch (IOException e) {
            return new Result(-1, "cannot run fusermount: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(-1, "interrupted");
        }
    }

    /**
     * Unmounts, retrying while the mount is busy (files still open) until {@code patience} has passed,
     * then falls back to a lazy unmount, which detaches now and finishes when the last file closes.
     */
    public static Result run(Path mountPoint, Duration patience) {
        long deadline = System.nanoTime() + patience.toNanos();
        while (true) {
            Result result = once(mountPoint, false);
            if (result.ok() || !result.busy()) {
                return result;
            }
            if (System.nanoTime() > deadline) {
                LOG.warning(
                        "mount " + mountPoint + " still busy after " + patience.toSeconds() + " s: unmounting lazily");
                return once(mountPoint, true);
            }
            try {
                // fusermount offers nothing to wait on: poll until the open files are closed.
                Thread.sleep(RETRY_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return once(mountPoint, true);
            }
        }
    }
}

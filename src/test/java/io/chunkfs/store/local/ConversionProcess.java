package io.chunkfs.store.local;

import io.chunkfs.Stores;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A process of its own that opens a store for writing (and so converts it if it is of an earlier release),
 * printing each {@link TreeConversion.Step} it reaches, then {@code OPENED}: POSIX locks belong to a process, so
 * only separate processes show that two openers convert once; and only a process can be killed for real.
 *
 * <p>Arguments: the store, then {@code slow} (it sleeps at {@link TreeConversion.Step#BUILT}, holding the lock, so
 * that other openers arrive meanwhile) or {@code halt:STEP} (it halts, as {@code kill -9} would, at the first
 * STEP: no finally block, no close).
 */
final class ConversionProcess {
    private ConversionProcess() {}

    public static void main(String[] args) throws IOException {
        Path root = Path.of(args[0]);
        String mode = args[1];
        TreeConversion.hook(step -> {
            System.out.println(step);
            System.out.flush();
            if (mode.equals("halt:" + step)) {
                Runtime.getRuntime().halt(137);
            }
            if (mode.equals("slow") && step == TreeConversion.Step.BUILT) {
                try {
                    Thread.sleep(1500);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        Stores.open(root).close();
        System.out.println("OPENED");
    }

    /** Starts such a process on {@code root}. */
    static Process start(Path root, String mode) throws IOException {
        String javaCommand = ProcessHandle.current().info().command().orElse("java");
        return new ProcessBuilder(
                        javaCommand,
                        "-cp",
                        System.getProperty("java.class.path"),
                        ConversionProcess.class.getName(),
                        root.toString(),
                        mode)
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
    }

    /** Waits for a process (at most a minute) and returns what it printed, a line each; its exit status last. */
    static List<String> output(Process process) throws IOException, InterruptedException {
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IOException("the opener did not end: " + out);
        }
        List<String> lines = new ArrayList<>(out.lines().toList());
        lines.add("exit " + process.exitValue());
        return lines;
    }
}

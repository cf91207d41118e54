package io.chunkfs.cli;

import io.chunkfs.store.Progress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** A progress bar on stderr when it is a terminal, nothing otherwise (scripts, pipes, CI logs). */
final class ProgressBars implements Progress, AutoCloseable {
    private final boolean enabled;
    private ProgressBar bar;

    ProgressBars(boolean enabled) {
        this.enabled = enabled && stderrIsTerminal();
    }

    /**
     * Whether the bar's stream, stderr, is a terminal. Not {@code System.console()}: it looks at stdin and
     * stdout, and from JDK 22 on it is never null, which would draw bars into logs.
     */
    private static boolean stderrIsTerminal() {
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    @Override
    public void phase(String name, long total) {
        if (!enabled) {
            return;
        }
        close();
        bar = new ProgressBarBuilder()
                .setTaskName(name)
                .setInitialMax(total)
                .setStyle(ProgressBarStyle.ASCII)
                .setUpdateIntervalMillis(250)
                .continuousUpdate()
                .build();
    }

    @Override
    public void advance(long steps) {
        if (bar != null) {
            bar.stepBy(steps);
        }
    }

    @Override
    public void close() {
        if (bar != null) {
            bar.close();
            bar = null;
        }
    }
}

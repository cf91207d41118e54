package io.chunkfs.cli;

import io.chunkfs.store.Progress;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** A progress bar on stderr when it is a terminal, nothing otherwise (scripts, pipes, CI logs). */
final class ProgressBars implements Progress, AutoCloseable {
    private final boolean enabled;
    private ProgressBar bar;

    ProgressBars(boolean enabled) {
        this.enabled = enabled && System.console() != null;
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

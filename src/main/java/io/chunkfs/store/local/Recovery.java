package io.chunkfs.store.local;

import io.chunkfs.store.ChunkBackend;
import io.chunkfs.store.Digest;
import io.chunkfs.store.Progress;
import io.chunkfs.store.VerifyResult;
import java.io.IOException;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Checks, after a process died, the chunks it may have left half-written. Under sync levels {@code filesystem}
 * and {@code none} a chunk is renamed into place before its bytes are durable, so a power cut can leave an
 * empty or wrong file at a digest path. Every chunk whose ctime is newer than the dead process's last
 * completed store sync (less a slack for clock granularity) is re-hashed in the background, and a bad one
 * is set aside as {@code verify} does. Until that is done, an insert of such a chunk's bytes replaces it
 * rather than trusting it ({@link #isSuspect}). The dead process's registration is removed only when done,
 * so a crash during recovery repeats it at the next start.
 */
final class Recovery {
    private static final Logger LOG = Logger.getLogger(Recovery.class.getName());
    /** File times come from a coarser clock than the one that recorded the sync. */
    private static final long SLACK_MILLIS = 2_000;

    private final StoreLayout layout;
    private final StoreFolders folders;
    private final WriterRegistry writers;
    private final Map<String, Long> dead = new LinkedHashMap<>();
    /** Chunks with a ctime at or after this may be damaged; {@code Long.MAX_VALUE} when nothing is to check. */
    private volatile long suspectFromMillis = Long.MAX_VALUE;

    private Thread thread;

    Recovery(StoreLayout layout, StoreFolders folders, WriterRegistry writers) {
        this.layout = layout;
        this.folders = folders;
        this.writers = writers;
    }

    /** A dead process's registration whose chunks since {@code lastSyncMillis} need checking. */
    synchronized void add(String deadId, long lastSyncMillis) {
        dead.merge(deadId, lastSyncMillis, Math::min);
    }

    /** Whether a chunk with this status may be damaged and is not yet checked. */
    boolean isSuspect(FileStat stat) {
        long from = suspectFromMillis;
        return from != Long.MAX_VALUE && stat.ctime().toMillis() >= from;
    }

    /** Starts checking in the background, if a dead process left anything to check. */
    synchronized void startIfNeeded(ChunkBackend.Recheck check) {
        if (dead.isEmpty()) {
            return;
        }
        long from = dead.values().stream().mapToLong(Long::longValue).min().orElseThrow() - SLACK_MILLIS;
        suspectFromMillis = from;
        List<String> ids = new ArrayList<>(dead.keySet());
        LOG.warning(() -> "a process writing to " + layout.root() + " did not shut down cleanly: checking every chunk"
                + " changed since " + FileTime.fromMillis(from) + " in the background");
        thread = new Thread(() -> run(from, ids, check), "chunkfs-recovery");
        thread.setDaemon(true);
        thread.start();
    }

    /** Waits for the check to finish (tests); false if it did not within {@code millis}. */
    boolean await(long millis) throws InterruptedException {
        Thread running;
        synchronized (this) {
            running = thread;
        }
        if (running != null) {
            running.join(millis);
            return !running.isAlive();
        }
        return true;
    }

    /** Stops a check in progress; the next start does it again. */
    void stop() {
        Thread running;
        synchronized (this) {
            running = thread;
        }
        if (running != null) {
            running.interrupt();
            try {
                running.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void run(long fromMillis, List<String> ids, ChunkBackend.Recheck check) {
        try {
            List<Digest> suspects = new ArrayList<>();
            for (int prefix = 0; prefix < StoreLayout.PREFIXES; prefix++) {
                if (Thread.currentThread().isInterrupted()) {
                    return;
                }
                Folder folder = folders.prefix(prefix);
                List<String> names;
                try (Stream<String> entries = folders.sys.list(folder)) {
                    names = entries.filter(Digest::isValid).toList();
                }
                for (String name : names) {
                    FileStat stat = folders.sys.stat(folder, name);
                    if (stat != null && stat.ctime().toMillis() >= fromMillis) {
                        suspects.add(Digest.parse(name));
                    }
                }
            }
            LOG.info(() -> "recovery: " + suspects.size() + " chunks changed since the last completed sync; verifying");
            VerifyResult result = check.verify(suspects, new LoggedProgress(suspects.size()));
            if (Thread.currentThread().isInterrupted()) {
                return;
            }
            LOG.info(() -> "recovery done: " + result.checked() + " chunks checked, "
                    + result.bad().size() + " damaged and set aside"
                    + (result.bad().isEmpty() ? "" : " (" + result.bad() + ")")
                    + result.damagedEntries().stream()
                            .map(entry -> "; " + entry.describe())
                            .collect(Collectors.joining()));
            for (String id : ids) {
                writers.forget(id);
            }
            suspectFromMillis = Long.MAX_VALUE;
        } catch (IOException | RuntimeException e) {
            if (!Thread.currentThread().isInterrupted()) {
                LOG.log(Level.WARNING, "recovery of " + layout.root() + " failed; run 'chunkfs verify'", e);
            }
        }
    }

    /** Logs progress every tenth of the way. */
    private static final class LoggedProgress implements Progress {
        private final long total;
        private long done;
        private long nextReport;

        LoggedProgress(long total) {
            this.total = total;
            this.nextReport = Math.max(1, total / 10);
        }

        @Override
        public synchronized void advance(long steps) {
            done += steps;
            if (done >= nextReport && total > 0) {
                long percent = done * 100 / total;
                LOG.info(() -> "recovery: verified " + percent + "%");
                nextReport += Math.max(1, total / 10);
            }
        }
    }
}

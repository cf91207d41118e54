package io.chunkfs.fuse;

import io.chunkfs.store.ChunkStore;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Gathers what {@code chunkfs status} shows about one live mount, as nested maps and lists. */
final class StatusReport {
    /** Pending files listed by name; the count goes on past it. */
    static final int PENDING_LISTED = 100;

    private StatusReport() {}

    static Map<String, Object> of(ChunkFs fs, ChunkStore store, Path mountPoint, MountOptions options) {
        MountStats stats = fs.stats();
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("mount_point", mountPoint.toString());
        report.put("store", fs.storeLocation());
        report.put("pid", ProcessHandle.current().pid());
        report.put(
                "uptime_seconds",
                Duration.between(stats.started(), store.options().clock().instant())
                        .toSeconds());
        Map<String, Object> mountOptions = new LinkedHashMap<>();
        mountOptions.put("sync", options.syncLevel().toString());
        mountOptions.put("read_only", options.readOnly());
        mountOptions.put("allow_other", options.allowOther());
        mountOptions.put("fsname", options.fsName());
        mountOptions.put("debug", options.debug());
        report.put("options", mountOptions);

        Map<String, Object> open = new LinkedHashMap<>();
        int[] handles = fs.openHandleCounts();
        open.put("chunks", handles[0]);
        open.put("incoming", handles[1]);
        report.put("open_files", open);
        List<PendingFile> pendingFiles = fs.pendingFiles();
        List<Object> pending = new ArrayList<>();
        long uncommitted = 0;
        for (PendingFile file : pendingFiles) {
            boolean changed = file.hasUncommittedChanges();
            uncommitted += changed ? 1 : 0;
            if (pending.size() < PENDING_LISTED) {
                Map<String, Object> entry = new LinkedHashMap<>();
                entry.put("name", file.name());
                entry.put("size", file.size());
                entry.put("uncommitted", changed);
                pending.add(entry);
            }
        }
        report.put("files_being_written", pendingFiles.size());
        report.put("files_with_uncommitted_bytes", uncommitted);
        report.put("pending_files", pending);

        report.put("commits", stats.commits());
        report.put("committed_bytes", stats.committedBytes());
        report.put("new_chunks", stats.newChunks());
        report.put("verify_failures", stats.verifyFailures());
        report.put("suspect_chunks", new ArrayList<Object>(stats.suspectChunks()));
        Instant storeSync = store.lastSync();
        if (storeSync != null) {
            stats.synced(storeSync);
        }
        Duration sinceSync = stats.sinceLastSync();
        report.put("seconds_since_sync", sinceSync == null ? null : sinceSync.toMillis() / 1000.0);
        report.put("errors_by_errno", new LinkedHashMap<String, Object>(stats.errorsByErrno()));
        report.put("counters", new LinkedHashMap<String, Object>(store.counters()));
        return report;
    }
}

package io.chunkfs.store;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;

/**
 * How a store is opened.
 *
 * @param syncLevel     durability of inserts
 * @param readOnly      refuse every change (inserts and touches)
 * @param syncInterval  how often a {@link SyncLevel#FILESYSTEM} store syncs in the background
 * @param verifyReads   hash every chunk whole before serving it (off: for file systems that checksum
 *                      their own data)
 * @param clock         where the store's code reads the time (writer starts, syncs, gc's sanity check);
 *                      tests inject one, nothing in the store calls {@code Instant.now()} itself
 * @param backendOptions settings only one kind of backend understands (the S3 backend's {@code upload} mode,
 *                      say), by name; the backend refuses a name it does not know
 */
public record StoreOptions(
        SyncLevel syncLevel,
        boolean readOnly,
        Duration syncInterval,
        boolean verifyReads,
        Clock clock,
        Map<String, String> backendOptions) {
    public StoreOptions {
        backendOptions = Map.copyOf(backendOptions);
    }

    public StoreOptions(SyncLevel syncLevel, boolean readOnly, Duration syncInterval, boolean verifyReads) {
        this(syncLevel, readOnly, syncInterval, verifyReads, Clock.systemUTC(), Map.of());
    }

    public static StoreOptions defaults() {
        return new StoreOptions(SyncLevel.FILE, false, Duration.ofSeconds(30), true);
    }

    public StoreOptions withSyncLevel(SyncLevel level) {
        return new StoreOptions(level, readOnly, syncInterval, verifyReads, clock, backendOptions);
    }

    public StoreOptions withReadOnly(boolean value) {
        return new StoreOptions(syncLevel, value, syncInterval, verifyReads, clock, backendOptions);
    }

    public StoreOptions withVerifyReads(boolean value) {
        return new StoreOptions(syncLevel, readOnly, syncInterval, value, clock, backendOptions);
    }

    public StoreOptions withClock(Clock value) {
        return new StoreOptions(syncLevel, readOnly, syncInterval, verifyReads, value, backendOptions);
    }

    /** These options with {@code name=value} among the backend's settings. */
    public StoreOptions withBackendOption(String name, String value) {
        Map<String, String> options = new java.util.LinkedHashMap<>(backendOptions);
        options.put(name, value);
        return new StoreOptions(syncLevel, readOnly, syncInterval, verifyReads, clock, options);
    }
}

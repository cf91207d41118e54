package io.chunkfs.store;

import java.time.Duration;

/**
 * How a store is opened.
 *
 * @param syncLevel     durability of inserts
 * @param readOnly      refuse every change (inserts and touches)
 * @param syncInterval  how often a {@link SyncLevel#FILESYSTEM} store syncs in the background
 */
public record StoreOptions(SyncLevel syncLevel, boolean readOnly, Duration syncInterval) {
    public static StoreOptions defaults() {
        return new StoreOptions(SyncLevel.FILE, false, Duration.ofSeconds(30));
    }

    public StoreOptions withSyncLevel(SyncLevel level) {
        return new StoreOptions(level, readOnly, syncInterval);
    }

    public StoreOptions withReadOnly(boolean value) {
        return new StoreOptions(syncLevel, value, syncInterval);
    }
}

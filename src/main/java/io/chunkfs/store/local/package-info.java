/**
 * The local folder backend: {@link io.chunkfs.store.local.LocalBackend} keeps chunks as files in
 * {@code STORE/.chunks/PP/DIGEST} ({@link io.chunkfs.store.local.StoreLayout}), every file reached through folders
 * opened once and every system call through {@link io.chunkfs.store.local.Syscalls} (tests inject faults and power
 * cuts there). Also here: writer leases ({@code .writers}), the gc lock ({@code .lock}), the sweep's and
 * quarantine's set-aside names, crash recovery, and the conversion of an earlier release's store, whose receipts
 * are symlinks ({@link io.chunkfs.store.local.LocalReceipts}), into the tree ({@link
 * io.chunkfs.store.local.TreeConversion}, over trees built outside the store by {@link
 * io.chunkfs.store.local.TreeBuilder}). Depends on the core and the tree's database ({@code io.chunkfs.store.sql}),
 * never on the layers above it.
 */
package io.chunkfs.store.local;

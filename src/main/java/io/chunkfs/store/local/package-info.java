/**
 * The local folder backend: {@link io.chunkfs.store.local.LocalBackend} keeps chunks as files in
 * {@code STORE/.chunks/PP/DIGEST} ({@link io.chunkfs.store.local.StoreLayout}), every file reached through folders
 * opened once and every system call through {@link io.chunkfs.store.local.Syscalls} (tests inject faults and power
 * cuts there). Also here: writer leases ({@code .writers}), the gc lock ({@code .lock}), the sweep's and
 * quarantine's set-aside names, crash recovery, and receipts as symlinks ({@link
 * io.chunkfs.store.local.LocalReceipts}). Depends on the core, never on the layers above it.
 */
package io.chunkfs.store.local;

/**
 * The store's core: what a content-addressed chunk store means, whatever keeps the bytes. {@link
 * io.chunkfs.store.ChunkStore} (dedup, durability by {@link io.chunkfs.store.SyncLevel}, verified reads), write
 * sessions and staged chunks, the gc policy ({@link io.chunkfs.store.GarbageCollector}) and verification ({@link
 * io.chunkfs.store.Verifier}) sit on two seams: {@link io.chunkfs.store.ChunkBackend} (where chunks live) and
 * {@link io.chunkfs.store.ReceiptIndex} (name to digest).
 *
 * <p>Dependency rule: this package imports no backend ({@code io.chunkfs.store.local}) and nothing above the
 * store ({@code io.chunkfs.fuse}, {@code io.chunkfs.cli}); {@code io.chunkfs.Stores} picks the backend.
 */
package io.chunkfs.store;

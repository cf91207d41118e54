package io.chunkfs.fuse;

import io.chunkfs.store.ChunkStore;
import io.chunkfs.store.Digest;
import java.io.IOException;

/**
 * {@code PP/DIGEST}: a chunk, read-only and immutable. Only gc removes it; the one change allowed is
 * the conditional touch (utimens), which refreshes its atime and never creates it.
 */
final class ChunkNode extends NodeHandler {
    private final ChunkStore store;
    private final MountStats stats;
    private final Node.Chunk node;

    ChunkNode(Refusals refusals, ChunkStore store, MountStats stats, Node.Chunk node) {
        super(refusals);
        this.store = store;
        this.stats = stats;
        this.node = node;
    }

    @Override
    Attributes attributes() throws IOException {
        return Attributes.file(0444, store.stat(node.digest()).orElseThrow(() -> Refusals.missing(node)));
    }

    /** touch(1) of a chunk that does not exist: the conditional touch says ENOENT, creating nothing. */
    @Override
    Handle create() {
        throw refusals.readOnly() ? refusals.readOnlyHere() : Refusals.missing(node);
    }

    @Override
    Opened open(boolean writing, boolean truncate) throws IOException {
        if (writing) {
            // EACCES (not EPERM) lets touch(1) fall back to utimensat.
            throw refusals.readOnlyHere();
        }
        ChunkHandle handle = ChunkHandle.open(store, stats, refusals, node.digest());
        // Only a chunk verified in this mount and unchanged since may keep its pages: any other open drops
        // what the kernel kept, which may be pages of a file that was replaced.
        return new Opened(handle, handle.reader().knownBefore() ? Caching.KEEP : Caching.DEFAULT);
    }

    /** As open(O_WRONLY) of a chunk answers, and as the kernel answers a non-root caller (mode 0444). */
    @Override
    void truncate(long size) {
        throw refusals.readOnlyHere();
    }

    @Override
    void unlink() throws IOException {
        requireExists();
        throw refusals.fixed("only gc removes chunks");
    }

    @Override
    void changeOwnerOrMode() throws IOException {
        requireExists();
        super.changeOwnerOrMode();
    }

    /** The conditional touch: whatever times were asked for, atime becomes now and mtime is kept. */
    @Override
    void touch() throws IOException {
        refusals.requireWritable();
        store.condTouchChunk(node.digest(), true);
    }

    @Override
    Digest digest() throws IOException {
        requireExists();
        return node.digest();
    }

    @Override
    void changeXattr(String name) {
        refusals.requireWritable();
        throw new FsError(Errno.EPERM, "chunks are immutable");
    }

    private void requireExists() throws IOException {
        if (!store.contains(node.digest())) {
            throw Refusals.missing(node);
        }
    }
}

package io.chunkfs.fuse;

import io.chunkfs.store.ChunkStore;
import io.chunkfs.store.Digest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * {@code PP/DIGEST}: a chunk, read-only and immutable. Only gc removes it; the one change allowed is
 * the conditional touch (utimens), which refreshes its atime and never creates it.
 */
final class ChunkNode extends NodeHandler {
    private final ChunkStore store;
    private final MountStats stats;
    private final Node.Chunk node;
    private final long uid;
    private final long gid;

    ChunkNode(Refusals refusals, ChunkStore store, MountStats stats, Node.Chunk node, long uid, long gid) {
        super(refusals);
        this.store = store;
        this.stats = stats;
        this.node = node;
        this.uid = uid;
        this.gid = gid;
    }

    @Override
    Attributes attributes() throws IOException {
        return Attributes.chunk(0444, uid, gid, store.stat(node.digest()).orElseThrow(() -> Refusals.missing(node)));
    }

    /** touch(1) of a chunk that does not exist: the conditional touch says ENOENT, creating nothing. */
    @Override
    Handle create(int mode, Caller caller) {
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
    void changeMode(int mode) throws IOException {
        requireExists();
        throw refusals.fixed("chunks are immutable");
    }

    @Override
    void changeOwner(Long uid, Long gid) throws IOException {
        requireExists();
        throw refusals.fixed("chunks are immutable");
    }

    @Override
    void linkTo(NodeHandler target) throws IOException {
        requireExists();
        super.linkTo(target);
    }

    @Override
    void renameTo(NodeHandler target) throws IOException {
        requireExists();
        super.renameTo(target);
    }

    /** The conditional touch: whatever times were asked for, atime becomes now and mtime is kept. */
    @Override
    void changeTimes(Long atime, Long mtime) throws IOException {
        refusals.requireWritable();
        store.condTouchChunk(node.digest(), true);
    }

    @Override
    Digest digest() throws IOException {
        requireExists();
        return node.digest();
    }

    @Override
    byte[] xattr(String name) throws IOException {
        Digest digest = digest();
        if (!ChunkFs.DIGEST_XATTR.equals(name)) {
            throw Xattrs.noSuchAttribute();
        }
        return digest.toString().getBytes(StandardCharsets.US_ASCII);
    }

    @Override
    List<String> xattrNames() throws IOException {
        requireExists();
        return List.of(ChunkFs.DIGEST_XATTR);
    }

    @Override
    void setXattr(String name, byte[] value, int flags) {
        refusals.requireWritable();
        throw new FsError(Errno.EPERM, "chunks are immutable");
    }

    @Override
    void removeXattr(String name) {
        refusals.requireWritable();
        throw new FsError(Errno.EPERM, "chunks are immutable");
    }

    private void requireExists() throws IOException {
        if (!store.contains(node.digest())) {
            throw Refusals.missing(node);
        }
    }
}

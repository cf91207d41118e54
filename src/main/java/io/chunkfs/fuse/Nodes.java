package io.chunkfs.fuse;

import io.chunkfs.store.ChunkReader;
import io.chunkfs.store.ChunkStore;
import io.chunkfs.store.Digest;
import io.chunkfs.store.EntryType;
import java.io.IOException;
import java.time.Instant;

/**
 * The nodes of the mount: which {@link NodeHandler} answers for a path (see {@link Node} for the shapes), and
 * what an open handle shows as its attributes. The one place that tells node kinds apart.
 */
final class Nodes {
    private final ChunkStore store;
    private final Refusals refusals;
    private final MountStats stats;
    private final IncomingFiles incoming;
    private final Instant mountedAt;
    private final long uid;
    private final long gid;
    private final RootNode root;

    /** Nodes outside the tree are owned by {@code uid}:{@code gid}, the store folder's owner. */
    Nodes(
            ChunkStore store,
            Refusals refusals,
            MountStats stats,
            IncomingFiles incoming,
            Instant mountedAt,
            long uid,
            long gid) {
        this.store = store;
        this.refusals = refusals;
        this.stats = stats;
        this.incoming = incoming;
        this.mountedAt = mountedAt;
        this.uid = uid;
        this.gid = gid;
        this.root = new RootNode(refusals, uid, gid, mountedAt);
    }

    NodeHandler of(String path) {
        return of(Node.parse(path));
    }

    NodeHandler of(Node node) {
        if (node instanceof Node.Root) {
            return root;
        }
        if (node instanceof Node.Tree path) {
            return new TreeNode(
                    refusals, store.tree(), incoming, store.options().clock(), path);
        }
        if (node instanceof Node.PrefixDir prefix) {
            return new PrefixNode(refusals, store, uid, gid, mountedAt, prefix.prefix());
        }
        if (node instanceof Node.Chunk chunk) {
            return new ChunkNode(refusals, store, stats, chunk, uid, gid);
        }
        return new MissingNode(refusals, (Node.Nothing) node);
    }

    /**
     * What fgetattr answers for an open handle: the version it reads or the bytes it writes, not whatever the
     * name shows now; also for a file whose names were all removed while it was open.
     */
    Attributes attributes(Handle handle, Node node) throws IOException {
        if (handle instanceof IncomingHandle open) {
            return incoming.attributes(open.file());
        }
        ChunkReader reader = ((ChunkHandle) handle).reader();
        if (node instanceof Node.Tree path) {
            // A file of the tree open for reading: its entry's attributes, with the size of the bytes it reads.
            try {
                Attributes entry = of(path).attributes();
                if (entry.type() == EntryType.REGULAR) {
                    return entry.withContent(reader.size(), entry.mtime());
                }
            } catch (FsError e) {
                // Renamed or removed since it was opened: the chunk's own attributes say what it reads.
            }
        }
        Digest digest = reader.digest();
        return Attributes.chunk(
                0444, uid, gid, store.stat(digest).orElseThrow(() -> new FsError(Errno.ENOENT, "chunk removed")));
    }
}

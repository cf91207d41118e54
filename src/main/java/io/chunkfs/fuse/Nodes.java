package io.chunkfs.fuse;

import io.chunkfs.store.ChunkStore;
import io.chunkfs.store.Digest;
import java.io.IOException;
import java.time.Instant;

/**
 * The tree of the mount: which {@link NodeHandler} answers for a path (see {@link Node} for the
 * shapes), and what an open handle shows as its attributes. The one place that tells node kinds
 * apart.
 */
final class Nodes {
    private final ChunkStore store;
    private final Refusals refusals;
    private final MountStats stats;
    private final IncomingFiles incoming;
    private final Instant mountedAt;
    private final RootNode root;
    private final IncomingFolderNode incomingFolder;

    Nodes(ChunkStore store, Refusals refusals, MountStats stats, IncomingFiles incoming, Instant mountedAt) {
        this.store = store;
        this.refusals = refusals;
        this.stats = stats;
        this.incoming = incoming;
        this.mountedAt = mountedAt;
        this.root = new RootNode(refusals, mountedAt);
        this.incomingFolder = new IncomingFolderNode(refusals, incoming, mountedAt);
    }

    NodeHandler of(String path) {
        return of(Node.parse(path));
    }

    NodeHandler of(Node node) {
        if (node instanceof Node.Root) {
            return root;
        }
        if (node instanceof Node.IncomingDir) {
            return incomingFolder;
        }
        if (node instanceof Node.IncomingFile file) {
            return new IncomingFileNode(refusals, incoming, file.name());
        }
        if (node instanceof Node.PrefixDir prefix) {
            return new PrefixNode(refusals, store, mountedAt, prefix.prefix());
        }
        if (node instanceof Node.Chunk chunk) {
            return new ChunkNode(refusals, store, stats, chunk);
        }
        return new MissingNode(refusals, (Node.Nothing) node);
    }

    /**
     * What fgetattr answers for an open handle: the version it reads or the bytes it writes, not
     * whatever the name shows now; also for a file whose name was unlinked while open ({@code path}
     * null then).
     */
    Attributes attributes(Handle handle, String path) throws IOException {
        if (handle instanceof IncomingHandle open) {
            return incoming.attributes(open.file());
        }
        Digest digest = ((ChunkHandle) handle).reader().digest();
        boolean receipt = path != null && path.startsWith("/" + Node.INCOMING + "/");
        return Attributes.file(
                receipt ? refusals.incomingFileMode() : 0444,
                store.stat(digest).orElseThrow(() -> new FsError(Errno.ENOENT, "chunk removed")));
    }
}

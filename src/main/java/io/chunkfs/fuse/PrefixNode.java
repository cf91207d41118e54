package io.chunkfs.fuse;

import io.chunkfs.store.ChunkStore;
import io.chunkfs.store.EntryType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** {@code PP/}: one of the 256 prefix folders, listing the chunks whose digest starts with PP. */
final class PrefixNode extends NodeHandler {
    private static final int PAGE = 1024;

    private final ChunkStore store;
    private final int prefix;
    private final Attributes attributes;

    PrefixNode(Refusals refusals, ChunkStore store, long uid, long gid, Instant mountedAt, String prefix) {
        super(refusals);
        this.store = store;
        this.prefix = Integer.parseInt(prefix, 16);
        this.attributes = Attributes.fixedFolder(inode(this.prefix), 0555, 2, uid, gid, mountedAt);
    }

    /** The inode number of the prefix folder {@code prefix}. */
    static long inode(int prefix) {
        return Attributes.FIXED_INODES + prefix;
    }

    @Override
    Attributes attributes() {
        return attributes;
    }

    @Override
    void list(ListingSink names) throws IOException {
        int file = EntryType.REGULAR.fileTypeBits();
        List<Listed> page = new ArrayList<>(PAGE);
        try (var chunks = store.chunks(prefix)) {
            for (var digest : (Iterable<io.chunkfs.store.Digest>) chunks::iterator) {
                byte[] name = digest.toString().getBytes(StandardCharsets.US_ASCII);
                page.add(new Listed(name, Attributes.chunkInode(digest), file));
                if (page.size() == PAGE) {
                    names.accept(page);
                    page = new ArrayList<>(PAGE);
                }
            }
        }
        names.accept(page);
    }
}

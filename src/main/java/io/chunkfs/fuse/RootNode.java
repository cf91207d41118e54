package io.chunkfs.fuse;

import io.chunkfs.store.EntryType;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The root: {@code incoming/} and the 256 prefix folders; nothing else, and it never changes. */
final class RootNode extends NodeHandler {
    /** The root holds incoming/ and the 256 prefix folders, each of which links back with "..". */
    static final int LINKS = 2 + 1 + 256;

    private final Attributes attributes;

    RootNode(Refusals refusals, long uid, long gid, Instant mountedAt) {
        super(refusals);
        this.attributes = Attributes.fixedFolder(Attributes.MOUNT_ROOT_INODE, 0555, LINKS, uid, gid, mountedAt);
    }

    @Override
    Attributes attributes() {
        return attributes;
    }

    @Override
    void list(ListingSink names) throws java.io.IOException {
        List<Listed> listed = new ArrayList<>(257);
        int folder = EntryType.FOLDER.fileTypeBits();
        listed.add(
                new Listed(Node.INCOMING.getBytes(StandardCharsets.US_ASCII), io.chunkfs.store.Namespace.ROOT, folder));
        for (int prefix = 0; prefix < 256; prefix++) {
            byte[] name = String.format(Locale.ROOT, "%02x", prefix).getBytes(StandardCharsets.US_ASCII);
            listed.add(new Listed(name, PrefixNode.inode(prefix), folder));
        }
        names.accept(listed);
    }
}

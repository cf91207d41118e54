package io.chunkfs.fuse;

import java.time.Instant;
import java.util.Locale;
import java.util.function.Consumer;

/** The root: {@code incoming/} and the 256 prefix folders; nothing else, and it never changes. */
final class RootNode extends NodeHandler {
    /** The root holds incoming/ and the 256 prefix folders, each of which links back with "..". */
    static final int LINKS = 2 + 1 + 256;

    private final Instant mountedAt;

    RootNode(Refusals refusals, Instant mountedAt) {
        super(refusals);
        this.mountedAt = mountedAt;
    }

    @Override
    Attributes attributes() {
        return Attributes.folder(0555, LINKS, mountedAt);
    }

    @Override
    void list(Consumer<String> names) {
        names.accept(Node.INCOMING);
        for (int prefix = 0; prefix < 256; prefix++) {
            names.accept(String.format(Locale.ROOT, "%02x", prefix));
        }
    }
}

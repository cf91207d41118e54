package io.chunkfs.fuse;

import io.chunkfs.store.ChunkStore;
import java.io.IOException;
import java.time.Instant;
import java.util.function.Consumer;

/** {@code PP/}: one of the 256 prefix folders, listing the chunks whose digest starts with PP. */
final class PrefixNode extends NodeHandler {
    private final ChunkStore store;
    private final Instant mountedAt;
    private final String prefix;

    PrefixNode(Refusals refusals, ChunkStore store, Instant mountedAt, String prefix) {
        super(refusals);
        this.store = store;
        this.mountedAt = mountedAt;
        this.prefix = prefix;
    }

    @Override
    Attributes attributes() {
        return Attributes.folder(0555, 2, mountedAt);
    }

    @Override
    void list(Consumer<String> names) throws IOException {
        try (var chunks = store.chunks(Integer.parseInt(prefix, 16))) {
            chunks.forEach(digest -> names.accept(digest.toString()));
        }
    }
}

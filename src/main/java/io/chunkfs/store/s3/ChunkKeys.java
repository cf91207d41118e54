package io.chunkfs.store.s3;

import io.chunkfs.store.Digest;
import java.util.Locale;

/** Where things of one store are in its bucket: {@code PREFIX/.chunks/PP/DIGEST}, leases, the format. */
final class ChunkKeys {
    private final String base;

    ChunkKeys(S3Settings settings) {
        this.base = settings.keyBase();
    }

    String chunk(Digest digest) {
        return prefix(digest.prefixIndex()) + digest;
    }

    /** The key prefix of chunks whose digest starts with {@code prefix} (0 … 255). */
    String prefix(int prefix) {
        return base + ".chunks/" + String.format(Locale.ROOT, "%02x", prefix) + "/";
    }

    String lease(String name) {
        return base + ".leases/" + name;
    }

    String format() {
        return base + ".chunkfs";
    }
}

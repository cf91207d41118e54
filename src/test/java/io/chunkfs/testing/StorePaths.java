package io.chunkfs.testing;

import io.chunkfs.store.Digest;
import java.nio.file.Path;

/**
 * Where a store folder keeps things, for tests that look at or damage the store from outside. The one place
 * tests spell the on-disk layout ({@code .chunks/PP/DIGEST}); the store's own code never uses it.
 */
public final class StorePaths {
    private StorePaths() {}

    /** {@code STORE/.chunks}. */
    public static Path chunks(Path store) {
        return store.resolve(".chunks");
    }

    /** {@code STORE/.chunks/PP}, for a prefix such as {@code "a9"}. */
    public static Path prefix(Path store, String prefix) {
        return chunks(store).resolve(prefix);
    }

    /** {@code STORE/.chunks/PP/DIGEST}. */
    public static Path chunk(Path store, Digest digest) {
        return prefix(store, digest.prefix()).resolve(digest.toString());
    }

    /** {@code STORE/.chunks/PP/HEX} for a name that need not be a valid digest. */
    public static Path chunk(Path store, String hex) {
        return prefix(store, hex.substring(0, 2)).resolve(hex);
    }
}

package io.chunkfs;

import io.chunkfs.store.ChunkBackend;
import io.chunkfs.store.ChunkStore;
import io.chunkfs.store.Namespace;
import io.chunkfs.store.StoreException;
import io.chunkfs.store.StoreOptions;
import io.chunkfs.store.local.LocalBackend;
import io.chunkfs.store.s3.S3Backend;
import io.chunkfs.store.s3.S3Settings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Opens and creates stores: the one place that picks a backend for a store folder (today always the local
 * one), so that nothing above {@link ChunkStore} knows where chunks live.
 */
public final class Stores {
    private Stores() {}

    /**
     * Creates a store at {@code root} with all its folders; a valid store already there is left alone. A private
     * one has folders 0700 and chunks 0400, so that only its owner can read it.
     *
     * @return true if a new store was created
     * @throws io.chunkfs.store.StoreException if {@code root} is something other than an empty folder or a store
     */
    public static boolean init(Path root, boolean privateStore) throws IOException {
        return LocalBackend.init(root, privateStore);
    }

    /**
     * The line to show when the store folder at {@code root} sits on a file system whose durability chunkfs
     * cannot vouch for (FUSE), or empty.
     */
    public static Optional<String> durabilityCaveat(Path root) throws IOException {
        return LocalBackend.durabilityCaveat(root);
    }

    /** Creates a shared store; see {@link #init(Path, boolean)}. */
    public static boolean init(Path root) throws IOException {
        return init(root, false);
    }

    /**
     * Creates a store whose chunks live in an S3 bucket, {@code root} being their bounded cache; see
     * {@link #init(Path, boolean)}. A store already at {@code root} must be that same S3 store.
     */
    public static boolean initS3(Path root, boolean privateStore, S3Settings settings) throws IOException {
        return initS3Store(root, privateStore, settings);
    }

    /** The cache size of an S3 store unless told otherwise (64 GiB). */
    public static final long DEFAULT_S3_CACHE = S3Settings.DEFAULT_CACHE;

    /**
     * Creates a store whose chunks live in {@code s3://BUCKET/PREFIX}; see {@link S3Settings} for what each
     * setting means.
     *
     * @throws IllegalArgumentException if a setting is not valid (the message says which and why)
     */
    public static boolean initS3(
            Path root,
            boolean privateStore,
            String url,
            java.net.URI endpoint,
            String region,
            long cacheLimit,
            boolean conditionalWrites,
            boolean checksumTrailer,
            double maxRequestsPerSecond)
            throws IOException {
        S3Settings settings = S3Settings.forUrl(url, endpoint, region, cacheLimit)
                .withConditionalWrites(conditionalWrites)
                .withChecksumTrailer(checksumTrailer)
                .withMaxRequestsPerSecond(maxRequestsPerSecond);
        return initS3Store(root, privateStore, settings);
    }

    private static boolean initS3Store(Path root, boolean privateStore, S3Settings settings) throws IOException {
        if (Files.exists(root.resolve(".chunkfs"))) {
            try (LocalBackend existing =
                    LocalBackend.openCache(root, StoreOptions.defaults().withReadOnly(true))) {
                Map<String, String> properties = existing.format().properties();
                if (!"s3".equals(existing.format().backend())
                        || !settings.bucket().equals(properties.get("s3.bucket"))
                        || !settings.prefix().equals(properties.getOrDefault("s3.prefix", ""))) {
                    throw new StoreException("there is already a store at " + root + " ("
                            + (existing.format().backend().equals("s3")
                                    ? "in s3://" + properties.get("s3.bucket") + "/" + properties.get("s3.prefix")
                                    : "chunks in its folder")
                            + ")");
                }
                return false;
            }
        }
        return S3Backend.init(root, privateStore, settings);
    }

    /** Opens the store at {@code root}, checking its layout first, with the backend its marker names. */
    public static ChunkStore open(Path root, StoreOptions options) throws IOException {
        LocalBackend local = LocalBackend.openCache(root, options);
        ChunkBackend backend;
        try {
            String kind = local.format().backend();
            if (kind.equals("s3")) {
                backend = S3Backend.open(local, options);
            } else if (kind.equals("local")) {
                if (!options.backendOptions().isEmpty()) {
                    throw new StoreException(
                            options.backendOptions().keySet().iterator().next() + "= applies to S3 stores only, and "
                                    + root + " keeps its chunks in its folder");
                }
                backend = local;
            } else {
                throw new StoreException("the store " + root + " keeps its chunks in '" + kind
                        + "', which this chunkfs does not know: upgrade chunkfs to use it");
            }
        } catch (IOException | RuntimeException e) {
            local.close();
            throw e;
        }
        Namespace tree;
        try {
            tree = local.openTree(backend);
        } catch (IOException | RuntimeException e) {
            backend.close();
            throw e;
        }
        try {
            return ChunkStore.open(backend, tree, options);
        } catch (IOException | RuntimeException e) {
            try (tree) {
                backend.close();
            }
            throw e;
        }
    }

    /** Opens the store at {@code root} with {@link StoreOptions#defaults()}. */
    public static ChunkStore open(Path root) throws IOException {
        return open(root, StoreOptions.defaults());
    }
}

package io.chunkfs.store.s3;

import io.chunkfs.store.StoreException;
import io.chunkfs.store.StoreFormat;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Where an S3 store keeps its chunks and how it talks to the object store: recorded as {@code s3.*} properties
 * in the store's format marker (version 2) when the store is created. Never credentials: those come from the AWS
 * SDK's default chain (environment, profile files).
 *
 * @param bucket             the bucket (it must exist)
 * @param prefix             the key prefix of this store in the bucket, without a trailing slash ("" for none)
 * @param endpoint           an S3-compatible endpoint (path-style addressing), or null for AWS itself
 * @param region             the signing region
 * @param cacheLimit         the most bytes of chunks the store folder keeps; least recently used go first
 * @param conditionalWrites  the object store honours {@code If-None-Match: *} on PUT; if not, a HEAD comes first
 * @param checksumTrailer    let the SDK add its aws-chunked checksum trailer (some S3-compatible servers refuse
 *                           it); the chunk's own SHA-256 is sent as {@code x-amz-checksum-sha256} either way
 * @param requestTimeout     how long one attempt of one request may take (a chunk upload gets more, by size)
 * @param multipartThreshold chunks larger than this go up in parts and come down in parallel ranges
 * @param maxRequestsPerSecond a ceiling on requests per second (0: none), for providers that throttle
 */
public record S3Settings(
        String bucket,
        String prefix,
        URI endpoint,
        String region,
        long cacheLimit,
        boolean conditionalWrites,
        boolean checksumTrailer,
        Duration requestTimeout,
        long multipartThreshold,
        double maxRequestsPerSecond) {
    /** The default cache size, 64 GiB, as Proxmox Backup Server's documentation suggests. */
    public static final long DEFAULT_CACHE = 64L << 30;

    public static final long DEFAULT_MULTIPART_THRESHOLD = 64L << 20;
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(30);

    private static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");
    private static final Pattern PREFIX = Pattern.compile("[A-Za-z0-9!_.*'()/-]*");

    public S3Settings {
        if (!BUCKET.matcher(bucket).matches()) {
            throw new IllegalArgumentException("'" + bucket + "' is not a bucket name (3 to 63 lower-case letters,"
                    + " digits, dots and hyphens)");
        }
        if (!PREFIX.matcher(prefix).matches() || prefix.startsWith("/") || prefix.endsWith("/")) {
            throw new IllegalArgumentException("'" + prefix + "' is not a key prefix (letters, digits, /!_.*'()-,"
                    + " not starting or ending with /)");
        }
        if (cacheLimit < 0) {
            throw new IllegalArgumentException("the cache size cannot be negative: " + cacheLimit);
        }
        if (multipartThreshold < 5L << 20) {
            throw new IllegalArgumentException("the multipart threshold must be at least 5 MiB (S3's smallest part)");
        }
        if (maxRequestsPerSecond < 0) {
            throw new IllegalArgumentException("the request rate cannot be negative: " + maxRequestsPerSecond);
        }
    }

    /** Settings for {@code s3://BUCKET/PREFIX} with every other setting at its default. */
    public static S3Settings forUrl(String url, URI endpoint, String region, long cacheLimit) {
        URI parsed;
        try {
            parsed = new URI(url);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("'" + url + "' is not an s3://BUCKET/PREFIX address");
        }
        if (!"s3".equals(parsed.getScheme()) || parsed.getHost() == null || parsed.getRawQuery() != null) {
            throw new IllegalArgumentException("'" + url + "' is not an s3://BUCKET/PREFIX address");
        }
        String path = parsed.getPath() == null ? "" : parsed.getPath();
        String prefix = path.replaceAll("^/+", "").replaceAll("/+$", "");
        return new S3Settings(
                parsed.getHost(),
                prefix,
                endpoint,
                region,
                cacheLimit,
                true,
                false,
                DEFAULT_REQUEST_TIMEOUT,
                DEFAULT_MULTIPART_THRESHOLD,
                0);
    }

    public S3Settings withConditionalWrites(boolean value) {
        return new S3Settings(
                bucket,
                prefix,
                endpoint,
                region,
                cacheLimit,
                value,
                checksumTrailer,
                requestTimeout,
                multipartThreshold,
                maxRequestsPerSecond);
    }

    public S3Settings withChecksumTrailer(boolean value) {
        return new S3Settings(
                bucket,
                prefix,
                endpoint,
                region,
                cacheLimit,
                conditionalWrites,
                value,
                requestTimeout,
                multipartThreshold,
                maxRequestsPerSecond);
    }

    public S3Settings withMaxRequestsPerSecond(double value) {
        return new S3Settings(
                bucket,
                prefix,
                endpoint,
                region,
                cacheLimit,
                conditionalWrites,
                checksumTrailer,
                requestTimeout,
                multipartThreshold,
                value);
    }

    public S3Settings withMultipartThreshold(long value) {
        return new S3Settings(
                bucket,
                prefix,
                endpoint,
                region,
                cacheLimit,
                conditionalWrites,
                checksumTrailer,
                requestTimeout,
                value,
                maxRequestsPerSecond);
    }

    /** {@code s3://BUCKET/PREFIX}, for messages. */
    public String url() {
        return "s3://" + bucket + "/" + prefix;
    }

    /** The key prefix every key of this store starts with: {@code PREFIX/}, or "" at the bucket's root. */
    String keyBase() {
        return prefix.isEmpty() ? "" : prefix + "/";
    }

    /** The marker properties that record these settings. */
    public Map<String, String> toProperties() {
        Map<String, String> properties = new LinkedHashMap<>();
        properties.put(StoreFormat.BACKEND, "s3");
        properties.put("s3.bucket", bucket);
        properties.put("s3.prefix", prefix);
        if (endpoint != null) {
            properties.put("s3.endpoint", endpoint.toString());
        }
        properties.put("s3.region", region);
        properties.put("s3.cache-size", Long.toString(cacheLimit));
        properties.put("s3.conditional-writes", Boolean.toString(conditionalWrites));
        properties.put("s3.checksum-trailer", Boolean.toString(checksumTrailer));
        properties.put("s3.request-timeout-ms", Long.toString(requestTimeout.toMillis()));
        properties.put("s3.multipart-threshold", Long.toString(multipartThreshold));
        properties.put("s3.max-requests-per-second", Double.toString(maxRequestsPerSecond));
        return properties;
    }

    /** Reads what {@link #toProperties} wrote; a missing setting takes its default. */
    static S3Settings fromProperties(String store, Map<String, String> properties) throws StoreException {
        try {
            String endpoint = properties.get("s3.endpoint");
            return new S3Settings(
                    required(store, properties, "s3.bucket"),
                    properties.getOrDefault("s3.prefix", ""),
                    endpoint == null || endpoint.isEmpty() ? null : new URI(endpoint),
                    properties.getOrDefault("s3.region", "us-east-1"),
                    Long.parseLong(properties.getOrDefault("s3.cache-size", Long.toString(DEFAULT_CACHE))),
                    Boolean.parseBoolean(properties.getOrDefault("s3.conditional-writes", "true")),
                    Boolean.parseBoolean(properties.getOrDefault("s3.checksum-trailer", "false")),
                    Duration.ofMillis(Long.parseLong(properties.getOrDefault(
                            "s3.request-timeout-ms", Long.toString(DEFAULT_REQUEST_TIMEOUT.toMillis())))),
                    Long.parseLong(properties.getOrDefault(
                            "s3.multipart-threshold", Long.toString(DEFAULT_MULTIPART_THRESHOLD))),
                    Double.parseDouble(properties.getOrDefault("s3.max-requests-per-second", "0")));
        } catch (URISyntaxException | IllegalArgumentException e) {
            throw new StoreException("the store " + store + " has an unreadable S3 setting: " + e.getMessage());
        }
    }

    private static String required(String store, Map<String, String> properties, String key) throws StoreException {
        String value = properties.get(key);
        if (value == null) {
            throw new StoreException("the store " + store + " is an S3 store without '" + key + "' in its .chunkfs");
        }
        return value;
    }
}

package io.chunkfs.store.s3;

import io.chunkfs.store.Digest;
import io.chunkfs.store.NamedThreads;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.core.SdkRequest;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.Delete;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The object store as the S3 backend uses it: a handful of requests on keys under the store's prefix, each
 * retried by the SDK (standard mode: exponential back-off with jitter on 5xx, 429, throttling and timeouts),
 * each attempt bounded in time, optionally rate-limited, and counted by kind. Every SDK failure becomes an
 * {@link ObjectStoreException} with a one-line reason. Thread-safe.
 */
final class S3Objects implements Closeable {
    /** What a conditional PUT found. */
    enum Put {
        CREATED,
        EXISTED
    }

    /** An object's size and when it was last written. */
    record Head(long size, Instant lastModified) {}

    /** One listed object. */
    record Listed(String key, long size, Instant lastModified) {}

    private static final int MAX_ATTEMPTS = 5;
    private static final int CONFLICT_RETRIES = 3;
    private static final long PART_SIZE = 16L << 20;

    private final S3Settings settings;
    /** Made at the first request: building it costs a second of class loading that {@code stats} never needs. */
    private volatile S3Client client;

    private final Map<String, LongAdder> requests = new ConcurrentHashMap<>();
    private final RequestRate rate;
    private final ExecutorService parts;

    S3Objects(S3Settings settings) {
        this.settings = settings;
        this.rate = new RequestRate(settings.maxRequestsPerSecond());
        this.parts = Executors.newFixedThreadPool(4, new NamedThreads("s3-part"));
    }

    private S3Client client() {
        S3Client made = client;
        if (made == null) {
            synchronized (this) {
                made = client;
                if (made == null) {
                    made = build();
                    client = made;
                }
            }
        }
        return made;
    }

    private S3Client build() {
        var builder = S3Client.builder()
                .region(Region.of(settings.region()))
                .credentialsProvider(DefaultCredentialsProvider.builder().build())
                .httpClient(ApacheHttpClient.builder()
                        .maxConnections(32)
                        .connectionTimeout(Duration.ofSeconds(10))
                        .socketTimeout(settings.requestTimeout())
                        .build())
                .requestChecksumCalculation(
                        settings.checksumTrailer()
                                ? RequestChecksumCalculation.WHEN_SUPPORTED
                                : RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .overrideConfiguration(c -> c.retryStrategy(b -> b.maxAttempts(MAX_ATTEMPTS))
                        .apiCallAttemptTimeout(settings.requestTimeout())
                        .addExecutionInterceptor(new Counting()));
        if (settings.endpoint() != null) {
            builder.endpointOverride(settings.endpoint()).forcePathStyle(true);
        }
        return builder.build();
    }

    /** Counts every attempt of every request by its operation, and spaces requests out if a rate is set. */
    private final class Counting implements ExecutionInterceptor {
        @Override
        public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
            rate.acquire();
            String operation = attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME);
            requests.computeIfAbsent(kind(operation, context.request()), k -> new LongAdder())
                    .increment();
        }
    }

    private static String kind(String operation, SdkRequest request) {
        return switch (operation) {
            case "PutObject", "UploadPart", "CreateMultipartUpload", "CompleteMultipartUpload" -> "put";
            case "GetObject" -> "get";
            case "HeadObject", "HeadBucket" -> "head";
            case "ListObjectsV2" -> "list";
            case "DeleteObject", "DeleteObjects", "AbortMultipartUpload" -> "delete";
            case "CopyObject" -> "copy";
            default -> operation.toLowerCase(java.util.Locale.ROOT);
        };
    }

    /** Requests sent so far by kind (put, get, head, list, delete, copy), retries included. */
    Map<String, Long> requests() {
        Map<String, Long> counts = new TreeMap<>();
        for (String kind : List.of("put", "get", "head", "list", "delete", "copy")) {
            counts.put(kind, 0L);
        }
        requests.forEach((kind, count) -> counts.put(kind, count.sum()));
        return counts;
    }

    String url(String key) {
        return "s3://" + settings.bucket() + "/" + key;
    }

    /** Checks that the bucket exists and answers. */
    void checkBucket() throws IOException {
        try {
            client().headBucket(b -> b.bucket(settings.bucket()));
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                throw new ObjectStoreException(
                        "the bucket " + settings.bucket() + " does not exist at " + endpointName()
                                + ": create it first",
                        e);
            }
            throw failure("HEAD bucket " + settings.bucket(), e);
        } catch (SdkException e) {
            throw failure("HEAD bucket " + settings.bucket(), e);
        }
    }

    private String endpointName() {
        return settings.endpoint() == null
                ? "AWS S3 (" + settings.region() + ")"
                : settings.endpoint().toString();
    }

    /**
     * Uploads a chunk unless its key holds an object already: with {@code If-None-Match: *} (412: there
     * already), or a HEAD first where the store has no conditional writes, or where the chunk is big enough
     * that uploading a duplicate only to have it refused would be a waste. The chunk's SHA-256 goes along, so
     * the object store refuses bytes that changed on the way; above the multipart threshold it goes up in parts.
     *
     * @param timeout how long the whole upload may take, retries included
     */
    Put putIfAbsent(String key, FileChannel chunk, long size, Digest digest, Duration timeout) throws IOException {
        boolean big = size > settings.multipartThreshold();
        if ((big || !settings.conditionalWrites()) && head(key) != null) {
            return Put.EXISTED;
        }
        for (int attempt = 1; ; attempt++) {
            try {
                if (big) {
                    return putInParts(key, chunk, size, timeout);
                }
                String checksum = Base64.getEncoder().encodeToString(digest.toBytes());
                client().putObject(
                                b -> {
                                    b.bucket(settings.bucket())
                                            .key(key)
                                            .checksumSHA256(checksum)
                                            .overrideConfiguration(o ->
                                                    o.apiCallTimeout(timeout).apiCallAttemptTimeout(timeout));
                                    if (settings.conditionalWrites()) {
                                        b.ifNoneMatch("*");
                                    }
                                },
                                RequestBody.fromContentProvider(
                                        () -> new ChannelSlice(chunk, 0, size), size, "application/octet-stream"));
                return Put.CREATED;
            } catch (S3Exception e) {
                if (e.statusCode() == 412) {
                    return Put.EXISTED;
                }
                if (e.statusCode() == 409 && attempt < CONFLICT_RETRIES) {
                    continue; // a concurrent conditional write of the same key: ask again
                }
                throw failure("PUT " + url(key), e);
            } catch (SdkException e) {
                throw failure("PUT " + url(key), e);
            }
        }
    }

    private Put putInParts(String key, FileChannel chunk, long size, Duration timeout) throws IOException {
        long partSize = Math.max(PART_SIZE, (size + 9_999) / 10_000);
        String uploadId = client().createMultipartUpload(
                        b -> b.bucket(settings.bucket()).key(key))
                .uploadId();
        boolean completed = false;
        try {
            List<Future<CompletedPart>> futures = new ArrayList<>();
            int number = 1;
            for (long offset = 0; offset < size; offset += partSize, number++) {
                long from = offset;
                long length = Math.min(partSize, size - offset);
                int part = number;
                futures.add(parts.submit(() -> {
                    String etag = client().uploadPart(
                                    b -> b.bucket(settings.bucket())
                                            .key(key)
                                            .uploadId(uploadId)
                                            .partNumber(part)
                                            .overrideConfiguration(o -> o.apiCallTimeout(timeout)),
                                    RequestBody.fromContentProvider(
                                            () -> new ChannelSlice(chunk, from, length),
                                            length,
                                            "application/octet-stream"))
                            .eTag();
                    return CompletedPart.builder().partNumber(part).eTag(etag).build();
                }));
            }
            // The whole upload, parts waiting for a free thread included, within the commit's time.
            long deadline = System.nanoTime() + timeout.toNanos();
            List<CompletedPart> done = new ArrayList<>();
            for (Future<CompletedPart> future : futures) {
                try {
                    done.add(future.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
                } catch (TimeoutException e) {
                    futures.forEach(f -> f.cancel(true));
                    throw new ObjectStoreException(
                            "PUT (multipart) " + url(key) + " did not finish within " + timeout.toSeconds() + " s", e);
                }
            }
            try {
                client().completeMultipartUpload(b -> {
                    b.bucket(settings.bucket()).key(key).uploadId(uploadId).multipartUpload(m -> m.parts(done));
                    if (settings.conditionalWrites()) {
                        b.ifNoneMatch("*");
                    }
                });
            } catch (S3Exception e) {
                if (e.statusCode() == 412) {
                    return Put.EXISTED;
                }
                throw e;
            }
            completed = true;
            return Put.CREATED;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while uploading " + url(key));
        } catch (ExecutionException e) {
            throw failure("PUT (part) " + url(key), e.getCause());
        } catch (SdkException e) {
            throw failure("PUT (multipart) " + url(key), e);
        } finally {
            if (!completed) {
                try {
                    client().abortMultipartUpload(
                                    b -> b.bucket(settings.bucket()).key(key).uploadId(uploadId));
                } catch (SdkException e) {
                    // Left for the bucket's lifecycle rule on incomplete uploads; the chunk itself failed.
                }
            }
        }
    }

    /** Writes a small object (a lease, the format object); {@code ifAbsent}: only if the key is free. */
    Put putBytes(String key, byte[] data, boolean ifAbsent) throws IOException {
        if (ifAbsent && !settings.conditionalWrites() && head(key) != null) {
            return Put.EXISTED; // no If-None-Match here: look first (racy, but leases stay honest)
        }
        try {
            client().putObject(
                            b -> {
                                b.bucket(settings.bucket()).key(key);
                                if (ifAbsent && settings.conditionalWrites()) {
                                    b.ifNoneMatch("*");
                                }
                            },
                            RequestBody.fromBytes(data));
            return Put.CREATED;
        } catch (S3Exception e) {
            if (e.statusCode() == 412 || e.statusCode() == 409) {
                return Put.EXISTED;
            }
            throw failure("PUT " + url(key), e);
        } catch (SdkException e) {
            throw failure("PUT " + url(key), e);
        }
    }

    /** A small object's bytes, or null if there is none. */
    byte[] getBytes(String key) throws IOException {
        try {
            return client().getObjectAsBytes(b -> b.bucket(settings.bucket()).key(key))
                    .asByteArray();
        } catch (NoSuchKeyException e) {
            return null;
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return null;
            }
            throw failure("GET " + url(key), e);
        } catch (SdkException e) {
            throw failure("GET " + url(key), e);
        }
    }

    /** An object's size and time, or null if there is none. */
    Head head(String key) throws IOException {
        try {
            var response = client().headObject(b -> b.bucket(settings.bucket()).key(key));
            return new Head(response.contentLength(), response.lastModified());
        } catch (NoSuchKeyException e) {
            return null;
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return null;
            }
            throw failure("HEAD " + url(key), e);
        } catch (SdkException e) {
            throw failure("HEAD " + url(key), e);
        }
    }

    /**
     * Downloads an object into {@code target} from position 0: in one stream, or in parallel ranges above the
     * multipart threshold.
     *
     * @param size   the object's size if known (one request fewer for a big one), else -1
     * @param hasher if not null, fed every byte in order (as they arrive; ranges once all are in)
     * @return the object's size, or -1 if there is none
     */
    long download(String key, FileChannel target, long size, MessageDigest hasher) throws IOException {
        try {
            if (size > settings.multipartThreshold()) {
                downloadRanges(key, target, size);
                if (hasher != null) {
                    FileHashing.update(hasher, target, size);
                }
                return size;
            }
            try (InputStream in =
                    client().getObject(b -> b.bucket(settings.bucket()).key(key))) {
                long position = 0;
                byte[] buffer = new byte[1 << 16];
                for (int n; (n = in.read(buffer)) >= 0; ) {
                    if (hasher != null) {
                        hasher.update(buffer, 0, n);
                    }
                    ByteBuffer wrapped = ByteBuffer.wrap(buffer, 0, n);
                    while (wrapped.hasRemaining()) {
                        position += target.write(wrapped, position);
                    }
                }
                return position;
            }
        } catch (NoSuchKeyException e) {
            return -1;
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return -1;
            }
            throw failure("GET " + url(key), e);
        } catch (SdkException e) {
            throw failure("GET " + url(key), e);
        }
    }

    private void downloadRanges(String key, FileChannel target, long size) throws IOException {
        List<Future<Void>> futures = new ArrayList<>();
        for (long offset = 0; offset < size; offset += PART_SIZE) {
            long from = offset;
            long to = Math.min(size, offset + PART_SIZE) - 1;
            futures.add(parts.submit(() -> {
                try (InputStream in = client().getObject(
                                b -> b.bucket(settings.bucket()).key(key).range("bytes=" + from + "-" + to))) {
                    long position = from;
                    byte[] buffer = new byte[1 << 16];
                    for (int n; (n = in.read(buffer)) >= 0; ) {
                        ByteBuffer wrapped = ByteBuffer.wrap(buffer, 0, n);
                        while (wrapped.hasRemaining()) {
                            position += target.write(wrapped, position);
                        }
                    }
                }
                return null;
            }));
        }
        try {
            for (Future<Void> future : futures) {
                future.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while downloading " + url(key));
        } catch (ExecutionException e) {
            if (e.getCause() instanceof NoSuchKeyException
                    || (e.getCause() instanceof S3Exception s3 && s3.statusCode() == 404)) {
                throw (S3Exception) e.getCause(); // download() answers -1
            }
            throw failure("GET (range) " + url(key), e.getCause());
        }
    }

    /** Every object whose key starts with {@code prefix}, a page of 1000 at a time. */
    List<Listed> list(String prefix) throws IOException {
        List<Listed> listed = new ArrayList<>();
        try {
            String token = null;
            do {
                String continuation = token;
                ListObjectsV2Response page = client().listObjectsV2(
                                b -> b.bucket(settings.bucket()).prefix(prefix).continuationToken(continuation));
                for (S3Object object : page.contents()) {
                    listed.add(new Listed(object.key(), object.size(), object.lastModified()));
                }
                token = Boolean.TRUE.equals(page.isTruncated()) ? page.nextContinuationToken() : null;
            } while (token != null);
        } catch (SdkException e) {
            throw failure("LIST " + url(prefix), e);
        }
        return listed;
    }

    /** Deletes up to 1000 objects in one request; a key already gone counts as deleted. */
    void delete(List<String> keys) throws IOException {
        if (keys.isEmpty()) {
            return;
        }
        try {
            List<ObjectIdentifier> objects = keys.stream()
                    .map(key -> ObjectIdentifier.builder().key(key).build())
                    .toList();
            var response = client().deleteObjects(b -> b.bucket(settings.bucket())
                    .delete(Delete.builder().objects(objects).quiet(true).build()));
            if (response.hasErrors() && !response.errors().isEmpty()) {
                var error = response.errors().get(0);
                throw new ObjectStoreException(
                        "DELETE " + url(error.key()) + " failed: " + error.code() + " " + error.message(), null);
            }
        } catch (SdkException e) {
            throw failure("DELETE " + keys.size() + " objects under " + url(settings.keyBase()), e);
        }
    }

    /** Deletes one object. */
    void delete(String key) throws IOException {
        try {
            client().deleteObject(b -> b.bucket(settings.bucket()).key(key));
        } catch (SdkException e) {
            throw failure("DELETE " + url(key), e);
        }
    }

    /** Copies an object within the bucket. */
    void copy(String from, String to) throws IOException {
        try {
            client().copyObject(b -> b.sourceBucket(settings.bucket())
                    .sourceKey(from)
                    .destinationBucket(settings.bucket())
                    .destinationKey(to));
        } catch (SdkException e) {
            throw failure("COPY " + url(from) + " to " + to, e);
        }
    }

    private ObjectStoreException failure(String request, Throwable e) {
        String reason;
        if (e instanceof S3Exception s3 && s3.statusCode() == 403) {
            String code =
                    s3.awsErrorDetails() == null ? null : s3.awsErrorDetails().errorCode();
            reason = "403 " + (code == null ? "Forbidden" : code)
                    + " (are the credentials right, and allowed to use this bucket?)";
        } else if (e instanceof S3Exception s3 && s3.awsErrorDetails() != null) {
            String code = s3.awsErrorDetails().errorCode();
            reason = s3.statusCode() + " " + (code == null ? "(no error code)" : code);
        } else if (String.valueOf(e.getMessage()).startsWith("Unable to load credentials")) {
            reason = "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or a profile in"
                    + " ~/.aws/credentials (AWS_PROFILE)";
        } else {
            Throwable root = e;
            while (root.getCause() != null && root.getCause() != root) {
                root = root.getCause();
            }
            reason = String.valueOf(root.getMessage())
                    .lines()
                    .findFirst()
                    .orElse(root.getClass().getSimpleName());
        }
        return new ObjectStoreException(request + " failed at " + endpointName() + ": " + reason, e);
    }

    @Override
    public void close() {
        parts.shutdownNow();
        S3Client made = client;
        if (made != null) {
            made.close();
        }
    }
}

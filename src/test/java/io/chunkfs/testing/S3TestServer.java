package io.chunkfs.testing;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.BlobStores;
import org.gaul.s3proxy.S3Proxy;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * An S3 endpoint on 127.0.0.1 for tests: S3Proxy over its {@code filesystem-nio2} blob store, so that objects
 * are plain files a test can damage ({@link #objectFile}) and the data outlives a {@link #stop} and
 * {@link #start} on the same port (an endpoint that goes away and comes back). The SDK's default credential
 * chain finds the test keys as system properties (in this JVM) or in {@link #environment()} (a child process).
 */
public final class S3TestServer implements AutoCloseable {
    public static final String ACCESS_KEY = "chunkfs-test-access";
    public static final String SECRET_KEY = "chunkfs-test-secret";
    private static final AtomicInteger BUCKETS = new AtomicInteger();

    private final Path dir;
    private S3Proxy proxy;
    private int port;

    private S3TestServer(Path dir) {
        this.dir = dir;
    }

    /** Starts a server whose objects live under {@code dir}. */
    public static S3TestServer start(Path dir) throws Exception {
        System.setProperty("aws.accessKeyId", ACCESS_KEY);
        System.setProperty("aws.secretAccessKey", SECRET_KEY);
        S3TestServer server = new S3TestServer(dir);
        server.start();
        return server;
    }

    /** Starts (again, on the same port once it had one). */
    public void start() throws Exception {
        Files.createDirectories(dir);
        Properties properties = new Properties();
        properties.setProperty("jclouds.filesystem.basedir", dir.toString());
        properties.setProperty("jclouds.identity", ACCESS_KEY);
        properties.setProperty("jclouds.credential", SECRET_KEY);
        proxy = S3Proxy.builder()
                .blobStore(BlobStores.create("filesystem-nio2", properties))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
                .ignoreUnknownHeaders(true)
                .endpoint(URI.create("http://127.0.0.1:" + port))
                .build();
        proxy.start();
        Await.until(java.time.Duration.ofSeconds(30), "S3Proxy started", () -> "STARTED".equals(proxy.getState()));
        port = proxy.getPort();
    }

    /** Stops answering (connections are refused) until {@link #start}. */
    public void stop() throws Exception {
        proxy.stop();
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + port);
    }

    /** A new empty bucket with a name no other test uses. */
    public String newBucket() {
        String bucket = "test-" + ProcessHandle.current().pid() + "-" + BUCKETS.incrementAndGet();
        try (S3Client client = client()) {
            client.createBucket(b -> b.bucket(bucket));
        }
        return bucket;
    }

    /** A client of this server, for tests that look into the bucket. */
    public S3Client client() {
        return S3Client.builder()
                .endpointOverride(endpoint())
                .forcePathStyle(true)
                .region(Region.US_EAST_1)
                .credentialsProvider(
                        StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)))
                .build();
    }

    /** The file that holds an object's bytes. */
    public Path objectFile(String bucket, String key) {
        return dir.resolve(bucket).resolve(key);
    }

    /** The environment a child process needs to find the test keys. */
    public static Map<String, String> environment() {
        return Map.of("AWS_ACCESS_KEY_ID", ACCESS_KEY, "AWS_SECRET_ACCESS_KEY", SECRET_KEY);
    }

    @Override
    public void close() throws Exception {
        proxy.stop();
    }
}

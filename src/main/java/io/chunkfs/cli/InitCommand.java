package io.chunkfs.cli;

import io.chunkfs.Stores;
import java.net.URI;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
        name = "init",
        mixinStandardHelpOptions = true,
        description = "Create a store: .chunks/00 … ff, a lock file and a format marker, each made durable. "
                + "Folders are 0755 and chunks 0444 whatever the umask (0700 and 0400 with --private). "
                + "A valid store already there is left as it is.")
final class InitCommand extends StoreCommand implements Callable<Integer> {
    @Option(
            names = "--private",
            description = "Only the owner may read the store: folders 0700, chunks 0400. A store folder that "
                    + "already exists without group or other permissions is private too.")
    boolean privateStore;

    @Option(
            names = "--s3",
            paramLabel = "s3://BUCKET/PREFIX",
            description = "Keep the chunks in this S3 bucket (which must exist) under PREFIX; the store folder "
                    + "becomes their bounded local cache. Credentials come from the AWS SDK's default chain "
                    + "(AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or ~/.aws/credentials), never from here.")
    String s3;

    @Option(
            names = "--endpoint",
            paramLabel = "URL",
            description = "An S3-compatible endpoint (MinIO, Ceph RGW, Garage: http://host:9000), addressed "
                    + "path-style; default: AWS S3.")
    URI endpoint;

    @Option(names = "--region", paramLabel = "REGION", description = "The bucket's region (default: us-east-1).")
    String region = "us-east-1";

    @Option(
            names = "--cache-size",
            paramLabel = "SIZE",
            converter = SizeConverter.class,
            description = "The most bytes of chunks the store folder keeps (default: 64G); the least recently "
                    + "used are dropped first, and fetched again when read.")
    Long cacheSize;

    @Option(
            names = "--no-conditional-writes",
            description = "The object store ignores or refuses If-None-Match on PUT: look with a HEAD before "
                    + "each upload instead (one request more per new chunk).")
    boolean noConditionalWrites;

    @Option(
            names = "--checksum-trailer",
            description = "Let the AWS SDK send its aws-chunked checksum trailer (off by default: some "
                    + "S3-compatible servers refuse it). The chunk's SHA-256 is checked by the server either way.")
    boolean checksumTrailer;

    @Option(
            names = "--max-requests-per-second",
            paramLabel = "N",
            description = "Send at most N requests per second (default: no limit), for providers that throttle.")
    double maxRequestsPerSecond;

    @Override
    public Integer call() throws Exception {
        boolean created;
        if (s3 != null) {
            try {
                created = Stores.initS3(
                        storePath(),
                        privateStore,
                        s3,
                        endpoint,
                        region,
                        cacheSize == null ? Stores.DEFAULT_S3_CACHE : cacheSize,
                        !noConditionalWrites,
                        checksumTrailer,
                        maxRequestsPerSecond);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
            }
        } else {
            if (endpoint != null
                    || cacheSize != null
                    || noConditionalWrites
                    || checksumTrailer
                    || maxRequestsPerSecond != 0) {
                throw new CommandLine.ParameterException(
                        spec.commandLine(),
                        "--endpoint, --cache-size, --no-conditional-writes, --checksum-trailer and "
                                + "--max-requests-per-second need --s3");
            }
            created = Stores.init(storePath(), privateStore);
        }
        out().println((created ? "created store " : "store already exists: ")
                + storePath().toAbsolutePath()
                + (s3 == null ? "" : " (chunks in " + s3 + ")"));
        Stores.durabilityCaveat(storePath()).ifPresent(caveat -> err().println("chunkfs: warning: " + caveat));
        return 0;
    }
}

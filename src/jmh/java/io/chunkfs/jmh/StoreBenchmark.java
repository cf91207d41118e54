package io.chunkfs.jmh;

import io.chunkfs.Stores;
import io.chunkfs.store.ChunkStore;
import io.chunkfs.store.Digest;
import io.chunkfs.store.InsertResult;
import io.chunkfs.store.StoreOptions;
import io.chunkfs.store.SyncLevel;
import io.chunkfs.store.WriteSession;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The library's hot paths: inserting a new chunk, inserting a duplicate, loading, and the
 * conditional touch. Run with {@code mvn -Pjmh -DskipTests package && java -jar target/benchmarks.jar}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class StoreBenchmark {
    @Param({"4096", "4194304"})
    int size;

    @Param({"none", "file"})
    String sync;

    private Path dir;
    private ChunkStore store;
    private WriteSession session;
    private byte[] existing;
    private Digest existingDigest;
    private byte[] fresh;
    private long counter;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        dir = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "chunkfs-jmh");
        Stores.init(dir.resolve("store"));
        store = Stores.open(dir.resolve("store"), StoreOptions.defaults().withSyncLevel(SyncLevel.parse(sync)));
        session = store.beginWrite();
        existing = new byte[size];
        new Random(1).nextBytes(existing);
        existingDigest = store.insertChunk(existing).digest();
        fresh = new byte[size];
        new Random(2).nextBytes(fresh);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        session.close();
        store.close();
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path path : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }

    @Benchmark
    public InsertResult insertNew() throws IOException {
        // A new chunk each time: the first 8 bytes count up.
        long n = ++counter;
        for (int i = 0; i < 8; i++) {
            fresh[i] = (byte) (n >>> (8 * i));
        }
        return session.insertChunk(fresh);
    }

    @Benchmark
    public InsertResult insertDuplicate() throws IOException {
        return session.insertChunk(existing);
    }

    @Benchmark
    public byte[] load() throws IOException {
        return store.loadChunk(existingDigest);
    }

    @Benchmark
    public boolean condTouch() throws IOException {
        return store.condTouchChunk(existingDigest, true);
    }
}

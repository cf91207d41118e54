// Fills a store with N small distinct chunks through the library, for the gc and verify benchmarks:
//   java -cp target/chunkfs.jar bench/MakeChunks.java STORE N
// bench/run --baseline compiles it against an older jar too: releases before the backend seam open a store with
// ChunkStore.init/open(Path, ...), later ones with io.chunkfs.Stores; it finds whichever the jar has.
import io.chunkfs.store.ChunkStore;
import io.chunkfs.store.StoreOptions;
import io.chunkfs.store.SyncLevel;
import io.chunkfs.store.WriteSession;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

public class MakeChunks {
    public static void main(String[] args) throws Exception {
        Path root = Path.of(args[0]);
        int count = Integer.parseInt(args[1]);
        int threads = Runtime.getRuntime().availableProcessors();
        Class<?> opener = opener();
        opener.getMethod("init", Path.class).invoke(null, root);
        StoreOptions options = StoreOptions.defaults().withSyncLevel(SyncLevel.NONE);
        try (ChunkStore store = (ChunkStore)
                        opener.getMethod("open", Path.class, StoreOptions.class).invoke(null, root, options);
                WriteSession session = store.beginWrite()) {
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            List<Future<?>> parts = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int first = t;
                parts.add(pool.submit(() -> {
                    for (int i = first; i < count; i += threads) {
                        session.insertChunk(("bench chunk " + i).getBytes(StandardCharsets.UTF_8));
                    }
                    return null;
                }));
            }
            for (Future<?> part : parts) {
                part.get();
            }
            pool.shutdown();
        }
    }

    private static Class<?> opener() {
        try {
            return Class.forName("io.chunkfs.Stores");
        } catch (ClassNotFoundException e) {
            return ChunkStore.class;
        }
    }
}

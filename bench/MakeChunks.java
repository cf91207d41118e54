// Fills a store with N small distinct chunks through the library, for the gc and verify benchmarks:
//   java -cp target/chunkfs.jar bench/MakeChunks.java STORE N
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
        ChunkStore.init(root);
        try (ChunkStore store = ChunkStore.open(root, StoreOptions.defaults().withSyncLevel(SyncLevel.NONE));
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
}

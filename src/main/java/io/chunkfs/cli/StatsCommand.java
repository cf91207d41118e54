package io.chunkfs.cli;

import io.chunkfs.store.ChunkStore;
import io.chunkfs.store.StoreOptions;
import io.chunkfs.store.StoreStats;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
        name = "stats",
        mixinStandardHelpOptions = true,
        description = "Count the chunks and bytes of the store, and how they spread over the 256 prefix folders; say"
                + " whether gc keeps the chunks the tree names (tree roots: 'chunkfs gc --tree-roots on|off').")
final class StatsCommand extends StoreCommand implements Callable<Integer> {
    @Option(names = "--json", description = "Print the figures as JSON (with the count of every prefix folder).")
    boolean json;

    @Override
    public Integer call() throws Exception {
        StoreStats stats;
        Map<String, Long> counters;
        boolean treeRoots;
        try (ChunkStore chunkStore = openStore(StoreOptions.defaults().withReadOnly(true))) {
            stats = chunkStore.stats();
            counters = chunkStore.counters();
            treeRoots = chunkStore.tree().treeRoots();
        }
        if (json) {
            Map<String, Object> summary = Json.object();
            summary.put("chunks", stats.chunks());
            summary.put("bytes", stats.bytes());
            summary.put("min_per_prefix", stats.minPerPrefix());
            summary.put("max_per_prefix", stats.maxPerPrefix());
            summary.put("chunks_by_prefix", stats.chunksByPrefix());
            summary.put("counters", counters);
            summary.put("tree_roots", treeRoots);
            out().println(Json.write(summary));
        } else {
            out().printf(Locale.ROOT, "store %s%n", storePath().toAbsolutePath());
            out().printf(
                            Locale.ROOT,
                            "chunks: %d%nbytes: %d (%s)%n",
                            stats.chunks(),
                            stats.bytes(),
                            Sizes.human(stats.bytes()));
            out().printf(
                            Locale.ROOT,
                            "per prefix folder: min %d, max %d%n",
                            stats.minPerPrefix(),
                            stats.maxPerPrefix());
            out().println(GcCommand.treeRootsLine(treeRoots));
            Long limit = counters.get("cache.limit");
            if (limit != null) {
                out().printf(
                                Locale.ROOT,
                                "cache: %s of %s held here (the rest is fetched when read)%n",
                                Sizes.human(counters.get("cache.bytes")),
                                Sizes.human(limit));
                long hits = counters.getOrDefault("cache.hits", 0L);
                long reads = hits + counters.getOrDefault("cache.misses", 0L);
                out().printf(
                                Locale.ROOT,
                                "cache hit rate: %s%n",
                                reads == 0
                                        ? "no reads yet"
                                        : String.format(
                                                Locale.ROOT, "%.1f%% of %d reads", 100.0 * hits / reads, reads));
            }
            counters.forEach((name, value) -> out().printf(Locale.ROOT, "%s: %d%n", name, value));
        }
        return 0;
    }
}

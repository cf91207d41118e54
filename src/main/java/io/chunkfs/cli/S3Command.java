package io.chunkfs.cli;

import io.chunkfs.store.ChunkStore;
import io.chunkfs.store.StoreOptions;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Verbs for a store whose chunks live in an S3 bucket: its cache folder's upkeep. */
@Command(
        name = "s3",
        mixinStandardHelpOptions = true,
        description = "Look after the local cache of a store whose chunks live in an S3 bucket (see 'init --s3').",
        subcommands = {S3Command.RebuildCache.class, S3Command.DropCache.class})
final class S3Command implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(
                spec.commandLine(), "say what to do: rebuild-cache or drop-cache");
    }

    @Command(
            name = "rebuild-cache",
            mixinStandardHelpOptions = true,
            description = {
                "After the cache folder was lost or replaced: list the bucket (one LIST per 1000 chunks) and "
                        + "make a 0-byte marker for every chunk the folder has no entry for, so that reads, "
                        + "touches and gc know of it again. Receipts are not in the bucket and do not come back.",
                "Run it with the store unmounted."
            })
    static final class RebuildCache extends StoreCommand implements Callable<Integer> {
        @Override
        public Integer call() throws Exception {
            long made;
            try (ChunkStore store = openStore(StoreOptions.defaults());
                    ProgressBars progress = new ProgressBars(true)) {
                made = store.rebuildCache(progress);
            }
            out().println("learnt " + made + " chunks from the bucket");
            return 0;
        }
    }

    @Command(
            name = "drop-cache",
            mixinStandardHelpOptions = true,
            description = {
                "Empty the cache: every chunk it holds becomes a 0-byte marker (it keeps its gc mark), to be "
                        + "fetched from the bucket when read. Chunks still waiting for an upload stay.",
                "Run it with the store unmounted."
            })
    static final class DropCache extends StoreCommand implements Callable<Integer> {
        @Override
        public Integer call() throws Exception {
            long dropped;
            try (ChunkStore store = openStore(StoreOptions.defaults());
                    ProgressBars progress = new ProgressBars(true)) {
                dropped = store.dropCache(progress);
            }
            out().println("dropped " + dropped + " chunks from the cache");
            return 0;
        }
    }
}

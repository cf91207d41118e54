package io.chunkfs.cli;

import io.chunkfs.store.ChunkNotFoundException;
import io.chunkfs.store.ChunkStore;
import io.chunkfs.store.Digest;
import io.chunkfs.store.StoreOptions;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(
        name = "touch",
        mixinStandardHelpOptions = true,
        description = {
            "Conditional touch: set each chunk's atime to now (mtime is kept) so that garbage "
                    + "collection keeps it.",
            "A digest the store does not hold is an error; nothing is created."
        })
final class TouchCommand extends StoreCommand implements Callable<Integer> {
    @Parameters(
            arity = "1..*",
            paramLabel = "DIGEST",
            converter = DigestConverter.class,
            description = "Chunks to touch.")
    List<Digest> digests;

    @Override
    public Integer call() throws Exception {
        int status = 0;
        try (ChunkStore chunkStore = openStore(StoreOptions.defaults())) {
            for (Digest digest : digests) {
                try {
                    chunkStore.condTouchChunk(digest, true);
                } catch (ChunkNotFoundException e) {
                    err().println("chunkfs: no such chunk: " + digest);
                    status = Main.EXIT_FAILURE;
                }
            }
        }
        return status;
    }
}

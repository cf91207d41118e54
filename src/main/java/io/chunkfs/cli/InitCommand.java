package io.chunkfs.cli;

import java.util.concurrent.Callable;

import io.chunkfs.store.ChunkStore;
import picocli.CommandLine.Command;

@Command(name = "init", mixinStandardHelpOptions = true,
        description = "Create a store: .chunks/00 … ff, a lock file and a format marker. "
                + "A valid store already there is left as it is.")
final class InitCommand extends StoreCommand implements Callable<Integer> {
    @Override
    public Integer call() throws Exception {
        boolean created = ChunkStore.init(storePath());
        out().println((created ? "created store " : "store already exists: ") + storePath().toAbsolutePath());
        return 0;
    }
}

package io.chunkfs.cli;

import io.chunkfs.Stores;
import java.util.concurrent.Callable;
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

    @Override
    public Integer call() throws Exception {
        boolean created = Stores.init(storePath(), privateStore);
        out().println((created ? "created store " : "store already exists: ")
                + storePath().toAbsolutePath());
        return 0;
    }
}

package io.chunkfs.cli;

import io.chunkfs.store.ChunkStore;
import io.chunkfs.store.InsertResult;
import io.chunkfs.store.StoreOptions;
import io.chunkfs.store.SyncLevel;
import io.chunkfs.store.WriteSession;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
        name = "put",
        mixinStandardHelpOptions = true,
        description = {
            "Insert each FILE as one chunk and print '<digest>  <file>' per file, like sha256sum.",
            "'-' reads standard input. A chunk already in the store is touched, not rewritten.",
            "The store is created if its folder is missing or empty."
        })
final class PutCommand extends StoreCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "FILE", description = "Files to insert ('-' for standard input).")
    List<String> files;

    @Option(
            names = "--sync",
            paramLabel = "LEVEL",
            defaultValue = "file",
            description = "Durability: file (fsync every chunk; default), filesystem (one syncfs at the end), none.")
    String sync;

    @Override
    public Integer call() throws Exception {
        SyncLevel level = SyncLevel.parse(sync);
        int status = 0;
        try (ChunkStore chunkStore = openOrCreateStore(StoreOptions.defaults().withSyncLevel(level));
                WriteSession session = chunkStore.beginWrite()) {
            for (String file : files) {
                try {
                    InsertResult result = file.equals("-") ? session.insert(System.in) : session.insert(Path.of(file));
                    out().println(result.digest() + "  " + file);
                } catch (java.io.IOException e) {
                    err().println("chunkfs: " + file + ": " + Main.describe(e));
                    status = Main.EXIT_FAILURE;
                }
            }
            out().flush();
        }
        return status;
    }
}

package io.chunkfs.cli;

import io.chunkfs.Stores;
import io.chunkfs.store.ChunkStore;
import io.chunkfs.store.StoreOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** What every command that works on a store shares: the {@code -s/--store} option and opening it. */
abstract class StoreCommand {
    @Spec
    CommandSpec spec;

    /** The top command, holding {@code -s}: the parent, or a grandparent for {@code s3 rebuild-cache}. */
    private Main main() {
        for (CommandSpec command = spec; command != null; command = command.parent()) {
            if (command.userObject() instanceof Main main) {
                return main;
            }
        }
        throw new IllegalStateException("no chunkfs command above " + spec.qualifiedName());
    }

    /** The store folder this command works on. */
    Path storePath() {
        Main main = main();
        if (main.store != null) {
            return main.store;
        }
        String fromEnvironment = System.getenv("CHUNKFS_STORE");
        if (fromEnvironment != null && !fromEnvironment.isBlank()) {
            return Path.of(fromEnvironment);
        }
        String dataHome = System.getenv("XDG_DATA_HOME");
        if (dataHome == null || dataHome.isBlank()) {
            return home().resolve(".local/share/chunkfs");
        }
        return Path.of(dataHome, "chunkfs");
    }

    /** $HOME, as the shell and the XDG rules mean it (the JVM's user.home comes from the password file). */
    static Path home() {
        String home = System.getenv("HOME");
        return Path.of(home != null && !home.isBlank() ? home : System.getProperty("user.home"));
    }

    /** Opens the store; it must exist. */
    ChunkStore openStore(StoreOptions options) throws IOException {
        return Stores.open(storePath(), options);
    }

    /**
     * Opens the store, creating it first if its folder is missing or empty, so that putting the first
     * chunk needs no set-up.
     */
    ChunkStore openOrCreateStore(StoreOptions options) throws IOException {
        Path path = storePath();
        if (!Files.exists(path) || isEmptyFolder(path)) {
            Stores.init(path);
        }
        return Stores.open(path, options);
    }

    private static boolean isEmptyFolder(Path path) throws IOException {
        if (!Files.isDirectory(path)) {
            return false;
        }
        try (var entries = Files.list(path)) {
            return entries.findAny().isEmpty();
        }
    }

    java.io.PrintWriter out() {
        return spec.commandLine().getOut();
    }

    java.io.PrintWriter err() {
        return spec.commandLine().getErr();
    }
}

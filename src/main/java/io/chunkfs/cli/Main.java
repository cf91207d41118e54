package io.chunkfs.cli;

import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code chunkfs} command. Exit status: 0 success, 1 a failure explained on stderr, 2 bad usage. Its
 * subcommands are registered by {@link Subcommands}, not in this annotation, so that a run builds the
 * model of the one command it runs only.
 */
@Command(
        name = "chunkfs",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "A content-addressed chunk store (SHA-256 named, Proxmox Backup Server layout) "
                + "that mounts as a directory.",
        footer = {
            "",
            "The store is -s/--store DIR, else $CHUNKFS_STORE, else $XDG_DATA_HOME/chunkfs "
                    + "(~/.local/share/chunkfs).",
            "Run 'chunkfs COMMAND --help' for the options of a command."
        })
public final class Main implements Runnable {
    static final int EXIT_FAILURE = 1;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Option(
            names = {"-s", "--store"},
            paramLabel = "DIR",
            scope = CommandLine.ScopeType.INHERIT,
            description = "The store folder (default: $CHUNKFS_STORE, else $XDG_DATA_HOME/chunkfs, "
                    + "i.e. ~/.local/share/chunkfs).")
    java.nio.file.Path store;

    public static void main(String[] args) {
        ProcessLocale.setUp();
        System.exit(run(args));
    }

    /** Runs the command line and returns its exit status. */
    public static int run(String... args) {
        return commandLine(args).execute(args);
    }

    /** The command line that runs {@code args}, with the subcommands they need. */
    static CommandLine commandLine(String... args) {
        CommandLine commandLine = new CommandLine(new Main());
        for (Class<?> subcommand : Subcommands.neededFor(args)) {
            commandLine.addSubcommand(subcommand);
        }
        commandLine.setExecutionExceptionHandler((error, line, parsed) -> {
            line.getErr().println("chunkfs: " + describe(error));
            line.getErr().flush();
            return EXIT_FAILURE;
        });
        return commandLine;
    }

    /** One line that says what went wrong, without a stack trace. */
    static String describe(Throwable error) {
        if (error instanceof NoSuchFileException e) {
            return (e.getReason() != null ? e.getReason() : "no such file or folder") + ": " + e.getFile();
        }
        if (error instanceof FileSystemException e) {
            return e.getMessage();
        }
        if (error instanceof java.nio.file.ReadOnlyFileSystemException) {
            return "the store is read-only";
        }
        String message = error.getMessage();
        return message != null ? message : error.getClass().getSimpleName();
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command");
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = Main.class.getPackage().getImplementationVersion();
            return new String[] {"chunkfs " + (version != null ? version : "(development build)")};
        }
    }
}

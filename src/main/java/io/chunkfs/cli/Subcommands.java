package io.chunkfs.cli;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;

/**
 * Which subcommands a run of {@code chunkfs} registers. picocli builds the model of every registered
 * command from its annotations by reflection, which cost more than a third of the CPU time of a short
 * command such as {@code chunkfs stats} when all thirteen were registered; a run that names its command
 * needs only that one. Anything else (no command, {@code help}, a name that is not a command) gets all
 * of them, so that usage, help and "Unmatched argument" messages list every command as before.
 */
final class Subcommands {
    /** By name, in the order {@code chunkfs --help} lists them. */
    static final Map<String, Class<?>> ALL = all();

    private Subcommands() {}

    private static Map<String, Class<?>> all() {
        Map<String, Class<?>> all = new LinkedHashMap<>();
        all.put("init", InitCommand.class);
        all.put("put", PutCommand.class);
        all.put("get", GetCommand.class);
        all.put("touch", TouchCommand.class);
        all.put("gc", GcCommand.class);
        all.put("verify", VerifyCommand.class);
        all.put("stats", StatsCommand.class);
        all.put("mount", MountCommand.class);
        all.put("umount", UmountCommand.class);
        all.put("status", StatusCommand.class);
        all.put("receipts", ReceiptsCommand.class);
        all.put("s3", S3Command.class);
        all.put("help", CommandLine.HelpCommand.class);
        return java.util.Collections.unmodifiableMap(all);
    }

    /**
     * The subcommands to register for {@code args}: the command they name, found as the first argument
     * that is neither {@code -s/--store} nor its value. Another option before it ({@code -h}, {@code -V}, a
     * mistake) gets all of them.
     */
    static Collection<Class<?>> neededFor(String... args) {
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (arg.equals("-s") || arg.equals("--store")) {
                i++;
            } else if (arg.startsWith("--store=") || (arg.startsWith("-s") && !arg.startsWith("--"))) {
                continue; // -sDIR, -s=DIR, --store=DIR
            } else if (arg.startsWith("-")) {
                return ALL.values(); // -h, -V, an unknown option: their messages list every command
            } else {
                Class<?> named = ALL.get(arg.equals("unmount") ? "umount" : arg);
                return named == null || arg.equals("help") ? ALL.values() : List.of(named);
            }
        }
        return ALL.values();
    }
}

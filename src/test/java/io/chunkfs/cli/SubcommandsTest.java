package io.chunkfs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class SubcommandsTest {
    @Test
    void everyNameIsTheNameItsCommandDeclares() {
        for (Map.Entry<String, Class<?>> entry : Subcommands.ALL.entrySet()) {
            assertEquals(
                    entry.getKey(),
                    entry.getValue().getAnnotation(CommandLine.Command.class).name(),
                    entry.getValue().getName());
        }
        assertEquals(13, Subcommands.ALL.size());
    }

    @Test
    void aRunThatNamesItsCommandRegistersOnlyThatOne() {
        assertEquals(List.of(StatsCommand.class), List.copyOf(Subcommands.neededFor("stats")));
        assertEquals(List.of(StatsCommand.class), List.copyOf(Subcommands.neededFor("-s", "stats", "stats")));
        assertEquals(List.of(TouchCommand.class), List.copyOf(Subcommands.neededFor("--store", "put", "touch", "x")));
        assertEquals(List.of(PutCommand.class), List.copyOf(Subcommands.neededFor("-sDIR", "put", "-s", "stats")));
        assertEquals(List.of(PutCommand.class), List.copyOf(Subcommands.neededFor("--store=init", "put")));
        assertEquals(List.of(UmountCommand.class), List.copyOf(Subcommands.neededFor("unmount", "mnt")));
        assertEquals(List.of(S3Command.class), List.copyOf(Subcommands.neededFor("s3", "rebuild-cache")));
    }

    @Test
    void anythingElseRegistersEveryCommand() {
        List<Class<?>> all = new ArrayList<>(Subcommands.ALL.values());
        for (String[] args : List.of(
                new String[] {},
                new String[] {"help", "stats"},
                new String[] {"--help"},
                new String[] {"-h", "stats"},
                new String[] {"-V"},
                new String[] {"stat"},
                new String[] {"-s", "store"})) {
            assertEquals(all, List.copyOf(Subcommands.neededFor(args)), String.join(" ", args));
        }
    }

    @Test
    void theUsageListsEveryCommand() {
        String usage = Main.commandLine("--help").getUsageMessage(CommandLine.Help.Ansi.OFF);
        for (String name : Subcommands.ALL.keySet()) {
            assertTrue(
                    usage.contains("\n  " + name + " ") || usage.contains("\n  " + name + ","), name + " in: " + usage);
        }
    }
}

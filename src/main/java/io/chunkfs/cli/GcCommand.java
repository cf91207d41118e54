package io.chunkfs.cli;

import io.chunkfs.store.ChunkStore;
import io.chunkfs.store.GarbageCollector;
import io.chunkfs.store.GcResult;
import io.chunkfs.store.StoreOptions;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
        name = "gc",
        mixinStandardHelpOptions = true,
        description = {
            "Garbage collection (mark and sweep): touch every chunk listed by --mark, then remove "
                    + "every chunk not touched since (start - margin), or since the start of the oldest writer still "
                    + "active if that is earlier.",
            "When the store's tree roots are on (the default for a new store), every chunk a name of the tree (a file"
                    + " of a mount's incoming/) refers to is touched too, so it is kept; when off (the way of Proxmox"
                    + " Backup Server: index files of your own, marked with --mark or touches, say what is in use), names"
                    + " keep no chunk. Either way, names whose chunk is gone are removed at the end.",
            "Chunks inserted or touched while it runs are never removed. Only one gc runs at a time.",
            "If the file system's clock steps back while it runs, it stops removing, says so in one line and exits 1:"
                    + " run it again."
        })
final class GcCommand extends StoreCommand implements Callable<Integer> {
    @Option(
            names = "--mark",
            paramLabel = "FILE",
            description = "Digests still in use, one per line ('-' for standard input). Without it nothing is marked.")
    String mark;

    @Option(
            names = "--margin",
            paramLabel = "DURATION",
            defaultValue = "24h5m",
            converter = DurationConverter.class,
            description = "Safety margin before the start, for file systems mounted relatime "
                    + "(default: ${DEFAULT-VALUE}; 0s keeps only what was touched since the start).")
    Duration margin;

    @Option(
            names = "--tree-roots",
            paramLabel = "on|off",
            arity = "1",
            converter = OnOffConverter.class,
            description = "Change the store's setting first, for this and every later gc (it is kept in the store), and"
                    + " say what it is now in one line (on standard error with --json); then collect as usual.")
    OnOff treeRoots;

    @Option(names = "--json", description = "Print the summary as JSON.")
    boolean json;

    /** A setting given as {@code on} or {@code off} (not a Boolean: picocli would take a Boolean for a flag). */
    record OnOff(boolean on) {}

    /** Reads {@code on} or {@code off}. */
    static final class OnOffConverter implements CommandLine.ITypeConverter<OnOff> {
        @Override
        public OnOff convert(String value) {
            return switch (value) {
                case "on" -> new OnOff(true);
                case "off" -> new OnOff(false);
                default -> throw new CommandLine.TypeConversionException("'" + value + "' is neither on nor off");
            };
        }
    }

    @Override
    public Integer call() throws Exception {
        GcResult result;
        try (ChunkStore chunkStore = openStore(StoreOptions.defaults());
                ProgressBars progress = new ProgressBars(!json)) {
            if (treeRoots != null) {
                chunkStore.tree().setTreeRoots(treeRoots.on());
                (json ? err() : out()).println(treeRootsLine(chunkStore.tree().treeRoots()));
                (json ? err() : out()).flush();
            }
            GarbageCollector collector = new GarbageCollector(chunkStore, margin, progress);
            if (mark == null) {
                result = collector.collect(null);
            } else {
                try (DigestList referenced = new DigestList(mark)) {
                    result = collector.collect(referenced);
                }
            }
        }
        if (json) {
            Map<String, Object> summary = Json.object();
            summary.put("started", result.started().toString());
            summary.put("cutoff", result.cutoff().toString());
            summary.put("stopped", result.stopped());
            summary.put("marked", result.marked());
            summary.put("marked_missing", result.markedMissing());
            summary.put("tree_roots", result.treeRoots());
            summary.put("tree_marked", result.treeMarked());
            summary.put("tree_marked_missing", result.treeMissing());
            summary.put("chunks_before", result.chunksBefore());
            summary.put("bytes_before", result.bytesBefore());
            summary.put("removed_chunks", result.removedChunks());
            summary.put("removed_bytes", result.removedBytes());
            summary.put("kept_chunks", result.keptChunks());
            summary.put("kept_bytes", result.keptBytes());
            summary.put("pending_chunks", result.pendingChunks());
            summary.put("bad_chunks", result.badChunks());
            summary.put("removed_temporary_files", result.removedTemps());
            summary.put("removed_receipts", result.removedReceipts());
            summary.put("oddities", result.oddities());
            summary.put("damaged_entries", VerifyCommand.damagedEntriesJson(result.damagedEntries()));
            out().println(Json.write(summary));
        } else {
            out().printf(Locale.ROOT, "started %s, cutoff %s%n", result.started(), result.cutoff());
            out().printf(
                            Locale.ROOT,
                            "marked %d chunks (%d listed but missing)%n",
                            result.marked(),
                            result.markedMissing());
            if (result.treeRoots()) {
                out().printf(
                                Locale.ROOT,
                                "tree roots on: marked %d chunks the tree names (%d named but missing)%n",
                                result.treeMarked(),
                                result.treeMissing());
            } else {
                out().println("tree roots off: the tree's names kept no chunk");
            }
            out().printf(
                            Locale.ROOT,
                            "before: %d chunks, %s%n",
                            result.chunksBefore(),
                            Sizes.human(result.bytesBefore()));
            out().printf(
                            Locale.ROOT,
                            "removed: %d chunks, %s%n",
                            result.removedChunks(),
                            Sizes.human(result.removedBytes()));
            out().printf(
                            Locale.ROOT,
                            "kept: %d chunks, %s (%d pending: kept only by an active writer)%n",
                            result.keptChunks(),
                            Sizes.human(result.keptBytes()),
                            result.pendingChunks());
            if (result.badChunks() > 0) {
                out().printf(Locale.ROOT, "bad chunks set aside by verify: %d%n", result.badChunks());
            }
            if (result.removedTemps() > 0 || result.removedReceipts() > 0) {
                out().printf(
                                Locale.ROOT,
                                "removed %d leftover temporary files and %d names of missing chunks%n",
                                result.removedTemps(),
                                result.removedReceipts());
            }
            if (!result.damagedEntries().isEmpty()) {
                out().printf(
                                Locale.ROOT,
                                "damaged entries left in place: %d (run 'chunkfs verify' to set them aside)%n",
                                result.damagedEntries().size());
            }
            result.damagedEntries().forEach(entry -> out().println(entry.describe()));
            result.oddities().forEach(line -> out().println("note: " + line));
        }
        if (result.stopped() != null) {
            // The collection did not complete: say why in one line, and fail.
            err().println("chunkfs: " + result.stopped());
            return Main.EXIT_FAILURE;
        }
        return 0;
    }

    /** The one line {@code --tree-roots} prints. */
    static String treeRootsLine(boolean on) {
        return on
                ? "tree roots: on (gc keeps every chunk a name of the tree refers to)"
                : "tree roots: off (the tree's names keep no chunk: only --mark and touches do)";
    }
}

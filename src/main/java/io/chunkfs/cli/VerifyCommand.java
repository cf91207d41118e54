package io.chunkfs.cli;

import io.chunkfs.store.ChunkStore;
import io.chunkfs.store.DamagedEntry;
import io.chunkfs.store.Digest;
import io.chunkfs.store.StoreOptions;
import io.chunkfs.store.Verifier;
import io.chunkfs.store.VerifyResult;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
        name = "verify",
        mixinStandardHelpOptions = true,
        description = {
            "Re-hash every chunk (or the given ones). A chunk whose bytes do not match its name is "
                    + "renamed aside to DIGEST.N.bad and reported; nothing is deleted.",
            "A damaged entry (a folder, FIFO, socket, symlink or device at a chunk's path) is reported and renamed "
                    + "aside to DIGEST.N.bad the same way, and the verify goes on.",
            "A verify of every chunk (no DIGEST, no --list) then checks the tree: every chunk a name refers to must"
                    + " be in the store; each name whose chunk is missing is reported ('name without its chunk: DIGEST"
                    + "  PATH', the path relative to incoming/, written as 'chunkfs receipts' writes it). Nothing in"
                    + " the tree is changed (gc removes such names).",
            "Exit status 1 if any chunk is bad or missing, any damaged entry was found, or any name is without its"
                    + " chunk."
        })
final class VerifyCommand extends StoreCommand implements Callable<Integer> {
    @Parameters(
            arity = "0..*",
            paramLabel = "DIGEST",
            converter = DigestConverter.class,
            description = "Chunks to verify (default: all).")
    List<Digest> digests;

    @Option(
            names = "--list",
            paramLabel = "FILE",
            description = "Verify the digests in FILE, one per line ('-': standard input).")
    String list;

    @Option(names = "--threads", paramLabel = "N", description = "Hashing threads (default: number of cores).")
    int threads = Runtime.getRuntime().availableProcessors();

    @Option(
            names = "--remote",
            description = "For a store whose chunks are in an object store: fetch and re-hash every chunk from "
                    + "there, bypassing the cache (default: the chunks the cache holds). A damaged object is "
                    + "copied to DIGEST.N.bad in the bucket and deleted; a good cached copy is stored again.")
    boolean remote;

    @Option(names = "--json", description = "Print the summary as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        VerifyResult result;
        try (ChunkStore chunkStore = openStore(StoreOptions.defaults());
                ProgressBars progress = new ProgressBars(!json)) {
            Verifier verifier = new Verifier(chunkStore, threads, progress);
            if (remote && (list != null || (digests != null && !digests.isEmpty()))) {
                throw new CommandLine.ParameterException(
                        spec.commandLine(), "--remote verifies every chunk: give no DIGEST and no --list");
            }
            if (list != null) {
                try (DigestList listed = new DigestList(list)) {
                    result = verifier.verify(listed);
                }
            } else if (digests != null && !digests.isEmpty()) {
                result = verifier.verify(digests.iterator());
            } else {
                result = verifier.verifyAll(remote);
            }
        }
        // UTF-8 whatever the locale, as 'chunkfs receipts' writes the same paths.
        PrintWriter out = ReceiptsCommand.utf8Stdout();
        if (json) {
            Map<String, Object> summary = Json.object();
            summary.put("checked", result.checked());
            summary.put("bytes", result.bytes());
            summary.put("bad", result.bad());
            summary.put("missing", result.missing());
            summary.put("damaged_entries", damagedEntriesJson(result.damagedEntries()));
            summary.put("tree_checked", result.treeChecked());
            summary.put("named_chunks", result.namedChunks());
            summary.put("names_without_chunk", namesJson(result.namesWithoutChunk()));
            out.println(Json.write(summary));
        } else {
            out.printf(
                    Locale.ROOT,
                    "checked %d chunks, %s: %d bad, %d damaged entries, %d missing%n",
                    result.checked(),
                    Sizes.human(result.bytes()),
                    result.bad().size(),
                    result.damagedEntries().size(),
                    result.missing().size());
            if (result.treeChecked()) {
                out.printf(
                        Locale.ROOT,
                        "tree: %d chunks named, %d names without their chunk%n",
                        result.namedChunks(),
                        result.namesWithoutChunk().size());
            }
            result.bad().forEach(digest -> out.println("bad: " + digest + " (renamed aside to .bad)"));
            result.damagedEntries().forEach(entry -> out.println(entry.describe()));
            result.missing().forEach(digest -> out.println("missing: " + digest));
            result.namesWithoutChunk()
                    .forEach(name -> out.println("name without its chunk: " + name.digest() + "  "
                            + name.path().escaped()));
        }
        out.flush();
        return result.ok() ? 0 : Main.EXIT_FAILURE;
    }

    /** Names without their chunk for a JSON summary: path (and path_base64, as 'receipts' writes it), digest. */
    static List<Map<String, Object>> namesJson(List<VerifyResult.NameWithoutChunk> names) {
        List<Map<String, Object>> objects = new ArrayList<>();
        for (VerifyResult.NameWithoutChunk name : names) {
            Map<String, Object> object = Json.object();
            ReceiptsCommand.putPath(object, name.path());
            object.put("digest", name.digest().toString());
            objects.add(object);
        }
        return objects;
    }

    /** Damaged entries for a JSON summary: digest, kind, path, set_aside_as, not_set_aside (null where none). */
    static List<Map<String, Object>> damagedEntriesJson(List<DamagedEntry> entries) {
        List<Map<String, Object>> objects = new ArrayList<>();
        for (DamagedEntry entry : entries) {
            Map<String, Object> object = Json.object();
            object.put("digest", entry.digest().toString());
            object.put("kind", entry.kind());
            object.put("path", entry.location());
            object.put("set_aside_as", entry.setAsideAs());
            object.put("not_set_aside", entry.notSetAside());
            objects.add(object);
        }
        return objects;
    }
}

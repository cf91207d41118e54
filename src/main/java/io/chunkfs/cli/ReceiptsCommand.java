package io.chunkfs.cli;

import io.chunkfs.store.ChunkStore;
import io.chunkfs.store.Entry;
import io.chunkfs.store.EntryType;
import io.chunkfs.store.StoreOptions;
import io.chunkfs.store.TreePath;
import io.chunkfs.store.TreeWalk;
import java.io.BufferedWriter;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
        name = "receipts",
        mixinStandardHelpOptions = true,
        description = {
            "List the store's tree (what a mount shows under incoming/): '<digest>  <path>' per regular file, like"
                    + " sha256sum, with paths relative to incoming/, folders walked depth first, each folder's entries"
                    + " in the byte order of their names. A file whose chunk is not in the store is not listed (the"
                    + " mount hides it; 'chunkfs verify' reports it).",
            "Paths are written as UTF-8 text, whatever the locale, except that a byte that is not part of valid"
                    + " UTF-8 and a control character are written \\xHH (two lowercase hex digits) and a backslash"
                    + " \\\\, so that each line names exactly one path."
        })
final class ReceiptsCommand extends StoreCommand implements Callable<Integer> {
    @Option(
            names = "--long",
            description = "Every entry, folders too, one per line: 'TYPE MODE SIZE MTIME DIGEST  PATH' with the type"
                    + " (file, folder, symlink, fifo, socket, char-device, block-device), the permission bits in"
                    + " octal, the size in bytes, the mtime in ISO-8601 UTC and '-' for the digest of an entry that is"
                    + " not a regular file.")
    boolean longListing;

    @Option(
            names = "--json",
            description = "Print a JSON array of every entry, folders too: {path, type, digest, size, mode, mtime}, the"
                    + " digest null for an entry that is not a regular file, the mode an octal string ('0644'), the"
                    + " mtime ISO-8601 UTC. A path that is not UTF-8 has 'path' written with the escapes above and"
                    + " 'path_base64', the base64 of its bytes, too.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        // UTF-8 whatever the locale: a name is shown as the same text everywhere (a C locale's ASCII would turn
        // every other character into '?').
        PrintWriter out = utf8Stdout();
        try (ChunkStore chunkStore = openStore(StoreOptions.defaults().withReadOnly(true))) {
            boolean[] first = {true};
            if (json) {
                out.print('[');
            }
            TreeWalk.walk(chunkStore.tree(), (path, entry) -> {
                // As the mount: a file whose chunk is gone (set aside by verify, removed behind the store's back) is
                // not shown.
                if (entry.type() == EntryType.REGULAR && !chunkStore.contains(entry.digest())) {
                    return;
                }
                if (json) {
                    out.print(first[0] ? "" : ",");
                    out.print(Json.write(entryJson(path, entry)));
                    first[0] = false;
                } else if (longListing) {
                    out.printf(
                            Locale.ROOT,
                            "%s %04o %d %s %s  %s%n",
                            typeName(entry.type()),
                            entry.mode(),
                            entry.size(),
                            time(entry.mtime()),
                            entry.digest() != null ? entry.digest().toString() : "-",
                            path.escaped());
                } else if (entry.type() == EntryType.REGULAR) {
                    out.println(entry.digest() + "  " + path.escaped());
                }
            });
            if (json) {
                out.println(']');
            }
        } finally {
            out.flush();
        }
        return 0;
    }

    /** An entry for the JSON listing. */
    private static Map<String, Object> entryJson(TreePath path, Entry entry) {
        Map<String, Object> object = Json.object();
        putPath(object, path);
        object.put("type", typeName(entry.type()));
        object.put("digest", entry.digest() != null ? entry.digest().toString() : null);
        object.put("size", entry.size());
        object.put("mode", String.format(Locale.ROOT, "%04o", entry.mode()));
        object.put("mtime", time(entry.mtime()).toString());
        return object;
    }

    /**
     * Puts {@code path} into a JSON object: {@code path}, its text if it is UTF-8; else the escaped text and {@code
     * path_base64}, the base64 of its bytes.
     */
    static void putPath(Map<String, Object> object, TreePath path) {
        if (path.isUtf8()) {
            object.put("path", path.toString());
        } else {
            object.put("path", path.escaped());
            object.put("path_base64", Base64.getEncoder().encodeToString(path.bytes()));
        }
    }

    /** Standard output as UTF-8, whatever the locale; flush it when done. */
    static PrintWriter utf8Stdout() {
        return new PrintWriter(new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8)));
    }

    /** The word {@code --long} and {@code --json} give for a type. */
    static String typeName(EntryType type) {
        return switch (type) {
            case REGULAR -> "file";
            case FOLDER -> "folder";
            case SYMLINK -> "symlink";
            case FIFO -> "fifo";
            case SOCKET -> "socket";
            case CHAR_DEVICE -> "char-device";
            case BLOCK_DEVICE -> "block-device";
        };
    }

    private static Instant time(long nanos) {
        return Instant.ofEpochSecond(Math.floorDiv(nanos, 1_000_000_000L), Math.floorMod(nanos, 1_000_000_000L));
    }
}

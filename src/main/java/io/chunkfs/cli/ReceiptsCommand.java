package io.chunkfs.cli;

import io.chunkfs.store.ChunkStore;
import io.chunkfs.store.EntryName;
import io.chunkfs.store.Namespace;
import io.chunkfs.store.StoreOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
        name = "receipts",
        mixinStandardHelpOptions = true,
        description = "List the receipts of files written to a mount's incoming/: '<digest>  <name>' per line, "
                + "like sha256sum.")
final class ReceiptsCommand extends StoreCommand implements Callable<Integer> {
    @Option(names = "--json", description = "Print a JSON array of {name, digest}.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        List<Namespace.Child> receipts = new ArrayList<>();
        try (ChunkStore chunkStore = openStore(StoreOptions.defaults().withReadOnly(true))) {
            EntryName after = null;
            List<Namespace.Child> page;
            do {
                page = chunkStore.tree().list(Namespace.ROOT, after, 1024);
                receipts.addAll(page);
                after = page.isEmpty() ? null : page.get(page.size() - 1).name();
            } while (!page.isEmpty());
        }
        if (json) {
            List<Object> entries = new ArrayList<>();
            for (Namespace.Child receipt : receipts) {
                Map<String, Object> entry = Json.object();
                entry.put("name", receipt.name().toString());
                entry.put("digest", receipt.entry().digest().toString());
                entries.add(entry);
            }
            out().println(Json.write(entries));
        } else {
            receipts.forEach(receipt -> out().println(receipt.entry().digest() + "  " + receipt.name()));
        }
        return 0;
    }
}

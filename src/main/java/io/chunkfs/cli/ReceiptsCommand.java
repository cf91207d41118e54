package io.chunkfs.cli;

import io.chunkfs.store.ChunkStore;
import io.chunkfs.store.ReceiptIndex;
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
        List<ReceiptIndex.Receipt> receipts;
        try (ChunkStore chunkStore = openStore(StoreOptions.defaults().withReadOnly(true))) {
            receipts = chunkStore.receipts().list();
        }
        if (json) {
            List<Object> entries = new ArrayList<>();
            for (ReceiptIndex.Receipt receipt : receipts) {
                Map<String, Object> entry = Json.object();
                entry.put("name", receipt.name());
                entry.put("digest", receipt.digest().toString());
                entries.add(entry);
            }
            out().println(Json.write(entries));
        } else {
            receipts.forEach(receipt -> out().println(receipt.digest() + "  " + receipt.name()));
        }
        return 0;
    }
}

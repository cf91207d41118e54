package io.chunkfs.cli;

import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.Callable;

import io.chunkfs.store.ChunkStore;
import io.chunkfs.store.Digest;
import io.chunkfs.store.StoreOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "get", mixinStandardHelpOptions = true,
        description = "Write the raw bytes of the chunk DIGEST to standard output, or to FILE with -o.")
final class GetCommand extends StoreCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "DIGEST", converter = DigestConverter.class,
            description = "64 lowercase hex characters.")
    Digest digest;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Write to FILE instead of standard output.")
    Path output;

    @Override
    public Integer call() throws Exception {
        try (ChunkStore chunkStore = openStore(StoreOptions.defaults().withReadOnly(true));
             FileChannel chunk = chunkStore.openChunk(digest)) {
            if (output == null) {
                OutputStream stdout = System.out;
                chunk.transferTo(0, Long.MAX_VALUE, Channels.newChannel(stdout));
                stdout.flush();
            } else {
                Path partial = output.resolveSibling(output.getFileName() + ".partial");
                try (OutputStream out = Files.newOutputStream(partial)) {
                    chunk.transferTo(0, Long.MAX_VALUE, Channels.newChannel(out));
                }
                Files.move(partial, output, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            }
        }
        return 0;
    }
}

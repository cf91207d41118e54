package io.chunkfs.cli;

import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.Callable;

import io.chunkfs.store.ChunkReader;
import io.chunkfs.store.ChunkStore;
import io.chunkfs.store.Digest;
import io.chunkfs.store.StoreOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "get", mixinStandardHelpOptions = true,
        description = {"Write the raw bytes of the chunk DIGEST to standard output, or to FILE with -o.",
                "The bytes are checked against the digest on the way; a damaged chunk is an error (exit 1), "
                        + "and with -o leaves no FILE behind."})
final class GetCommand extends StoreCommand implements Callable<Integer> {
    private static final int BUFFER = 1 << 20;

    @Parameters(index = "0", paramLabel = "DIGEST", converter = DigestConverter.class,
            description = "64 lowercase hex characters.")
    Digest digest;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Write to FILE instead of standard output.")
    Path output;

    @Override
    public Integer call() throws Exception {
        try (ChunkStore chunkStore = openStore(StoreOptions.defaults().withReadOnly(true));
             ChunkReader chunk = chunkStore.openVerified(digest)) {
            if (output == null) {
                copy(chunk, System.out);
                System.out.flush();
                return 0;
            }
            Path partial = output.resolveSibling(output.getFileName() + ".partial");
            try {
                try (OutputStream out = Files.newOutputStream(partial)) {
                    copy(chunk, out);
                }
                Files.move(partial, output, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(partial);
            }
        }
        return 0;
    }

    private static void copy(ChunkReader chunk, OutputStream out) throws java.io.IOException {
        ByteBuffer buffer = ByteBuffer.allocate(BUFFER);
        long position = 0;
        while (true) {
            buffer.clear();
            int n = chunk.read(buffer, position);
            if (n == 0) {
                return;
            }
            out.write(buffer.array(), 0, n);
            position += n;
        }
    }
}

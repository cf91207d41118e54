package io.chunkfs.cli;

import io.chunkfs.store.ChunkReader;
import io.chunkfs.store.ChunkStore;
import io.chunkfs.store.Digest;
import io.chunkfs.store.StoreOptions;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
        name = "get",
        mixinStandardHelpOptions = true,
        description = {
            "Write the raw bytes of the chunk DIGEST to standard output, or to FILE with -o.",
            "The chunk is checked whole against its digest before its first byte is written: a damaged "
                    + "chunk writes nothing and is an error (exit 1; run 'chunkfs verify' to set it aside)."
        })
final class GetCommand extends StoreCommand implements Callable<Integer> {
    private static final int BUFFER = 1 << 20;

    @Parameters(
            index = "0",
            paramLabel = "DIGEST",
            converter = DigestConverter.class,
            description = "64 lowercase hex characters.")
    Digest digest;

    @Option(
            names = {"-o", "--output"},
            paramLabel = "FILE",
            description = "Write to FILE instead of standard output.")
    Path output;

    @Override
    public Integer call() throws Exception {
        try (ChunkStore chunkStore = openStore(StoreOptions.defaults().withReadOnly(true));
                ChunkReader chunk = chunkStore.openVerified(digest)) {
            if (output == null) {
                System.out.flush();
                // Straight to file descriptor 1 (left open): no copy through the heap, whatever the chunk's size.
                copy(chunk, new FileOutputStream(FileDescriptor.out).getChannel());
                return 0;
            }
            Path partial = output.resolveSibling(output.getFileName() + ".partial");
            try {
                try (FileChannel out = FileChannel.open(
                        partial,
                        StandardOpenOption.WRITE,
                        StandardOpenOption.CREATE,
                        StandardOpenOption.TRUNCATE_EXISTING)) {
                    copy(chunk, out);
                }
                Files.move(partial, output, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(partial);
            }
        }
        return 0;
    }

    private static void copy(ChunkReader chunk, WritableByteChannel out) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocateDirect(BUFFER);
        long position = 0;
        while (true) {
            buffer.clear();
            int n = chunk.read(buffer, position);
            if (n == 0) {
                return;
            }
            buffer.flip();
            while (buffer.hasRemaining()) {
                out.write(buffer);
            }
            position += n;
        }
    }
}

package io.chunkfs.cli;

import io.chunkfs.store.Digest;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * Digests read lazily, one per line, from a file or standard input ({@code -}). Blank lines and
 * {@code #} comments are skipped; a line may also be a path ending in a digest
 * ({@code MNT/a9/a948…}). Any other line is an error naming its line number.
 */
final class DigestList implements Iterator<Digest>, AutoCloseable {
    private final BufferedReader reader;
    private final String source;
    private long lineNumber;
    private Digest next;

    DigestList(String file) throws IOException {
        this.source = file.equals("-") ? "standard input" : file;
        this.reader = file.equals("-")
                ? new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))
                : Files.newBufferedReader(Path.of(file), StandardCharsets.UTF_8);
    }

    @Override
    public boolean hasNext() {
        try {
            while (next == null) {
                String line = reader.readLine();
                if (line == null) {
                    return false;
                }
                lineNumber++;
                line = line.strip();
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                String name = line.substring(line.lastIndexOf('/') + 1);
                if (!Digest.isValid(name)) {
                    throw new IllegalArgumentException(source + ", line " + lineNumber
                            + ": not a chunk digest (64 lowercase hex characters): '" + line + "'");
                }
                next = Digest.parse(name);
            }
            return true;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public Digest next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        Digest result = next;
        next = null;
        return result;
    }

    @Override
    public void close() throws IOException {
        reader.close();
    }
}

package io.chunkfs.store.s3;

import java.io.IOException;
import java.io.StringReader;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * Request and cache counts since the store was created, in {@code .s3/counters} ({@code name=value} lines):
 * each process adds what it counted when it closes the store, under a lock on {@code .s3/counters.lock}, by
 * writing a new file and renaming it over the old one. Figures only: losing a crashed process's share costs
 * nothing, so nothing is fsynced.
 */
final class CounterFile {
    private final Path file;
    private final Path lock;

    CounterFile(Path folder) {
        this.file = folder.resolve("counters");
        this.lock = folder.resolve("counters.lock");
    }

    /** What earlier processes counted; empty if nothing yet (or the file cannot be read). */
    Map<String, Long> read() {
        Map<String, Long> counts = new TreeMap<>();
        try {
            Properties properties = new Properties();
            properties.load(new StringReader(Files.readString(file, StandardCharsets.UTF_8)));
            for (String name : properties.stringPropertyNames()) {
                counts.put(name, Long.parseLong(properties.getProperty(name).strip()));
            }
        } catch (IOException | NumberFormatException e) {
            // no counts yet, or unreadable: start from nothing
        }
        return counts;
    }

    /** Adds {@code counts} to the file. */
    void add(Map<String, Long> counts) throws IOException {
        try (FileChannel channel = FileChannel.open(lock, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                FileLock held = channel.lock()) {
            Map<String, Long> total = read();
            counts.forEach((name, value) -> total.merge(name, value, Long::sum));
            StringBuilder text = new StringBuilder();
            total.forEach(
                    (name, value) -> text.append(name).append('=').append(value).append('\n'));
            Path next = file.resolveSibling("counters.next");
            Files.writeString(next, text, StandardCharsets.UTF_8);
            Files.move(next, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
    }
}

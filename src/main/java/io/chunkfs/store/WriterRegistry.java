package io.chunkfs.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Tells garbage collections in any process when the oldest active writer of this process started.
 *
 * <p>Each open store that writes owns one file {@code STORE/.writers/ID}, locked while the store is
 * open; it holds the start (epoch milliseconds, fixed width) of this process's oldest active write
 * session, or {@link #NONE}. A file whose lock can be taken belongs to a process that died: it and
 * the temporary files named {@code ID-N} are cleaned up. One file per process rather than per
 * session keeps a write session free of file creation, which is the cost that dominates small files.
 */
final class WriterRegistry {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int WIDTH = 20;
    private static final long NONE = 99_999_999_999_999_999L;
    /**
     * Registrations of this JVM. They are never probed with a lock: POSIX drops every lock a process holds
     * on a file when any of its descriptors for that file is closed, so probing our own would free it.
     */
    private static final Map<String, WriterRegistry> OWN = new ConcurrentHashMap<>();

    private final StoreLayout layout;
    private final String id = HexFormat.of().formatHex(randomBytes());
    /** Start times of the active sessions of this store, with their counts. */
    private final TreeMap<Long, Integer> active = new TreeMap<>();
    private FileChannel file;
    private long published = -1;

    WriterRegistry(StoreLayout layout) {
        this.layout = layout;
    }

    /** The prefix of this process's temporary file names. */
    String id() {
        return id;
    }

    /** Records a session starting now; returns its start. */
    synchronized long begin() throws IOException {
        long start = System.currentTimeMillis();
        active.merge(start, 1, Integer::sum);
        try {
            publish();
        } catch (IOException | RuntimeException e) {
            end(start);
            throw e;
        }
        return start;
    }

    /** Records the end of a session that began at {@code start}. */
    synchronized void end(long start) throws IOException {
        active.computeIfPresent(start, (key, count) -> count == 1 ? null : count - 1);
        if (file != null) {
            publish();
        }
    }

    private void publish() throws IOException {
        long oldest = active.isEmpty() ? NONE : active.firstKey();
        if (oldest == published) {
            return;
        }
        if (file == null) {
            file = createOwnFile();
        }
        // Locale.ROOT: another process parses this; some locales (ar_EG) format with non-ASCII digits.
        String text = String.format(java.util.Locale.ROOT, "%0" + WIDTH + "d", oldest);
        file.write(ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII)), 0);
        published = oldest;
    }

    private FileChannel createOwnFile() throws IOException {
        // Locked under a name gc ignores, then renamed: gc must never see the file unlocked.
        Path pending = layout.writersDir().resolve("pending-" + id);
        FileChannel channel = FileChannel.open(pending, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        try {
            channel.lock();
            OWN.put(id, this);
            Files.move(pending, layout.writersDir().resolve(id), StandardCopyOption.ATOMIC_MOVE);
            return channel;
        } catch (IOException | RuntimeException e) {
            OWN.remove(id);
            channel.close();
            Files.deleteIfExists(pending);
            throw e;
        }
    }

    /** Ends the registration of this store (its sessions must have ended). */
    synchronized void close() throws IOException {
        if (file == null) {
            return;
        }
        try {
            Files.deleteIfExists(layout.writersDir().resolve(id));
        } finally {
            file.close();
            file = null;
            OWN.remove(id);
        }
    }

    private static byte[] randomBytes() {
        byte[] bytes = new byte[8];
        RANDOM.nextBytes(bytes);
        return bytes;
    }

    /** The start of the oldest session that is still active, in any process. */
    OptionalLong oldestActiveStart() throws IOException {
        long oldest = Long.MAX_VALUE;
        for (long start : liveRegistrations().values()) {
            if (start != NONE) {
                oldest = Math.min(oldest, start);
            }
        }
        return oldest == Long.MAX_VALUE ? OptionalLong.empty() : OptionalLong.of(oldest);
    }

    /**
     * Removes the registrations and temporary files of processes that died.
     *
     * @return the number of temporary files removed
     */
    int removeLeftovers() throws IOException {
        Set<String> live = new HashSet<>(liveRegistrations().keySet());
        live.add(id);
        int removed = 0;
        try (DirectoryStream<Path> temps = Files.newDirectoryStream(layout.tmpDir())) {
            for (Path temp : temps) {
                String name = temp.getFileName().toString();
                int dash = name.indexOf('-');
                String owner = dash < 0 ? "" : name.substring(0, dash);
                if (!live.contains(owner) && Files.deleteIfExists(temp)) {
                    removed++;
                }
            }
        }
        return removed;
    }

    /** Live registrations by id, with the oldest start each publishes; dead ones are deleted on the way. */
    private Map<String, Long> liveRegistrations() throws IOException {
        Map<String, Long> live = new java.util.HashMap<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(layout.writersDir())) {
            for (Path path : files) {
                String name = path.getFileName().toString();
                if (name.startsWith("pending-")) {
                    continue;
                }
                WriterRegistry own = OWN.get(name);
                if (own != null) {
                    live.put(name, own.oldestInThisStore());
                    continue;
                }
                try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                    FileLock lock = channel.tryLock();
                    if (lock == null) {
                        live.put(name, readStart(channel));
                    } else {
                        lock.release();
                        Files.deleteIfExists(path);
                    }
                } catch (NoSuchFileException e) {
                    // ended meanwhile
                }
            }
        }
        return live;
    }

    private synchronized long oldestInThisStore() {
        return active.isEmpty() ? NONE : active.firstKey();
    }

    /** A registration just created may not hold a number yet: that counts as no writer. */
    private static long readStart(FileChannel channel) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(WIDTH);
        while (buffer.hasRemaining() && channel.read(buffer, buffer.position()) > 0) {
            // read the fixed-width number
        }
        String text = new String(buffer.array(), 0, buffer.position(), StandardCharsets.US_ASCII);
        try {
            return text.length() == WIDTH ? Long.parseLong(text) : NONE;
        } catch (NumberFormatException e) {
            return NONE;
        }
    }
}

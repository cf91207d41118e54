package io.chunkfs.store;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Registers write sessions in {@code STORE/.writers/} so that a garbage collection in any process
 * sees when the oldest active writer started. Each session owns a file named
 * {@code START_MILLIS-ID} and holds a lock on it while it lives: a file whose lock can be taken
 * belongs to a process that died, and its session and temporary files are cleaned up.
 */
final class WriterRegistry {
    private static final SecureRandom RANDOM = new SecureRandom();
    /**
     * Sessions of this JVM. They are never probed with a lock: POSIX drops every lock a process holds
     * on a file when any of its descriptors for that file is closed, so probing our own would free it.
     */
    private static final Set<String> OWN_SESSIONS = ConcurrentHashMap.newKeySet();

    private final StoreLayout layout;

    WriterRegistry(StoreLayout layout) {
        this.layout = layout;
    }

    /** A live registration; closing it ends the session. */
    static final class Registration implements AutoCloseable {
        final String id;
        final long startMillis;
        private final Path file;
        private final FileChannel channel;

        private Registration(String id, long startMillis, Path file, FileChannel channel) {
            this.id = id;
            this.startMillis = startMillis;
            this.file = file;
            this.channel = channel;
        }

        @Override
        public void close() throws IOException {
            try {
                Files.deleteIfExists(file);
            } finally {
                channel.close();
                OWN_SESSIONS.remove(id);
            }
        }
    }

    Registration register() throws IOException {
        String id = HexFormat.of().formatHex(randomBytes());
        long start = System.currentTimeMillis();
        // Locked under a name gc ignores, then renamed: gc must never see the file unlocked.
        Path pending = layout.writersDir().resolve("pending-" + id);
        FileChannel channel = FileChannel.open(pending, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        try {
            channel.lock();
            OWN_SESSIONS.add(id);
            Path file = layout.writersDir().resolve(start + "-" + id);
            Files.move(pending, file, StandardCopyOption.ATOMIC_MOVE);
            return new Registration(id, start, file, channel);
        } catch (IOException | RuntimeException e) {
            OWN_SESSIONS.remove(id);
            channel.close();
            Files.deleteIfExists(pending);
            throw e;
        }
    }

    private static byte[] randomBytes() {
        byte[] bytes = new byte[8];
        RANDOM.nextBytes(bytes);
        return bytes;
    }

    /** The start of the oldest session that is still alive, in any process. */
    OptionalLong oldestActiveStart() throws IOException {
        long oldest = Long.MAX_VALUE;
        for (Session session : liveSessions()) {
            oldest = Math.min(oldest, session.startMillis);
        }
        return oldest == Long.MAX_VALUE ? OptionalLong.empty() : OptionalLong.of(oldest);
    }

    /**
     * Removes the registrations and temporary files of sessions whose process died.
     *
     * @return the number of temporary files removed
     */
    int removeLeftovers() throws IOException {
        Set<String> live = new HashSet<>();
        for (Session session : liveSessions()) {
            live.add(session.id);
        }
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

    private record Session(String id, long startMillis) {
    }

    /** Lists live sessions, deleting the files of dead ones on the way. */
    private Set<Session> liveSessions() throws IOException {
        Set<Session> live = new HashSet<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(layout.writersDir())) {
            for (Path file : files) {
                String name = file.getFileName().toString();
                int dash = name.indexOf('-');
                if (name.startsWith("pending-") || dash < 0) {
                    continue;
                }
                long start;
                try {
                    start = Long.parseLong(name.substring(0, dash));
                } catch (NumberFormatException e) {
                    continue;
                }
                String id = name.substring(dash + 1);
                if (OWN_SESSIONS.contains(id) || isHeldByAnotherProcess(file)) {
                    live.add(new Session(id, start));
                } else {
                    Files.deleteIfExists(file);
                }
            }
        }
        return live;
    }

    private static boolean isHeldByAnotherProcess(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            FileLock lock = channel.tryLock();
            if (lock == null) {
                return true;
            }
            lock.release();
            return false;
        } catch (NoSuchFileException e) {
            return false;
        }
    }
}

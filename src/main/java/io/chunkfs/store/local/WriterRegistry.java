package io.chunkfs.store.local;

import io.chunkfs.store.SyncLevel;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * Tells garbage collections in any process when the oldest active writer of this process started, and tells
 * the next start-up what a process that died may have left unsynced.
 *
 * <p>Each open store that writes, or makes any temporary file ({@link #register}), owns one file
 * {@code STORE/.writers/ID}, locked while the store is open; it holds, in fixed-width ASCII, the start (epoch
 * milliseconds) of this process's oldest active write session or {@link #NONE}, its sync level, and when its
 * last completed store sync began. A file whose lock can be taken belongs to a process that died: it and the
 * temporary files named {@code ID-N} are cleaned up, and if that process did not fsync every chunk,
 * {@link Recovery} first checks what it wrote since its last sync. One file per process rather than per session
 * keeps a write session free of file creation, which is the cost that dominates small files.
 *
 * <p>The record's layout is fixed for the store's format version ({@link StoreFormat}): a dead process's record
 * that cannot be read is checked as if that process never synced, and only then removed.
 */
final class WriterRegistry {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int WIDTH = 20;
    private static final int LEVEL_WIDTH = 10;
    /** Where the sync level and the last sync start: after the oldest start and a space. */
    private static final int LEVEL_AT = WIDTH + 1;

    private static final int SYNC_AT = LEVEL_AT + LEVEL_WIDTH + 1;
    private static final long NONE = 99_999_999_999_999_999L;
    /**
     * Registrations of this JVM. They are never probed with a lock: POSIX drops every lock a process holds
     * on a file when any of its descriptors for that file is closed, so probing our own would free it.
     */
    private static final Map<String, WriterRegistry> OWN = new ConcurrentHashMap<>();

    private final StoreLayout layout;
    private final StoreFolders folders;
    private final Syscalls sys;
    private final SyncLevel level;
    private final String id = HexFormat.of().formatHex(randomBytes());
    /**
     * Start times of the active sessions of this store, with their counts. This and the fields below are guarded by
     * this registry's monitor, a leaf lock: while holding it, only this registry's own file is written. Another
     * registry's monitor is taken only by {@link #liveRegistrations}, which holds none.
     */
    private final TreeMap<Long, Integer> active = new TreeMap<>();

    private FileChannel file;
    private long published = -1;
    private boolean closed;

    private final Clock clock;

    WriterRegistry(StoreLayout layout, StoreFolders folders, SyncLevel level, Clock clock) {
        this.clock = clock;
        this.layout = layout;
        this.folders = folders;
        this.sys = folders.sys;
        this.level = level;
    }

    /** The prefix of this process's temporary file names. */
    String id() {
        return id;
    }

    /**
     * Makes this store's registration if it has none yet, with no session active: before any temporary name of
     * this process is handed out (a staged chunk, a fetch, a cache marker, a receipt), so that a gc or start-up
     * in another process sees its owner alive.
     */
    synchronized void register() throws IOException {
        if (closed) {
            throw new IllegalStateException("the store " + layout.root() + " is closed");
        }
        if (file == null) {
            file = createOwnFile();
        }
    }

    /** Records a session starting now; returns its start. */
    synchronized long begin() throws IOException {
        if (closed) {
            throw new IllegalStateException("the store " + layout.root() + " is closed");
        }
        long start = clock.millis();
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

    /** Records that a store sync which began at {@code startedMillis} completed. */
    synchronized void recordSync(long startedMillis) throws IOException {
        if (file != null) {
            file.write(ascii(number(startedMillis)), SYNC_AT);
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
        file.write(ascii(number(oldest)), 0);
        published = oldest;
    }

    private FileChannel createOwnFile() throws IOException {
        // Locked under a name gc ignores, then renamed: gc must never see the file unlocked. It is made
        // durable before anything is written, so that a crash always leaves it for the next start to find.
        String pending = "pending-" + id;
        FileChannel channel = sys.create(folders.writers, pending, folders.fileMode);
        try {
            channel.lock();
            String levelText = String.format(Locale.ROOT, "%-" + LEVEL_WIDTH + "s", level);
            channel.write(ascii(number(NONE) + " " + levelText + " " + number(clock.millis())), 0);
            sys.fsync(channel);
            OWN.put(id, this);
            sys.rename(folders.writers, pending, folders.writers, id);
            sys.fsync(folders.writers);
            return channel;
        } catch (IOException | RuntimeException e) {
            OWN.remove(id);
            channel.close();
            sys.unlink(folders.writers, pending);
            throw e;
        }
    }

    /** Ends the registration of this store (its sessions must have ended). */
    synchronized void close() throws IOException {
        closed = true;
        if (file == null) {
            return;
        }
        try {
            sys.unlink(folders.writers, id);
        } finally {
            file.close();
            file = null;
            OWN.remove(id);
        }
    }

    /**
     * {@code value} (not negative) as {@link #WIDTH} ASCII digits with leading zeros. Not with
     * {@code String.format}: this runs twice per file written (a write session's start and end), and the
     * formatter's pattern parsing cost more than the write itself. {@link Long#toString} writes ASCII digits
     * whatever the locale (ar_EG formats with non-ASCII ones): another process parses this.
     */
    static String number(long value) {
        String digits = Long.toString(value);
        return "0".repeat(WIDTH - digits.length()) + digits;
    }

    private static ByteBuffer ascii(String text) {
        return ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII));
    }

    private static byte[] randomBytes() {
        byte[] bytes = new byte[8];
        RANDOM.nextBytes(bytes);
        return bytes;
    }

    /** The start of the oldest session that is still active, in any process. */
    OptionalLong oldestActiveStart() throws IOException {
        long oldest = Long.MAX_VALUE;
        for (long start : liveRegistrations(null).values()) {
            if (start != NONE) {
                oldest = Math.min(oldest, start);
            }
        }
        return oldest == Long.MAX_VALUE ? OptionalLong.empty() : OptionalLong.of(oldest);
    }

    /**
     * Removes the registrations and temporary files of processes that died; a registration whose process may
     * have left unsynced chunks is handed to {@code recovery} instead, which removes it once they are checked.
     *
     * @return the number of temporary files removed
     */
    int removeLeftovers(Recovery recovery) throws IOException {
        // Temporary files first, registrations after: a process registers before it makes its first temporary
        // file ({@link #register}, called for every temporary name), so one that started in between is seen
        // live and its files are left alone.
        List<String> temps;
        try (Stream<String> names = sys.list(folders.tmp)) {
            temps = names.toList();
        }
        Set<String> live = new HashSet<>(liveRegistrations(recovery).keySet());
        live.add(id);
        int removed = 0;
        List<String> dead = new ArrayList<>();
        for (String name : temps) {
            int dash = name.indexOf('-');
            String owner = dash < 0 ? "" : name.substring(0, dash);
            if (!live.contains(owner)) {
                dead.add(name);
            }
        }
        for (String name : dead) {
            if (sys.unlink(folders.tmp, name)) {
                removed++;
            }
        }
        return removed;
    }

    /** Removes a dead process's registration once recovery is done with it. */
    void forget(String deadId) throws IOException {
        sys.unlink(folders.writers, deadId);
    }

    /**
     * Live registrations by id, with the oldest start each publishes. Dead ones are deleted on the way, unless
     * their process may have left unsynced chunks: those go to {@code recovery} when given, and stay otherwise.
     */
    private Map<String, Long> liveRegistrations(Recovery recovery) throws IOException {
        Map<String, Long> live = new HashMap<>();
        List<String> names;
        try (Stream<String> files = sys.list(folders.writers)) {
            names = files.filter(name -> !name.startsWith("pending-")).toList();
        }
        for (String name : names) {
            WriterRegistry own = OWN.get(name);
            if (own != null) {
                live.put(name, own.oldestInThisStore());
                continue;
            }
            FileChannel channel;
            try {
                channel = sys.openReadWrite(folders.writers, name);
            } catch (NoSuchFileException e) {
                continue; // ended meanwhile
            }
            try (channel) {
                FileLock lock = channel.tryLock();
                if (lock == null) {
                    live.put(name, readNumber(channel, 0));
                    continue;
                }
                lock.release();
                long lastSync = unsyncedSince(channel);
                if (lastSync == Long.MAX_VALUE) {
                    sys.unlink(folders.writers, name);
                } else if (recovery != null) {
                    recovery.add(name, lastSync);
                }
            }
        }
        return live;
    }

    /**
     * For a dead process's registration: when its last completed store sync began, or {@link Long#MAX_VALUE}
     * if it fsynced every chunk (sync level file) and left nothing to check. A registration from before the
     * sync level was recorded counts as never synced.
     */
    private static long unsyncedSince(FileChannel channel) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(SYNC_AT + WIDTH);
        while (buffer.hasRemaining() && channel.read(buffer, buffer.position()) > 0) {
            // read the fixed-width record
        }
        if (buffer.position() < SYNC_AT + WIDTH) {
            return 0;
        }
        String text = new String(buffer.array(), 0, buffer.position(), StandardCharsets.US_ASCII);
        if (text.substring(LEVEL_AT, LEVEL_AT + LEVEL_WIDTH).strip().equals(SyncLevel.FILE.toString())) {
            return Long.MAX_VALUE;
        }
        long lastSync = parse(text.substring(SYNC_AT, SYNC_AT + WIDTH));
        return lastSync == NONE ? 0 : lastSync;
    }

    private synchronized long oldestInThisStore() {
        return active.isEmpty() ? NONE : active.firstKey();
    }

    /**
     * The oldest start a live registration publishes. One that holds no number (an earlier build's per-session
     * file {@code START_MILLIS-ID} was empty) counts as a writer active since the epoch: gc keeps every chunk
     * while that process lives rather than guess. (This release writes the number before the file gets its name.)
     */
    private static long readNumber(FileChannel channel, long at) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(WIDTH);
        while (buffer.hasRemaining() && channel.read(buffer, at + buffer.position()) > 0) {
            // read the fixed-width number
        }
        if (buffer.position() < WIDTH) {
            return 0;
        }
        try {
            return Math.max(0, Long.parseLong(new String(buffer.array(), StandardCharsets.US_ASCII)));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static long parse(String text) {
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            return NONE;
        }
    }
}

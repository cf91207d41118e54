package io.chunkfs.store;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.ReadOnlyFileSystemException;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.Iterator;
import java.util.Optional;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * A content-addressed chunk store on disk (see {@link StoreLayout}). Chunks are immutable files
 * named by the SHA-256 of their bytes; inserts are atomic (temporary file, then rename), so no
 * partial chunk is ever visible at a digest path. Thread-safe, and safe to share a store between
 * processes: writers and garbage collections coordinate through files in the store.
 */
public final class ChunkStore implements Closeable {
    private static final Logger LOG = Logger.getLogger(ChunkStore.class.getName());

    private final StoreLayout layout;
    private final StoreOptions options;
    private final WriterRegistry writers;
    private final GroupSync[] folderSyncs = new GroupSync[StoreLayout.PREFIXES];
    private final ScheduledExecutorService periodicSync;
    /** Start of the last completed syncfs: everything written before it is on disk. */
    private volatile Instant lastSync;
    private final AtomicLong tempCounter = new AtomicLong();

    private ChunkStore(StoreLayout layout, StoreOptions options) {
        this.layout = layout;
        this.options = options;
        this.writers = new WriterRegistry(layout);
        for (int prefix = 0; prefix < folderSyncs.length; prefix++) {
            Path folder = layout.prefixDir(prefix);
            folderSyncs[prefix] = new GroupSync(() -> fsyncFolder(folder));
        }
        if (options.syncLevel() == SyncLevel.FILESYSTEM && !options.readOnly()) {
            periodicSync = Executors.newSingleThreadScheduledExecutor(task -> {
                Thread thread = new Thread(task, "chunkfs-syncfs");
                thread.setDaemon(true);
                return thread;
            });
            long every = options.syncInterval().toMillis();
            periodicSync.scheduleWithFixedDelay(this::syncQuietly, every, every, TimeUnit.MILLISECONDS);
        } else {
            periodicSync = null;
        }
    }

    /**
     * Creates a store at {@code root} with all 256 prefix folders; a valid store already there is
     * left alone.
     *
     * @return true if a new store was created
     * @throws StoreException if {@code root} is something other than an empty folder or a store
     */
    public static boolean init(Path root) throws IOException {
        return new StoreLayout(root).create();
    }

    /** Opens the store at {@code root}, checking its layout first. */
    public static ChunkStore open(Path root, StoreOptions options) throws IOException {
        StoreLayout layout = new StoreLayout(root);
        layout.validate();
        ChunkStore store = new ChunkStore(layout, options);
        if (!options.readOnly()) {
            int removed = store.writers.removeLeftovers();
            if (removed > 0) {
                LOG.info(() -> "removed " + removed + " temporary files left by a process that died");
            }
        }
        return store;
    }

    public static ChunkStore open(Path root) throws IOException {
        return open(root, StoreOptions.defaults());
    }

    public StoreLayout layout() {
        return layout;
    }

    public StoreOptions options() {
        return options;
    }

    public Path root() {
        return layout.root();
    }

    /** Opens a write session; see {@link WriteSession}. */
    public WriteSession beginWrite() throws IOException {
        requireWritable();
        return new WriteSession(this, writers.begin());
    }

    /** Inserts {@code data} as a chunk in a session of its own. */
    public InsertResult insertChunk(byte[] data) throws IOException {
        try (WriteSession session = beginWrite()) {
            return session.insertChunk(data);
        }
    }

    /** Inserts everything {@code in} yields as one chunk, hashing while copying. */
    public InsertResult insert(InputStream in) throws IOException {
        try (WriteSession session = beginWrite()) {
            return session.insert(in);
        }
    }

    /** Inserts the contents of {@code file} as one chunk. */
    public InsertResult insert(Path file) throws IOException {
        try (WriteSession session = beginWrite()) {
            return session.insert(file);
        }
    }

    /** The raw bytes of a chunk. */
    public byte[] loadChunk(Digest digest) throws IOException {
        try {
            return Files.readAllBytes(layout.chunkPath(digest));
        } catch (NoSuchFileException e) {
            throw new ChunkNotFoundException(digest);
        }
    }

    /** Opens a chunk for reading; the caller closes the channel. */
    public FileChannel openChunk(Digest digest) throws IOException {
        Path folder = layout.prefixDir(digest.prefix());
        if (Files.isSymbolicLink(folder)) {
            // Never let a link planted in the store lead a read outside of it.
            throw new StoreException("store " + layout.root() + " is damaged: " + folder + " is a symlink");
        }
        try {
            return FileChannel.open(layout.chunkPath(digest), StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            throw new ChunkNotFoundException(digest);
        }
    }

    /** Opens a chunk for reading, checking its bytes against its name as they are read in order. */
    public ChunkReader openVerified(Digest digest) throws IOException {
        return new ChunkReader(digest, openChunk(digest));
    }

    /** Size and times of a chunk, or empty if the store does not hold it. */
    public Optional<ChunkInfo> stat(Digest digest) throws IOException {
        try {
            BasicFileAttributes attributes = Files.readAttributes(layout.chunkPath(digest),
                    BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (!attributes.isRegularFile()) {
                return Optional.empty();
            }
            return Optional.of(new ChunkInfo(digest, attributes.size(), attributes.lastAccessTime(),
                    attributes.lastModifiedTime()));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    public boolean contains(Digest digest) throws IOException {
        return stat(digest).isPresent();
    }

    /**
     * The conditional touch: sets the chunk's atime to now and leaves its mtime alone. Never creates
     * a file.
     *
     * @return false if the chunk does not exist and {@code assertExists} is false
     * @throws ChunkNotFoundException if the chunk does not exist and {@code assertExists} is true
     */
    public boolean condTouchChunk(Digest digest, boolean assertExists) throws IOException {
        requireWritable();
        boolean touched = Posix.touchAtime(layout.chunkPath(digest));
        if (!touched && assertExists) {
            throw new ChunkNotFoundException(digest);
        }
        return touched;
    }

    /**
     * Every chunk in the store, read lazily one folder entry at a time: memory does not grow with the
     * number of chunks. Close the stream when done.
     */
    public Stream<Digest> chunks() {
        ChunkIterator iterator = new ChunkIterator(layout, 0, StoreLayout.PREFIXES);
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(iterator,
                Spliterator.DISTINCT | Spliterator.NONNULL), false).onClose(iterator::close);
    }

    /** The chunks under one prefix folder (0 … 255). */
    public Stream<Digest> chunks(int prefix) {
        ChunkIterator iterator = new ChunkIterator(layout, prefix, prefix + 1);
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(iterator,
                Spliterator.DISTINCT | Spliterator.NONNULL), false).onClose(iterator::close);
    }

    /** Counts chunks and bytes, folder by folder. */
    public StoreStats stats() throws IOException {
        return StoreStats.collect(this);
    }

    /** Flushes everything written so far to disk ({@code syncfs}), whatever the sync level. */
    public void sync() throws IOException {
        Instant started = Instant.now();
        Posix.syncfs(layout.chunksDir());
        lastSync = started;
    }

    /** When the last {@link #sync} (explicit or periodic) started, or null if there was none. */
    public Instant lastSync() {
        return lastSync;
    }

    @Override
    public void close() throws IOException {
        try {
            if (periodicSync != null) {
                periodicSync.shutdownNow();
                sync();
            }
        } finally {
            writers.close();
        }
    }

    /** What an insert finds at a digest path. */
    private enum Existing { NONE, WRONG_SIZE, TOUCHED }

    /** Looks for {@code digest}; a copy of the right size is touched, so that a running gc keeps it. */
    private Existing touchExisting(Digest digest, long size) throws IOException {
        Optional<ChunkInfo> info = stat(digest);
        if (info.isEmpty()) {
            return Existing.NONE;
        }
        if (info.get().size() != size) {
            return Existing.WRONG_SIZE;
        }
        // A sweep may have set it aside since the stat: then it counts as absent and is written again.
        return Posix.touchAtime(layout.chunkPath(digest)) ? Existing.TOUCHED : Existing.NONE;
    }

    /**
     * If a good-sized copy of {@code digest} is present, touches it and reports a duplicate;
     * otherwise null.
     */
    InsertResult touchIfPresent(Digest digest, long size) throws IOException {
        return touchExisting(digest, size) == Existing.TOUCHED ? new InsertResult(digest, size, true, false) : null;
    }

    /** Moves a finished temporary file to its digest path, or drops it if the chunk is already there. */
    InsertResult publish(Path temp, Digest digest, long size) throws IOException {
        Existing existing = touchExisting(digest, size);
        if (existing == Existing.TOUCHED) {
            Files.deleteIfExists(temp);
            return new InsertResult(digest, size, true, false);
        }
        Path target = layout.chunkPath(digest);
        boolean repaired = existing == Existing.WRONG_SIZE;
        if (repaired) {
            LOG.warning(() -> "chunk " + digest + " on disk has the wrong size: replacing it with good bytes");
        }
        try {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            throw new StoreException("cannot rename into " + target + " atomically: " + e.getMessage());
        }
        // The temp file's atime is when it was created, maybe before a collection began: mark it as new.
        Posix.touchAtime(target);
        if (options.syncLevel() == SyncLevel.FILE) {
            folderSyncs[Integer.parseInt(digest.prefix(), 16)].sync();
        }
        return new InsertResult(digest, size, false, repaired);
    }

    /** A fresh temporary path, named so that start-up can tell whether its owner is still alive. */
    Path newTempPath() {
        return layout.tmpDir().resolve(writers.id() + "-" + tempCounter.incrementAndGet());
    }

    WriterRegistry writers() {
        return writers;
    }

    private void requireWritable() {
        if (options.readOnly()) {
            throw new ReadOnlyFileSystemException();
        }
    }

    private static void fsyncFolder(Path folder) throws IOException {
        try (FileChannel channel = FileChannel.open(folder, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }

    private void syncQuietly() {
        try {
            sync();
        } catch (IOException e) {
            LOG.log(Level.WARNING, "periodic sync of " + layout.root() + " failed", e);
        }
    }

    /** Walks prefix folders {@code [from, to)} one directory entry at a time. */
    private static final class ChunkIterator implements Iterator<Digest>, Closeable {
        private final StoreLayout layout;
        private final int to;
        private int nextPrefix;
        private java.nio.file.DirectoryStream<Path> folder;
        private Iterator<Path> entries;
        private Digest next;

        ChunkIterator(StoreLayout layout, int from, int to) {
            this.layout = layout;
            this.nextPrefix = from;
            this.to = to;
        }

        @Override
        public boolean hasNext() {
            while (next == null) {
                if (entries != null && entries.hasNext()) {
                    String name = entries.next().getFileName().toString();
                    if (Digest.isValid(name)) {
                        next = Digest.parse(name);
                    }
                    continue;
                }
                close();
                if (nextPrefix >= to) {
                    return false;
                }
                try {
                    folder = Files.newDirectoryStream(layout.prefixDir(nextPrefix++));
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                entries = folder.iterator();
            }
            return true;
        }

        @Override
        public Digest next() {
            if (!hasNext()) {
                throw new java.util.NoSuchElementException();
            }
            Digest result = next;
            next = null;
            return result;
        }

        @Override
        public void close() {
            entries = null;
            if (folder != null) {
                try {
                    folder.close();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                folder = null;
            }
        }
    }
}

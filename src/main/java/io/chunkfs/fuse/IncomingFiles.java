package io.chunkfs.fuse;

import io.chunkfs.store.ChunkInfo;
import io.chunkfs.store.ChunkStore;
import io.chunkfs.store.Digest;
import io.chunkfs.store.Namespace;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The files of {@code incoming/}: receipts (name -> digest, in the store) and, while they are open
 * for writing, their {@link PendingFile}s by name. Creating, opening, renaming, unlinking and
 * truncating by name happen here; the bytes of an open file live in its PendingFile.
 *
 * <p>Lock order: the {@code pending} map's monitor, then a PendingFile's. Changes of names (which
 * PendingFile a name maps to, and which name a PendingFile commits to) happen under {@code pending},
 * so that a rename or unlink never races a create or the last release of the same name.
 */
final class IncomingFiles {

    private final ChunkStore store;
    private final IncomingNames receipts;
    private final Refusals refusals;
    private final MountStats stats;
    /** Files open for writing, by name; guarded by itself for name changes. */
    private final Map<String, PendingFile> pending = new ConcurrentHashMap<>();

    IncomingFiles(ChunkStore store, Refusals refusals, MountStats stats, int uid, int gid) {
        this.store = store;
        this.receipts = new IncomingNames(store.tree(), store.options().clock(), uid, gid);
        this.refusals = refusals;
        this.stats = stats;
    }

    /** What a file open for writing shows, by its name or by an open handle (also once unlinked). */
    Attributes attributes(PendingFile file) {
        Instant modified = file.modified();
        return Attributes.file(refusals.incomingFileMode(), file.size(), modified, modified);
    }

    Attributes attributes(String name) throws IOException {
        PendingFile open = pending.get(name);
        if (open != null) {
            return attributes(open);
        }
        Optional<Digest> digest = receipts.get(name);
        Optional<ChunkInfo> chunk = digest.isPresent() ? store.stat(digest.get()) : Optional.empty();
        return Attributes.file(refusals.incomingFileMode(), chunk.orElseThrow(IncomingFiles::missing));
    }

    /** The names of files open for writing and of receipts whose chunk is there, sorted. */
    void list(Consumer<String> names) throws IOException {
        TreeSet<String> sorted = new TreeSet<>(pending.keySet());
        List<Namespace.Child> files = new ArrayList<>();
        receipts.forEach(files::add);
        for (Namespace.Child file : files) {
            // A receipt whose chunk is gone (set aside by verify, removed behind the mount) would
            // list as "??????????" in ls -l: leave it out; writing the name again replaces it.
            if (store.contains(file.entry().digest())) {
                sorted.add(file.name().toString());
            }
        }
        sorted.forEach(names);
    }

    /** A new, empty file named {@code name}, replacing any file open under that name, open for writing. */
    IncomingHandle create(String name) throws IOException {
        refusals.requireWritable();
        IncomingNames.check(name);
        PendingFile created = new PendingFile(store, receipts, name, null, 0);
        created.markCreated();
        created.attach();
        synchronized (pending) {
            PendingFile displaced = pending.put(name, created);
            if (displaced != null) {
                displaced.rename(null);
            }
        }
        return new IncomingHandle(this, created, true);
    }

    /**
     * Opens {@code name}. Reading a name no one writes reads its receipt's chunk by digest; writing
     * (or reading a name being written) shares the one PendingFile of that name.
     */
    Opened open(String name, boolean writing, boolean truncate) throws IOException {
        if (writing) {
            refusals.requireWritable();
        }
        PendingFile open;
        synchronized (pending) {
            open = pending.get(name);
            if (open == null) {
                Optional<Digest> receipt = receipts.get(name);
                if (!writing) {
                    // Never keep_cache: a receipt's name can point at another chunk at the next open.
                    Digest digest = receipt.orElseThrow(IncomingFiles::missing);
                    return new Opened(ChunkHandle.open(store, stats, refusals, digest), Caching.NONE);
                }
                Optional<ChunkInfo> committed = receipt.isPresent() ? store.stat(receipt.get()) : Optional.empty();
                if (committed.isPresent()) {
                    open = new PendingFile(
                            store,
                            receipts,
                            name,
                            receipt.get(),
                            committed.get().size());
                } else {
                    // The kernel still knew the name (its entry cache) after a failed commit dropped it:
                    // the kernel strips O_CREAT from open, so treat a write-open as a create, as POSIX would.
                    open = new PendingFile(store, receipts, name, null, 0);
                    open.markCreated();
                }
                pending.put(name, open);
            }
            open.attach();
        }
        IncomingHandle handle = new IncomingHandle(this, open, writing);
        if (writing && truncate) {
            try {
                open.truncate(0);
            } catch (IOException | RuntimeException e) {
                // No handle reaches the kernel: let go of the file as its release would, or its write
                // session would hold back every later collection's cutoff for the life of the mount.
                release(new IncomingHandle(this, open, false));
                throw e;
            }
        }
        return Opened.of(handle);
    }

    /** Commits what {@code file} holds if it changed, and counts it. */
    void commit(PendingFile file) throws IOException {
        stats.committed(file.commitIfChanged());
    }

    /** The last close of {@code handle}: commits what it wrote, and drops the file after its last handle. */
    void release(IncomingHandle handle) throws IOException {
        PendingFile file = handle.file();
        if (handle.writable()) {
            // close(2) has returned already; a failure here can only be logged.
            commitOrLog(file, "release");
        }
        synchronized (pending) {
            if (!file.detach()) {
                return;
            }
            String name = file.name();
            if (name != null) {
                pending.remove(name, file);
            }
        }
        file.close();
    }

    /** truncate(2) by name: of the open file, or (no close to commit at) committed at once. */
    void truncate(String name, long size) throws IOException {
        refusals.requireWritable();
        PendingFile open = pending.get(name);
        if (open != null) {
            open.truncate(size);
            return;
        }
        Digest receipt = receipts.get(name).orElseThrow(IncomingFiles::missing);
        long baseSize = store.stat(receipt).orElseThrow(IncomingFiles::missing).size();
        PendingFile temporary = new PendingFile(store, receipts, name, receipt, baseSize);
        try {
            temporary.truncate(size);
            commit(temporary);
        } finally {
            temporary.close();
        }
    }

    /** Removes the name: its receipt, and the name of a file open under it (which then commits no receipt). */
    void unlink(String name) throws IOException {
        refusals.requireWritable();
        synchronized (pending) {
            PendingFile open = pending.remove(name);
            if (open != null) {
                open.rename(null);
            }
            boolean hadReceipt = receipts.remove(name);
            if (open == null && !hadReceipt) {
                throw missing();
            }
        }
    }

    /** Moves the receipt and the open file of {@code from} to {@code to}, replacing both of {@code to}. */
    void rename(String from, String to) throws IOException {
        refusals.requireWritable();
        IncomingNames.check(to);
        synchronized (pending) {
            PendingFile moving = pending.remove(from);
            boolean hadReceipt = receipts.get(from).isPresent();
            if (moving == null && !hadReceipt) {
                throw missing();
            }
            if (hadReceipt) {
                receipts.rename(from, to);
            } else {
                receipts.remove(to);
            }
            PendingFile displaced = moving != null ? pending.put(to, moving) : pending.remove(to);
            if (displaced != null) {
                displaced.rename(null);
            }
            if (moving != null) {
                moving.rename(to);
            }
        }
    }

    /** Times of incoming files are accepted and ignored (a receipt shows its chunk's times). */
    void touch(String name) throws IOException {
        refusals.requireWritable();
        if (!pending.containsKey(name) && receipts.get(name).isEmpty()) {
            throw missing();
        }
    }

    /** The digest of the committed bytes under {@code name}, or null while they are not committed. */
    Digest digest(String name) throws IOException {
        PendingFile open = pending.get(name);
        if (open != null) {
            return open.committedDigest();
        }
        return receipts.get(name).orElseThrow(IncomingFiles::missing);
    }

    /** Files open for writing, by name. */
    List<PendingFile> pendingFiles() {
        List<PendingFile> files = new ArrayList<>(pending.values());
        files.sort(Comparator.comparing(file -> String.valueOf(file.name())));
        return files;
    }

    /** Commits what {@code file} holds as an unmount forces its close; a failure is logged. */
    void commitAtUnmount(PendingFile file) {
        commitOrLog(file, "unmount");
    }

    /** Commits {@code file} where no caller can hear of a failure ({@code when}: release, unmount): logs it. */
    private void commitOrLog(PendingFile file, String when) {
        try {
            commit(file);
        } catch (IOException | RuntimeException e) {
            Answers.logFailure("commit of incoming/" + file.name() + " at " + when + " failed", e);
        }
    }

    /** At unmount, after every handle was closed: no file is open any more. */
    void forgetAll() {
        pending.clear();
    }

    private static FsError missing() {
        return new FsError(Errno.ENOENT, "no such file");
    }
}

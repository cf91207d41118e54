package io.chunkfs.fuse;

import io.chunkfs.store.ChunkInfo;
import io.chunkfs.store.ChunkStore;
import io.chunkfs.store.Digest;
import io.chunkfs.store.Entry;
import io.chunkfs.store.EntryName;
import io.chunkfs.store.EntryType;
import io.chunkfs.store.Namespace;
import io.chunkfs.store.NewEntry;
import io.chunkfs.store.PosixException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The regular files of the tree while they are open for writing: one {@link PendingFile} per inode, shared by
 * every handle and every name (hard link) of it. Creating, opening and truncating a regular file happen here;
 * its names are the tree's business, so renaming or removing a name never touches an open file.
 *
 * <p>Lock order: the {@code pending} map's monitor, then a PendingFile's. Which PendingFile an inode maps to
 * changes under {@code pending}, so an open never races the last release of the same inode.
 */
final class IncomingFiles {
    /** What a regular file made by create(2) or mknod(2) holds until its first commit. */
    static final Digest EMPTY = Digest.sha256(new byte[0]);

    private final ChunkStore store;
    private final Namespace tree;
    private final Refusals refusals;
    private final MountStats stats;
    /** Files open for writing, by inode. */
    private final Map<Long, PendingFile> pending = new ConcurrentHashMap<>();

    IncomingFiles(ChunkStore store, Refusals refusals, MountStats stats) {
        this.store = store;
        this.tree = store.tree();
        this.refusals = refusals;
        this.stats = stats;
    }

    /**
     * What {@code entry} shows: while it is being written, the size and mtime of the bytes written so far. A
     * regular file whose chunk is gone (set aside by verify, removed behind the mount) does not exist for the
     * mount (ENOENT): gc removes its names.
     */
    Attributes attributes(Entry entry) throws IOException {
        Attributes attributes = Attributes.of(entry);
        if (entry.type() != EntryType.REGULAR) {
            return attributes;
        }
        PendingFile open = pending.get(entry.inode());
        if (open != null && !open.failed()) {
            return attributes.withContent(open.size(), open.modified());
        }
        // The chunk's own blocks: a sparse file's chunk keeps its holes where the store's file system does.
        ChunkInfo chunk = store.stat(entry.digest()).orElseThrow(() -> new FsError(Errno.ENOENT, "its chunk is gone"));
        return attributes.withBlocks(chunk.blocks());
    }

    /** Whether the mount shows {@code entry}: anything but a regular file whose chunk is gone. */
    boolean shown(Entry entry) throws IOException {
        return entry.type() != EntryType.REGULAR
                || pending.containsKey(entry.inode())
                || store.contains(entry.digest());
    }

    /** What an open handle shows (fstat): the bytes it writes, also once every name of the file is gone. */
    Attributes attributes(PendingFile file) throws IOException {
        Optional<Entry> named = tree.entry(file.inode());
        Attributes attributes = named.map(Attributes::of)
                .orElseGet(() -> Attributes.of(file.openedAs()).unlinked());
        return attributes.withContent(file.size(), file.modified());
    }

    /**
     * Makes sure the empty chunk is in the store, and marked used for a collection running now, before a name
     * points at it: every new file names it until its first commit.
     */
    void storeEmptyChunk() throws IOException {
        boolean there;
        try {
            there = store.condTouchChunk(EMPTY, false);
        } catch (IOException e) {
            // A chunk store that cannot touch it now (an object store out of reach): an insert may still queue it.
            there = false;
        }
        if (!there) {
            store.insertChunk(new byte[0]);
        }
    }

    /** A new, empty regular file {@code name} in {@code folder}, open for writing. */
    IncomingHandle create(long folder, EntryName name, Caller owner, int mode, String shownPath) throws IOException {
        refusals.requireWritable();
        storeEmptyChunk();
        long now = Attributes.nanos(store.options().clock().instant());
        NewEntry file = NewEntry.file(EMPTY, 0, mode, owner.uid(), owner.gid(), now);
        Entry created;
        try {
            created = tree.create(folder, name, file);
        } catch (PosixException e) {
            // The kernel creates only a name it did not find: one the mount hides (its chunk is gone) is replaced.
            Optional<Entry> hidden = e.errno() == Errno.EEXIST ? tree.lookup(folder, name) : Optional.empty();
            if (hidden.isEmpty() || shown(hidden.get())) {
                throw e;
            }
            created = tree.createOrReplace(folder, name, file);
        }
        PendingFile pendingFile = new PendingFile(store, created, shownPath, null, 0);
        // Committed at close even if nothing is written: close(2) returning 0 makes the name durable.
        pendingFile.markCreated();
        pendingFile.attach();
        pending.put(created.inode(), pendingFile);
        return new IncomingHandle(this, pendingFile, true);
    }

    /**
     * Opens the regular file {@code entry}. Reading one no one writes reads its chunk by digest; writing (or
     * reading one being written) shares the one PendingFile of its inode.
     */
    Opened open(Entry entry, boolean writing, boolean truncate, String shownPath) throws IOException {
        if (writing) {
            refusals.requireWritable();
        }
        PendingFile open;
        synchronized (pending) {
            open = pending.get(entry.inode());
            if (open == null || (open.failed() && !writing)) {
                if (!writing) {
                    // Never keep_cache: the inode may hold other bytes at the next open.
                    return new Opened(ChunkHandle.open(store, stats, refusals, entry.digest()), Caching.NONE);
                }
                open = new PendingFile(store, entry, shownPath, entry.digest(), entry.size());
                pending.put(entry.inode(), open);
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
            if (!handle.writable() && file.hasUncommittedChanges()) {
                // Only readers were left, and a truncate by path changed the file meanwhile: nobody else will
                // commit it. Under the map's monitor, so that no open starts from the bytes before it.
                commitOrLog(file, "release");
            }
            pending.remove(file.inode(), file);
        }
        file.close();
    }

    /** truncate(2) by path: of the open file, or (no close to commit at) committed at once. */
    void truncate(Entry entry, long size, String shownPath) throws IOException {
        refusals.requireWritable();
        PendingFile open = pending.get(entry.inode());
        if (open != null) {
            open.truncate(size);
            return;
        }
        PendingFile temporary = new PendingFile(store, entry, shownPath, entry.digest(), entry.size());
        try {
            temporary.truncate(size);
            commit(temporary);
        } finally {
            temporary.close();
        }
    }

    /** utimensat(2) of an inode: a file being written records {@code mtime} with its next commit too. */
    void timesChanged(long inode, Long mtime) {
        PendingFile open = pending.get(inode);
        if (open != null && mtime != null) {
            open.setModified(mtime);
        }
    }

    /** The digest of the committed bytes of {@code entry}, or null while they are not committed. */
    Digest digest(Entry entry) {
        PendingFile open = pending.get(entry.inode());
        return open != null && !open.failed() ? open.committedDigest() : entry.digest();
    }

    /** Files open for writing, by the path they were opened by. */
    List<PendingFile> pendingFiles() {
        List<PendingFile> files = new ArrayList<>(pending.values());
        files.sort(Comparator.comparing(PendingFile::name));
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
}

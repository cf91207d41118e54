package io.chunkfs.store.local;

import io.chunkfs.store.ChunkBackend;
import io.chunkfs.store.Digest;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The names a chunk takes while it is not at its digest name: {@code DIGEST.sweep} for the moment a sweep holds it
 * aside to look at its atime once more, {@code DIGEST.N.bad} for a damaged copy (or a damaged entry, a folder say) kept
 * for inspection. The marker {@code .chunks/.sweep-running} exists, durably, while a sweep may hold chunks aside: a
 * power cut between setting a touched chunk aside and putting it back would otherwise leave it away from its digest
 * name until the next collection; the next start sees the marker and puts such chunks back ({@link
 * GcLock#restoreAfterCrash}). Only the marker's presence counts, never its bytes (it is made empty); {@link
 * io.chunkfs.store.StoreFormat} gives the version rule it follows.
 */
final class SetAside {
    /** For {@link #quarantine}: whatever file the name shows. */
    static final long ANY_FILE = -1;

    private static final String ASIDE_SUFFIX = ".sweep";
    private static final Pattern BAD_NAME = Pattern.compile("[0-9a-f]{64}\\.\\d+\\.bad");
    private static final String SWEEP_MARKER = ".sweep-running";

    private final StoreFolders folders;
    private final Syscalls sys;

    SetAside(StoreFolders folders) {
        this.folders = folders;
        this.sys = folders.sys;
    }

    /** The name a chunk holds while a sweep has it aside. */
    static String asideName(String chunk) {
        return chunk + ASIDE_SUFFIX;
    }

    /** The chunk name {@code name} holds while set aside ({@code DIGEST.sweep}), or null if it is not one. */
    static String setAsideChunk(String name) {
        if (!name.endsWith(ASIDE_SUFFIX)) {
            return null;
        }
        String chunk = name.substring(0, name.length() - ASIDE_SUFFIX.length());
        return Digest.isValid(chunk) ? chunk : null;
    }

    /** Whether a sweep's marker is there: a sweep runs, or one died. */
    boolean sweepDied() throws IOException {
        return sys.stat(folders.chunks, SWEEP_MARKER) != null;
    }

    /** Makes the marker durable before the first chunk is set aside. */
    void sweepStarting() throws IOException {
        try {
            sys.create(folders.chunks, SWEEP_MARKER, folders.fileMode).close();
        } catch (FileAlreadyExistsException e) {
            // left by a collection that died
        }
        sys.fsync(folders.chunks);
    }

    void sweepDone() throws IOException {
        sys.unlink(folders.chunks, SWEEP_MARKER);
    }

    /** Puts back every chunk of {@code folder} that a sweep holds aside, durably; returns how many. */
    int restoreAll(Folder folder) throws IOException {
        List<String> aside;
        try (Stream<String> names = sys.list(folder)) {
            aside = names.filter(name -> setAsideChunk(name) != null).toList();
        }
        for (String name : aside) {
            sys.rename(folder, name, folder, setAsideChunk(name));
        }
        if (!aside.isEmpty()) {
            sys.fsync(folder);
        }
        return aside.size();
    }

    /** One pass over a prefix folder for a sweep; chunks a dead sweep left aside are put back on the way. */
    ChunkBackend.PrefixScan scan(Folder folder) throws IOException {
        List<String> names;
        try (Stream<String> entries = sys.list(folder)) {
            names = entries.toList();
        }
        List<Digest> chunks = new ArrayList<>();
        List<String> oddities = new ArrayList<>();
        long bad = 0;
        for (String name : names) {
            if (Digest.isValid(name)) {
                chunks.add(Digest.parse(name));
            } else if (setAsideChunk(name) != null) {
                // A collection died between setting it aside and deciding: keep it, the next one decides.
                restore(folder, name, setAsideChunk(name));
                oddities.add("restored " + folder.resolve(name) + ", set aside by a collection that died");
            } else if (BAD_NAME.matcher(name).matches()) {
                bad++;
            } else {
                oddities.add("foreign file in a chunk folder: " + folder.resolve(name));
            }
        }
        return new ChunkBackend.PrefixScan(chunks, bad, oddities);
    }

    /**
     * Renames the chunk aside, looks at its atime again, and puts it back if it was touched since
     * {@code cutoffMillis} or its atime is no longer {@code seen} (the sweep's first look; null: not known);
     * removes it otherwise. Comparing with {@code seen} keeps a touch made during the sweep whatever its stamp: the
     * cutoff alone trusts the wall clock, which may step back between the start of the collection and the touch.
     */
    ChunkBackend.Deletion deleteIfUnusedSince(Folder folder, String chunk, long cutoffMillis, FileTime seen)
            throws IOException {
        String aside = asideName(chunk);
        try {
            sys.rename(folder, chunk, folder, aside);
        } catch (NoSuchFileException e) {
            return ChunkBackend.Deletion.GONE;
        }
        FileStat asideAttributes = sys.stat(folder, aside);
        if (asideAttributes != null
                && (asideAttributes.atime().toMillis() >= cutoffMillis
                        || (seen != null && !asideAttributes.atime().equals(seen)))) {
            restore(folder, aside, chunk);
            return ChunkBackend.Deletion.KEPT;
        }
        sys.unlink(folder, aside);
        return ChunkBackend.Deletion.REMOVED;
    }

    /**
     * Puts a chunk back under its name; a fresh copy written meanwhile has the same bytes. Durably: once the
     * sweep's marker is gone, nothing else would put it back after a power cut.
     */
    private void restore(Folder folder, String aside, String chunk) throws IOException {
        sys.rename(folder, aside, folder, chunk);
        sys.fsync(folder);
    }

    /**
     * Sets the file {@code inode} at {@code name} aside under its first free {@code .N.bad} name, never
     * replacing one. If an insert has meanwhile put other (good) bytes under the name, those stay: the
     * name is moved aside once more and put back unless it still shows the damaged file. A damaged entry (a
     * folder, a FIFO, a socket, a symlink: anything but a regular file) is renamed instead ({@link
     * #quarantineEntry}): a folder cannot be linked.
     *
     * @param inode the damaged file, or {@link #ANY_FILE} for whatever the name shows
     * @return the name it got, or null if the damaged file was gone already (set aside by someone else)
     */
    String quarantine(Folder folder, String name, long inode) throws IOException {
        FileStat now = sys.stat(folder, name);
        if (now == null) {
            return null;
        }
        if (!now.isRegularFile()) {
            return quarantineEntry(folder, name, inode);
        }
        for (int n = 0; ; n++) {
            String bad = name + "." + n + ".bad";
            try {
                sys.link(folder, name, folder, bad);
            } catch (FileAlreadyExistsException e) {
                continue;
            } catch (NoSuchFileException e) {
                return null;
            }
            FileStat linked = sys.stat(folder, bad);
            if (inode != ANY_FILE && (linked == null || linked.inode() != inode)) {
                sys.unlink(folder, bad);
                return null;
            }
            String aside = asideName(name);
            try {
                sys.rename(folder, name, folder, aside);
            } catch (NoSuchFileException e) {
                return bad;
            }
            FileStat moved = sys.stat(folder, aside);
            if (moved != null
                    && (inode == ANY_FILE
                            || moved.inode() == inode
                            || (linked != null && moved.inode() == linked.inode()))) {
                sys.unlink(folder, aside);
            } else {
                sys.rename(folder, aside, folder, name);
            }
            return bad;
        }
    }

    /**
     * Renames the damaged entry {@code inode} at {@code name} (not a regular file) to its first free {@code .N.bad}
     * name, never replacing one, and finds it there again by its inode: if the name showed another entry by then
     * (an insert's chunk, which may replace a FIFO or a symlink), that one goes back under the name, unless
     * something took the name meanwhile (then it stays aside, and nothing is lost: both are copies of the chunk).
     */
    private String quarantineEntry(Folder folder, String name, long inode) throws IOException {
        for (int n = 0; ; n++) {
            String bad = name + "." + n + ".bad";
            try {
                if (!sys.renameNoReplace(folder, name, folder, bad)) {
                    continue;
                }
            } catch (NoSuchFileException e) {
                return null;
            }
            FileStat moved = sys.stat(folder, bad);
            if (inode == ANY_FILE || (moved != null && moved.inode() == inode)) {
                return bad;
            }
            try {
                sys.renameNoReplace(folder, bad, folder, name);
            } catch (NoSuchFileException e) {
                // moved on by someone else
            }
            return null;
        }
    }
}

package io.chunkfs.fuse;

import io.chunkfs.store.Digest;
import io.chunkfs.store.Entry;
import io.chunkfs.store.EntryName;
import io.chunkfs.store.EntryType;
import io.chunkfs.store.Namespace;
import io.chunkfs.store.NewEntry;
import io.chunkfs.store.PosixException;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The names of {@code incoming/}: the regular files of the tree's root folder, each naming the chunk a file
 * written there became. Names are the UTF-8 of the path the kernel passed. Thread-safe (the tree is).
 */
final class IncomingNames {
    private static final int PAGE = 1024;
    /** What a written file's entry records as its mode (the mount shows every incoming file 0644). */
    private static final int FILE_MODE = 0644;

    private final Namespace tree;
    private final Clock clock;
    private final int uid;
    private final int gid;

    IncomingNames(Namespace tree, Clock clock, int uid, int gid) {
        this.tree = tree;
        this.clock = clock;
        this.uid = uid;
        this.gid = gid;
    }

    /** The chunk {@code name} holds, or empty if it names no regular file. */
    Optional<Digest> get(String name) throws IOException {
        return tree.lookup(Namespace.ROOT, EntryName.of(name))
                .filter(entry -> entry.type() == EntryType.REGULAR)
                .map(Entry::digest);
    }

    /** Points {@code name} at the committed chunk {@code digest}, replacing what it named. */
    void put(String name, Digest digest, long size) throws IOException {
        Instant now = clock.instant();
        long nanos = now.getEpochSecond() * 1_000_000_000L + now.getNano();
        tree.createOrReplace(
                Namespace.ROOT, EntryName.of(name), NewEntry.file(digest, size, FILE_MODE, uid, gid, nanos));
    }

    /** Drops the name (never its chunk); false if there was none. */
    boolean remove(String name) throws IOException {
        try {
            tree.unlink(Namespace.ROOT, EntryName.of(name));
            return true;
        } catch (PosixException e) {
            if (e.errno() == Errno.ENOENT) {
                return false;
            }
            throw e;
        }
    }

    /** Moves {@code from} to {@code to}, replacing a file named {@code to}. */
    void rename(String from, String to) throws IOException {
        tree.rename(Namespace.ROOT, EntryName.of(from), Namespace.ROOT, EntryName.of(to), Namespace.RenameMode.REPLACE);
    }

    /** Every regular file's name and chunk, in the tree's order, page by page. */
    void forEach(Consumer<Namespace.Child> files) throws IOException {
        EntryName after = null;
        while (true) {
            var page = tree.list(Namespace.ROOT, after, PAGE);
            for (Namespace.Child child : page) {
                if (child.entry().type() == EntryType.REGULAR) {
                    files.accept(child);
                }
            }
            if (page.size() < PAGE) {
                return;
            }
            after = page.get(page.size() - 1).name();
        }
    }

    /** Checks that {@code name} can be a name of the tree: EINVAL, ENAMETOOLONG. */
    static void check(String name) throws PosixException {
        EntryName.of(name);
    }
}

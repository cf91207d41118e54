package io.chunkfs.testing;

import io.chunkfs.store.ChunkStore;
import io.chunkfs.store.Digest;
import io.chunkfs.store.EntryName;
import io.chunkfs.store.EntryType;
import io.chunkfs.store.Namespace;
import io.chunkfs.store.NewEntry;
import io.chunkfs.store.PosixException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import jnr.constants.platform.Errno;

/**
 * The files of a store's {@code incoming/} (the tree's root folder) as name to digest, the way the mount makes
 * them: for tests that write receipts without a mount.
 */
public final class Receipts {
    /** A file of {@code incoming/}: its name and the chunk it holds. */
    public record Receipt(String name, Digest digest) {}

    private final ChunkStore store;

    private Receipts(ChunkStore store) {
        this.store = store;
    }

    public static Receipts of(ChunkStore store) {
        return new Receipts(store);
    }

    public Optional<Digest> get(String name) throws IOException {
        return store.tree()
                .lookup(Namespace.ROOT, EntryName.of(name))
                .filter(entry -> entry.type() == EntryType.REGULAR)
                .map(entry -> entry.digest());
    }

    /** Names a chunk that is in the store. */
    public void put(String name, Digest digest) throws IOException {
        long size = store.stat(digest).orElseThrow().size();
        long now = System.currentTimeMillis() * 1_000_000L;
        store.tree().createOrReplace(Namespace.ROOT, EntryName.of(name), NewEntry.file(digest, size, 0644, 0, 0, now));
    }

    public boolean remove(String name) throws IOException {
        try {
            store.tree().unlink(Namespace.ROOT, EntryName.of(name));
            return true;
        } catch (PosixException e) {
            if (e.errno() == Errno.ENOENT.intValue()) {
                return false;
            }
            throw e;
        }
    }

    public void rename(String from, String to) throws IOException {
        store.tree()
                .rename(
                        Namespace.ROOT,
                        EntryName.of(from),
                        Namespace.ROOT,
                        EntryName.of(to),
                        Namespace.RenameMode.REPLACE);
    }

    /** Every regular file of the root folder, in the tree's order. */
    public List<Receipt> list() throws IOException {
        List<Receipt> receipts = new ArrayList<>();
        EntryName after = null;
        List<Namespace.Child> page;
        do {
            page = store.tree().list(Namespace.ROOT, after, 1000);
            for (Namespace.Child child : page) {
                if (child.entry().type() == EntryType.REGULAR) {
                    receipts.add(
                            new Receipt(child.name().toString(), child.entry().digest()));
                }
            }
            after = page.isEmpty() ? null : page.get(page.size() - 1).name();
        } while (!page.isEmpty());
        return receipts;
    }
}

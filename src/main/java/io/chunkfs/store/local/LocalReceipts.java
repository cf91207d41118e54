package io.chunkfs.store.local;

import io.chunkfs.store.Digest;
import io.chunkfs.store.GroupSync;
import io.chunkfs.store.ReceiptIndex;
import io.chunkfs.store.SyncLevel;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * The mount's receipts: which digest a file written to {@code incoming/NAME} became. Each is a
 * symlink {@code STORE/receipts/NAME -> ../.chunks/PP/DIGEST}, so that they survive a remount and
 * plain {@code ls -l} explains them. Links are only ever read, never followed: a link planted to point
 * elsewhere yields no digest.
 *
 * <p>Durability follows the store's sync level: under {@link SyncLevel#FILE} a change to a receipt (made,
 * replaced, renamed, removed) is durable when the call returns (the folder is fsynced, shared between
 * concurrent callers); under {@link SyncLevel#FILESYSTEM} at the store's next sync. A receipt is made only
 * after its chunk is durable, so no crash leaves a receipt whose chunk was lost.
 *
 * <p>The names of the receipts are kept in memory, so that looking up a name that has no receipt (every new
 * file a program creates, twice) costs no system call. The folder stays the truth for names that do have
 * one: their link is read each time, so a receipt that gc in another process removed is seen gone. Only the
 * process that mounts the store makes receipts; one made by another process is seen after a remount.
 *
 * <p>Their form follows the store's format version ({@link StoreFormat}): an entry of {@code receipts/} whose link
 * does not end in a digest (a file, a folder, a link elsewhere) is no receipt: listing and gc skip it, never remove it.
 */
public final class LocalReceipts implements ReceiptIndex {
    private final LocalBackend backend;
    private final StoreFolders folders;
    private final SyncLevel level;
    private final Syscalls sys;
    private final GroupSync folderSync;
    private final StoreSync storeSync;
    /** Every name that has a receipt, and maybe some whose receipt another process removed; null until loaded. */
    private volatile Set<String> names;

    LocalReceipts(LocalBackend backend, StoreFolders folders, SyncLevel level, StoreSync storeSync) {
        this.storeSync = storeSync;
        this.backend = backend;
        this.folders = folders;
        this.level = level;
        this.sys = folders.sys;
        this.folderSync = new GroupSync(() -> sys.fsync(folders.receipts));
    }

    /** The digest a receipt names, or empty if there is no such receipt. */
    @Override
    public Optional<Digest> get(String name) throws IOException {
        ReceiptIndex.checkName(name);
        Set<String> known = names();
        if (!known.contains(name)) {
            return Optional.empty();
        }
        String link = sys.readlink(folders.receipts, name);
        if (link == null) {
            known.remove(name);
        }
        return Optional.ofNullable(digestOf(link));
    }

    /** Records (or atomically replaces) a receipt. */
    @Override
    public void put(String name, Digest digest) throws IOException {
        ReceiptIndex.checkName(name);
        String target = "../.chunks/" + digest.prefix() + "/" + digest;
        Set<String> known = names();
        try {
            if (known.contains(name)) {
                replace(target, name);
            } else {
                sys.symlink(target, folders.receipts, name);
            }
        } catch (FileAlreadyExistsException e) {
            replace(target, name);
        }
        known.add(name);
        changed();
    }

    /** Replaces a receipt atomically: a link made under a temporary name, then renamed over the old one. */
    private void replace(String target, String name) throws IOException {
        String temp = backend.newTempName();
        sys.symlink(target, folders.tmp, temp);
        try {
            sys.rename(folders.tmp, temp, folders.receipts, name);
        } catch (IOException | RuntimeException failure) {
            sys.unlink(folders.tmp, temp);
            throw failure;
        }
    }

    private Set<String> names() throws IOException {
        Set<String> known = names;
        if (known == null) {
            synchronized (this) {
                known = names;
                if (known == null) {
                    known = ConcurrentHashMap.newKeySet();
                    try (Stream<String> entries = sys.list(folders.receipts)) {
                        entries.forEach(known::add);
                    }
                    names = known;
                }
            }
        }
        return known;
    }

    /** Drops a receipt (never its chunk); false if there was none. */
    @Override
    public boolean remove(String name) throws IOException {
        ReceiptIndex.checkName(name);
        boolean removed = sys.unlink(folders.receipts, name);
        names().remove(name);
        if (removed) {
            changed();
        }
        return removed;
    }

    /** Renames a receipt, replacing one of the new name. */
    @Override
    public void rename(String from, String to) throws IOException {
        ReceiptIndex.checkName(from);
        ReceiptIndex.checkName(to);
        sys.rename(folders.receipts, from, folders.receipts, to);
        Set<String> known = names();
        known.remove(from);
        known.add(to);
        changed();
    }

    /** Every receipt, sorted by name. */
    @Override
    public List<Receipt> list() throws IOException {
        List<Receipt> receipts = new ArrayList<>();
        try (Stream<String> names = sys.list(folders.receipts)) {
            for (String name : (Iterable<String>) names::iterator) {
                Digest digest = digestOf(sys.readlink(folders.receipts, name));
                if (digest != null) {
                    receipts.add(new Receipt(name, digest));
                }
            }
        }
        receipts.sort((a, b) -> a.name().compareTo(b.name()));
        return receipts;
    }

    @Override
    public long removeDangling(Presence store) throws IOException {
        long removed = 0;
        for (Receipt receipt : list()) {
            if (!store.holds(receipt.digest()) && sys.unlink(folders.receipts, receipt.name())) {
                names().remove(receipt.name());
                removed++;
            }
        }
        if (removed > 0) {
            changed();
        }
        return removed;
    }

    private void changed() throws IOException {
        if (level == SyncLevel.FILE) {
            folderSync.sync();
        } else if (level == SyncLevel.FILESYSTEM) {
            storeSync.receiptsChanged();
        }
    }

    private static Digest digestOf(String linkTarget) {
        if (linkTarget == null) {
            return null;
        }
        String file = linkTarget.substring(linkTarget.lastIndexOf('/') + 1);
        return Digest.isValid(file) ? Digest.parse(file) : null;
    }
}

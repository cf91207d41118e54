package io.chunkfs.store.local;

import io.chunkfs.store.ChunkBackend;
import io.chunkfs.store.EntryName;
import io.chunkfs.store.Namespace;
import io.chunkfs.store.NewEntry;
import io.chunkfs.store.StoreFormat;
import io.chunkfs.store.SyncLevel;
import io.chunkfs.store.sql.SqlNamespace;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * Converts a store of format 1 or 2 (receipts as symlinks in {@code receipts/}) to format 3 (the file tree in
 * {@code tree.db}): done once, by the first process that opens the store for writing.
 *
 * <p>What a receipt becomes: a regular file of the tree's root folder (the mount's {@code incoming/}) of the same
 * name, naming the same chunk, mode 0644, owned by the store folder's owner, its size the chunk's and its three times
 * the chunk's modification time. A receipt whose chunk is not in the store (set aside by verify, removed behind
 * the store's back) is converted all the same, as a file of size 0 whose times are when its symlink was made: an
 * earlier release kept such a receipt (its mount hid it, its gc removed it), and so does the tree (the mount hides a
 * name whose chunk is missing, gc removes it). An entry of {@code receipts/} that is no receipt (see {@link
 * LocalReceipts}) is neither converted nor removed. The tree's gc roots are off: an earlier release's gc did not keep
 * what its receipts named, so neither does the converted store's until its owner turns them on.
 *
 * <p>The steps, each durable before the next, so that a process killed (or a power cut) at any point leaves either
 * the old store as it was, with leftovers the next conversion removes, or the converted one:
 *
 * <ol>
 *   <li>Take the store's {@code .lock} ({@link GcLock#lockToConvert}: an {@code fcntl} lock, waited for), and read
 *       the marker again: if another process converted the store meanwhile, there is nothing to do.
 *   <li>Remove what an interrupted conversion left: {@code tree.db} and SQLite's files beside it,
 *       {@code tree.db.partial}, {@code .chunkfs.partial}. Beside a marker of version 1 or 2 nothing reads them.
 *   <li>Build the tree from the receipts, in a database outside the store ({@link TreeBuilder}).
 *   <li>Copy it into the store as {@code tree.db.partial}, fsync it, rename it to {@code tree.db}, fsync the store
 *       folder ({@link StoreLayout#installTree}).
 *   <li>Write the marker of version 3 (the same properties) as {@code .chunkfs.partial}, fsync it, rename it onto
 *       {@code .chunkfs}, fsync the store folder ({@link StoreLayout#writeMarker}). From here on the store is
 *       converted: an earlier release refuses it.
 *   <li>Release the lock, then remove the receipts from {@code receipts/}, and the folder once it is empty ({@link
 *       #removeReceipts}; a writable open of a version-3 store finishes this if a crash interrupted it).
 * </ol>
 *
 * <p>A read-only open converts nothing: it reads a tree built from the receipts outside the store ({@link
 * #temporaryTree}) and writes nothing to the store.
 */
final class TreeConversion {
    private static final Logger LOG = Logger.getLogger(TreeConversion.class.getName());

    /** The points a conversion passes, in order, for tests that stop it there. */
    enum Step {
        /** The lock is held, and the marker says version 3: another process converted the store meanwhile. */
        FOUND_CONVERTED,
        /** The lock is held and the marker still says version 1 or 2. */
        LOCKED,
        /** What an earlier attempt left is removed. */
        DISCARDED,
        /** One receipt more is in the tree being built (once per receipt). */
        RECEIPT_ADDED,
        /** The tree is built, outside the store. */
        BUILT,
        /** {@code tree.db} is in place and durable. */
        INSTALLED,
        /** The marker says version 3, durably. */
        MARKED,
        /** One receipt more is removed from {@code receipts/} (once per receipt). */
        RECEIPT_REMOVED,
        /** {@code receipts/} is gone (or holds only what is no receipt). */
        DONE
    }

    /** What tests run at each {@link Step}: an exception thrown there stops the conversion as a kill would. */
    interface Hook {
        void reached(Step step) throws IOException;
    }

    private static volatile Hook hook = step -> {};

    private final StoreLayout layout;
    private final StoreFolders folders;
    private final Syscalls sys;
    private final GcLock lock;
    private final ChunkBackend.Owner owner;
    private final Clock clock;

    TreeConversion(StoreLayout layout, StoreFolders folders, GcLock lock, ChunkBackend.Owner owner, Clock clock) {
        this.layout = layout;
        this.folders = folders;
        this.sys = folders.sys;
        this.lock = lock;
        this.owner = owner;
        this.clock = clock;
    }

    /** Runs {@code hook} at every step of every conversion of this JVM (tests); null for none. */
    static void hook(Hook hook) {
        TreeConversion.hook = hook == null ? step -> {} : hook;
    }

    private static void reached(Step step) throws IOException {
        hook.reached(step);
    }

    /**
     * Converts the store, unless another process did so first; then removes its receipts.
     *
     * @param chunks the store's backend (an S3 store's, over this folder), asked about each receipt's chunk
     * @param sharedMemoryWorks whether the tree keeps a write-ahead log here (see {@link StoreSync#sharedMemoryWorks})
     * @return true if this call converted the store
     */
    boolean convert(ChunkBackend chunks, boolean sharedMemoryWorks) throws IOException {
        Folder root = folders.root;
        try (Closeable held = lock.lockToConvert()) {
            StoreFormat format = layout.reread(sys, root);
            if (format.hasTree()) {
                reached(Step.FOUND_CONVERTED);
                return false;
            }
            reached(Step.LOCKED);
            sys.unlink(root, StoreLayout.TREE_PARTIAL);
            for (String companion : StoreLayout.TREE_COMPANIONS) {
                sys.unlink(root, companion);
            }
            sys.unlink(root, StoreLayout.TREE);
            sys.unlink(root, StoreLayout.MARKER_PARTIAL);
            reached(Step.DISCARDED);
            Built built;
            try (TreeBuilder builder = TreeBuilder.start(owner.uid(), owner.gid(), false, clock)) {
                built = fill(builder.tree(), chunks);
                reached(Step.BUILT);
                StoreLayout.installTree(sys, root, builder.finish(sharedMemoryWorks), folders.fileMode);
            }
            reached(Step.INSTALLED);
            StoreLayout.writeMarker(sys, root, StoreFormat.markerText(format.properties()), folders.fileMode);
            layout.reread(sys, root);
            reached(Step.MARKED);
            LOG.info(() -> "converted the store " + layout.root() + " from format version " + format.version()
                    + " to " + StoreFormat.VERSION + ": " + built.receipts + " receipts are files of incoming/ in "
                    + layout.treeFile()
                    + (built.missing == 0
                            ? ""
                            : " (" + built.missing + " of them name a chunk"
                                    + " the store does not hold: they stay hidden, and gc removes them)")
                    + "; gc keeps what the tree names only once tree roots are turned on");
        }
        removeReceipts();
        return true;
    }

    /**
     * The tree of a store of format 1 or 2 for a read-only open: built from its receipts outside the store, read
     * only, removed when closed. Nothing in the store is written.
     */
    Namespace temporaryTree(ChunkBackend chunks, SyncLevel level) throws IOException {
        TreeBuilder builder = TreeBuilder.start(owner.uid(), owner.gid(), false, clock);
        try {
            fill(builder.tree(), chunks);
            // A rollback journal: a read-only connection then needs no log or shared-memory file.
            var file = builder.finish(false);
            return new TemporaryTree(
                    SqlNamespace.openFile(file, false, true, level, clock, owner.uid(), owner.gid(), false), builder);
        } catch (IOException | RuntimeException e) {
            builder.close();
            throw e;
        }
    }

    /**
     * Removes the receipts of {@code receipts/} (a converted store's, or what an interrupted conversion left beside
     * a marker of version 3), then the folder if nothing else is in it. Anything that is no receipt is left, with a
     * warning.
     */
    void removeReceipts() throws IOException {
        Folder receipts = folders.receipts;
        if (receipts == null || sys.stat(folders.root, StoreLayout.RECEIPTS) == null) {
            return;
        }
        for (LocalReceipts.Receipt receipt : new LocalReceipts(sys, receipts).list()) {
            sys.unlink(receipts, receipt.name());
            reached(Step.RECEIPT_REMOVED);
        }
        long left;
        try (Stream<String> names = sys.list(receipts)) {
            left = names.count();
        }
        if (left == 0) {
            try {
                Files.delete(layout.receiptsDir());
            } catch (NoSuchFileException e) {
                // removed by another process meanwhile
            } catch (DirectoryNotEmptyException e) {
                left = 1; // something was put in meanwhile: leave it
            }
            sys.fsync(folders.root);
        }
        if (left > 0) {
            long others = left;
            LOG.warning(() -> layout.receiptsDir() + " holds " + others + " entries that are not receipts (this"
                    + " chunkfs keeps the store's files in " + layout.treeFile() + "): move them away and remove"
                    + " the folder");
        }
        reached(Step.DONE);
    }

    /** How many receipts a tree got, and how many of them name a chunk the store does not hold. */
    private record Built(int receipts, int missing) {}

    private Built fill(Namespace tree, ChunkBackend chunks) throws IOException {
        LocalReceipts receipts = new LocalReceipts(sys, folders.receipts);
        List<LocalReceipts.Receipt> list = receipts.list();
        int missing = 0;
        for (LocalReceipts.Receipt receipt : list) {
            ChunkBackend.Entry chunk = chunks.stat(receipt.digest());
            long size;
            long time;
            if (chunk != null && chunk.chunk()) {
                size = chunk.size();
                time = chunk.mtime().to(TimeUnit.NANOSECONDS);
            } else {
                missing++;
                size = 0;
                time = receipts.madeAt(receipt.name()).orElse(clock.millis() * 1_000_000L);
            }
            tree.create(
                    Namespace.ROOT,
                    EntryName.of(receipt.name()),
                    NewEntry.file(receipt.digest(), size, 0644, owner.uid(), owner.gid(), time));
            reached(Step.RECEIPT_ADDED);
        }
        return new Built(list.size(), missing);
    }
}

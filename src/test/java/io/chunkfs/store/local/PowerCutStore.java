package io.chunkfs.store.local;

import io.chunkfs.store.ChunkStore;
import io.chunkfs.store.StoreOptions;
import io.chunkfs.store.SyncLevel;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.NavigableSet;
import java.util.Random;
import java.util.TreeSet;

/**
 * A store opened through {@link CrashingSyscalls} and {@link CrashingTree}, for tests outside this package (the
 * mount's node handlers, in {@code io.chunkfs.fuse}): they drive {@link #store()} as they like, read {@link
 * #calls()} to mark what returned when, and then write out and open the store a power cut after any call leaves.
 */
public final class PowerCutStore implements AutoCloseable {
    private final CrashingSyscalls sys;
    private final CrashingTree tree;
    private final ChunkStore store;
    private long end = -1;

    private PowerCutStore(CrashingSyscalls sys, CrashingTree tree, ChunkStore store) {
        this.sys = sys;
        this.tree = tree;
        this.store = store;
    }

    /**
     * Opens the initialized store at {@code root} under {@code level}, with no periodic store sync; {@code scratch}
     * is a folder for copies of the tree's database.
     */
    public static PowerCutStore open(Path root, SyncLevel level, Path scratch) throws IOException {
        byte[] before = CrashingTree.copy(root, scratch);
        CrashingSyscalls sys = new CrashingSyscalls(root);
        StoreOptions options = new StoreOptions(level, false, Duration.ofHours(1), true);
        LocalBackend backend = LocalBackend.open(root, options, sys);
        CrashingTree tree;
        try {
            tree = CrashingTree.wrap(backend.openTree(), root, sys, level, before, scratch);
        } catch (IOException | RuntimeException e) {
            backend.close();
            throw e;
        }
        return new PowerCutStore(sys, tree, ChunkStore.open(backend, tree.tree(), options));
    }

    public ChunkStore store() {
        return store;
    }

    /** How many calls went through the store's port so far: a cut at this value is a power cut now. */
    public long calls() {
        return sys.calls();
    }

    /**
     * Counts a call that changes nothing and returns the cut point after it: the tree's changes make no call of the
     * port, so a test ticks between them for a cut to fall between them.
     */
    public long tick() {
        return sys.tick();
    }

    /**
     * What broke the order of chunks and names (a name committed before its chunk was durable, under sync=file) or
     * a promised durability point of the tree; empty if nothing did.
     */
    public List<String> violations() {
        return tree.violations();
    }

    /** Ends the run (cuts are taken up to here) and closes the store. */
    @Override
    public void close() throws IOException {
        if (end < 0) {
            end = sys.calls();
            store.close();
        }
    }

    /** Every cut point up to the end at which the files or the tree's database a power cut leaves may differ. */
    public NavigableSet<Long> cuts() {
        if (end < 0) {
            throw new IllegalStateException("close the store first");
        }
        TreeSet<Long> cuts = sys.changePoints();
        cuts.addAll(tree.points());
        cuts.add(end);
        return cuts.headSet(end, true);
    }

    /**
     * A power cut after call {@code cut}: {@code files} null keeps only what was made durable in the store folder,
     * else (a seed) a random prefix of each folder's pending changes; {@code database} likewise for the tree's
     * commits since its last durability point.
     */
    public record Cut(long cut, Long files, Long database) {
        public static Cut strict(long cut) {
            return new Cut(cut, null, null);
        }

        Random filesRandom() {
            return files == null ? null : new Random(files);
        }

        Random databaseRandom() {
            return database == null ? null : new Random(database);
        }

        @Override
        public String toString() {
            return "power cut after call " + cut
                    + (files == null ? ", store folder strict" : ", store folder seed " + files)
                    + (database == null ? ", database strict" : ", database seed " + database);
        }
    }

    /** A fingerprint of the state {@code cut} leaves: equal for equal states. */
    public String fingerprint(Cut cut) {
        return sys.crashState(cut.cut(), cut.filesRandom()).fingerprint()
                + tree.crashState(cut.cut(), cut.databaseRandom()).fingerprint();
    }

    /**
     * Writes the store folder {@code cut} leaves to {@code target} (which must not exist) and opens it under
     * sync=none, once its recovery of what the crashed process left is done.
     */
    public ChunkStore openCrashState(Cut cut, Path target) throws IOException {
        sys.crashState(cut.cut(), cut.filesRandom()).writeTo(target);
        tree.crashState(cut.cut(), cut.databaseRandom()).writeTo(target);
        StoreOptions options = StoreOptions.defaults().withSyncLevel(SyncLevel.NONE);
        LocalBackend backend = LocalBackend.open(target, options);
        ChunkStore opened;
        try {
            opened = ChunkStore.open(backend, backend.openTree(), options);
        } catch (IOException | RuntimeException e) {
            backend.close();
            throw e;
        }
        try {
            if (!backend.awaitRecovery(60_000)) {
                throw new IOException("recovery of the crash state did not finish within 60 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            opened.close();
            throw new IOException(e);
        } catch (IOException e) {
            opened.close();
            throw e;
        }
        return opened;
    }
}

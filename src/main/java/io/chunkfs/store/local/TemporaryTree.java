package io.chunkfs.store.local;

import io.chunkfs.store.AttributeChange;
import io.chunkfs.store.Digest;
import io.chunkfs.store.Entry;
import io.chunkfs.store.EntryName;
import io.chunkfs.store.Namespace;
import io.chunkfs.store.NewEntry;
import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * The tree a read-only open of an earlier release's store (format 1 or 2) reads: built from its receipts in a
 * database outside the store ({@link TreeBuilder}), opened read-only, and removed when it is closed. The store
 * itself is neither converted nor written.
 */
final class TemporaryTree implements Namespace {
    private final Namespace tree;
    private final TreeBuilder built;

    TemporaryTree(Namespace tree, TreeBuilder built) {
        this.tree = tree;
        this.built = built;
    }

    @Override
    public Optional<Entry> lookup(long folder, EntryName name) throws IOException {
        return tree.lookup(folder, name);
    }

    @Override
    public Optional<Entry> entry(long inode) throws IOException {
        return tree.entry(inode);
    }

    @Override
    public List<Child> list(long folder, EntryName after, int limit) throws IOException {
        return tree.list(folder, after, limit);
    }

    @Override
    public Entry create(long folder, EntryName name, NewEntry entry) throws IOException {
        return tree.create(folder, name, entry);
    }

    @Override
    public Entry createOrReplace(long folder, EntryName name, NewEntry entry) throws IOException {
        return tree.createOrReplace(folder, name, entry);
    }

    @Override
    public Entry link(long inode, long folder, EntryName name) throws IOException {
        return tree.link(inode, folder, name);
    }

    @Override
    public void rename(long fromFolder, EntryName from, long toFolder, EntryName to, RenameMode mode)
            throws IOException {
        tree.rename(fromFolder, from, toFolder, to, mode);
    }

    @Override
    public Entry unlink(long folder, EntryName name) throws IOException {
        return tree.unlink(folder, name);
    }

    @Override
    public void removeFolder(long folder, EntryName name) throws IOException {
        tree.removeFolder(folder, name);
    }

    @Override
    public Entry setAttributes(long inode, AttributeChange change) throws IOException {
        return tree.setAttributes(inode, change);
    }

    @Override
    public Entry setContent(long inode, Digest digest, long size, long mtime) throws IOException {
        return tree.setContent(inode, digest, size, mtime);
    }

    @Override
    public Optional<byte[]> xattr(long inode, String name) throws IOException {
        return tree.xattr(inode, name);
    }

    @Override
    public List<String> xattrNames(long inode) throws IOException {
        return tree.xattrNames(inode);
    }

    @Override
    public void setXattr(long inode, String name, byte[] value, XattrMode mode) throws IOException {
        tree.setXattr(inode, name, value, mode);
    }

    @Override
    public void removeXattr(long inode, String name) throws IOException {
        tree.removeXattr(inode, name);
    }

    @Override
    public List<Digest> namedDigests(Digest after, int limit) throws IOException {
        return tree.namedDigests(after, limit);
    }

    @Override
    public long removeNamesOfMissingChunks(Presence store) throws IOException {
        return tree.removeNamesOfMissingChunks(store);
    }

    @Override
    public void sync() throws IOException {
        tree.sync();
    }

    @Override
    public boolean treeRoots() throws IOException {
        return tree.treeRoots();
    }

    @Override
    public void setTreeRoots(boolean on) throws IOException {
        tree.setTreeRoots(on);
    }

    /** Closes the tree and removes its database. */
    @Override
    public void close() throws IOException {
        try (built) {
            tree.close();
        }
    }
}

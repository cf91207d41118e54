package io.chunkfs.store;

import java.io.Closeable;
import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * The file tree kept beside the chunks: folders of named entries, each an inode with attributes, a regular file
 * naming its chunk by digest. The mount's {@code incoming/} is its {@link #ROOT} folder. Nothing above this seam
 * learns where the tree is kept (an embedded SQL database in the store folder; see {@code
 * io.chunkfs.store.sql.SqlNamespace}).
 *
 * <p>Every change is one transaction: it happens whole or not at all, and other processes reading the tree see
 * it whole. Errors are the errno Linux gives for the same call, as {@link PosixException}: ENOENT (no such entry
 * or folder), EEXIST, ENOTDIR, EISDIR, ENOTEMPTY, EINVAL (a folder moved into itself), EPERM (a hard link to a
 * folder), ENODATA (no such extended attribute); an invalid name is refused by {@link EntryName}.
 *
 * <p>Durability follows the store's {@link SyncLevel}. Under {@code file}, {@link #setContent} and {@link
 * #createOrReplace} (a written file's chunk given to its name) are durable when they return, and so is every
 * change before them; every other change (create, mkdir, rename, link, unlink, attributes, extended
 * attributes) becomes durable with the next of those, the next {@link #sync}, or the store's sync, whichever
 * comes first. (The mount creates a file when it is opened and gives it its chunk when it is closed: one
 * durability point per file written.) Under {@code filesystem} every change waits
 * for {@link #sync} or the store's sync. A name is made only for a chunk that is durable as its level says: the
 * caller commits the chunk first.
 *
 * <p>Thread-safe, and safe to share between processes: one may change the tree while others read it.
 */
public interface Namespace extends Closeable {
    /** The inode of the root folder (the mount's {@code incoming/}). */
    long ROOT = 1;

    /** An entry of a folder: a name and the inode it names. */
    record Child(EntryName name, Entry entry) {}

    /** What {@link #rename} does when the new name exists, as {@code renameat2(2)}'s flags. */
    enum RenameMode {
        /** Replace it (plain {@code rename(2)}). */
        REPLACE,
        /** Fail with EEXIST ({@code RENAME_NOREPLACE}). */
        NOREPLACE,
        /** Swap the two names; ENOENT if the new one does not exist ({@code RENAME_EXCHANGE}). */
        EXCHANGE
    }

    /** What {@link #setXattr} does about an existing attribute, as {@code setxattr(2)}'s flags. */
    enum XattrMode {
        ANY,
        /** EEXIST if it exists ({@code XATTR_CREATE}). */
        CREATE,
        /** ENODATA if it does not ({@code XATTR_REPLACE}). */
        REPLACE
    }

    /** The entry {@code name} in {@code folder}, or empty. ENOENT if there is no such folder, ENOTDIR. */
    Optional<Entry> lookup(long folder, EntryName name) throws IOException;

    /** The inode {@code inode}, or empty if no name refers to it any more. */
    Optional<Entry> entry(long inode) throws IOException;

    /**
     * Up to {@code limit} entries of {@code folder} whose names sort after {@code after} (from the first if null),
     * in the order of {@link EntryName}: a stable order, so that paging with the last name seen lists every entry
     * that stays, once, while others change the folder.
     */
    List<Child> list(long folder, EntryName after, int limit) throws IOException;

    /** Makes {@code name} in {@code folder}; EEXIST if it exists. */
    Entry create(long folder, EntryName name, NewEntry entry) throws IOException;

    /**
     * Makes {@code name} in {@code folder} a regular file holding {@code entry}'s chunk, replacing an entry of that
     * name that is not a folder (EISDIR if it is): a written file's commit.
     */
    Entry createOrReplace(long folder, EntryName name, NewEntry entry) throws IOException;

    /** Gives the inode {@code inode} the name {@code name} in {@code folder} too; EPERM for a folder. */
    Entry link(long inode, long folder, EntryName name) throws IOException;

    /**
     * Moves {@code from} in {@code fromFolder} to {@code to} in {@code toFolder}, as {@code renameat2(2)}: a folder
     * replaces only an empty folder (ENOTEMPTY), a file only a file (EISDIR, ENOTDIR); EINVAL for a folder moved
     * under itself. Renaming a name onto another name of the same inode does nothing.
     */
    void rename(long fromFolder, EntryName from, long toFolder, EntryName to, RenameMode mode) throws IOException;

    /** Removes a name that is not a folder (EISDIR); returns the entry it named (links now one less). */
    Entry unlink(long folder, EntryName name) throws IOException;

    /** Removes an empty folder: ENOTDIR, ENOTEMPTY. */
    void removeFolder(long folder, EntryName name) throws IOException;

    /** Changes attributes of {@code inode}; its ctime becomes now. */
    Entry setAttributes(long inode, AttributeChange change) throws IOException;

    /**
     * Points a regular file at a new chunk (EISDIR, EINVAL for others); its mtime becomes {@code mtime}, its ctime
     * the later of that and now.
     */
    Entry setContent(long inode, Digest digest, long size, long mtime) throws IOException;

    /** The value of the extended attribute {@code name}, or empty. */
    Optional<byte[]> xattr(long inode, String name) throws IOException;

    /** The names of the extended attributes of {@code inode}, sorted. */
    List<String> xattrNames(long inode) throws IOException;

    /** Sets an extended attribute. */
    void setXattr(long inode, String name, byte[] value, XattrMode mode) throws IOException;

    /** Removes an extended attribute; ENODATA if there is none. */
    void removeXattr(long inode, String name) throws IOException;

    /**
     * Up to {@code limit} digests that regular files of the tree name, each once, in ascending order, after
     * {@code after} (from the first if null): the tree's gc roots, page by page.
     */
    List<Digest> namedDigests(Digest after, int limit) throws IOException;

    /** Whether the store holds a chunk, for {@link #removeNamesOfMissingChunks}. */
    interface Presence {
        boolean holds(Digest digest) throws IOException;
    }

    /**
     * Removes every name of a regular file whose chunk {@code store} does not hold (removed by gc, or set aside
     * as damaged); returns how many.
     */
    long removeNamesOfMissingChunks(Presence store) throws IOException;

    /** Makes every change so far durable. */
    void sync() throws IOException;

    /**
     * Whether gc keeps every chunk the tree names (a store setting: on for stores made since the tree, off for
     * those converted from receipts, until turned on).
     */
    boolean treeRoots() throws IOException;

    /** Sets {@link #treeRoots()} for every later collection, durably. */
    void setTreeRoots(boolean on) throws IOException;
}

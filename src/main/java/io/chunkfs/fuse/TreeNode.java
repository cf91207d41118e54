package io.chunkfs.fuse;

import io.chunkfs.store.AttributeChange;
import io.chunkfs.store.Digest;
import io.chunkfs.store.Entry;
import io.chunkfs.store.EntryName;
import io.chunkfs.store.EntryType;
import io.chunkfs.store.Namespace;
import io.chunkfs.store.NewEntry;
import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@code incoming/} and every path under it: an entry of the tree ({@link Namespace}), or a name that does not
 * exist yet. The path is walked from the tree's root at the first operation that needs it; the walk answers
 * ENOENT for a missing folder on the way and ENOTDIR for one that is not a folder. Refusals are the errno Linux
 * gives; the kernel has already checked permissions ({@code default_permissions}).
 */
final class TreeNode extends NodeHandler {
    private static final int PAGE = 1024;
    /** {@code S_ISGID}: a folder with it gives new entries its group, and new folders the bit. */
    private static final int SET_GROUP_ID = 02000;
    /** Linux's longest symlink target: {@code PATH_MAX} with its NUL. */
    private static final int MAX_TARGET = 4095;

    private final Namespace tree;
    private final IncomingFiles files;
    private final Clock clock;
    private final Node.Tree path;
    /** The inode of the folder holding the last name, once walked to; 0 before. */
    private long parentInode;
    /** That folder's entry, once looked up (the walk gives it for free below the tree's root). */
    private Entry parentEntry;

    TreeNode(Refusals refusals, Namespace tree, IncomingFiles files, Clock clock, Node.Tree path) {
        super(refusals);
        this.tree = tree;
        this.files = files;
        this.clock = clock;
        this.path = path;
    }

    Node.Tree path() {
        return path;
    }

    /** The inode of the folder that holds the last name (for incoming/ itself, itself): one lookup per folder. */
    private long parentInode() throws IOException {
        if (parentInode == 0) {
            long folder = Namespace.ROOT;
            Entry walked = null;
            List<EntryName> names = path.names();
            for (int i = 0; i < names.size() - 1; i++) {
                walked = tree.lookup(folder, names.get(i)).orElseThrow(TreeNode::missing);
                if (!walked.isFolder()) {
                    throw Refusals.notFolder();
                }
                folder = walked.inode();
            }
            parentEntry = walked;
            parentInode = folder;
        }
        return parentInode;
    }

    /** The folder that holds the last name, with its attributes. */
    private Entry parent() throws IOException {
        long inode = parentInode();
        if (parentEntry == null) {
            parentEntry = tree.entry(inode).orElseThrow(TreeNode::missing);
        }
        return parentEntry;
    }

    private Optional<Entry> find() throws IOException {
        long folder = parentInode();
        return path.isTreeRoot() ? tree.entry(folder) : tree.lookup(folder, path.name());
    }

    /** The entry this path names; ENOENT if there is none. */
    Entry entry() throws IOException {
        return find().orElseThrow(TreeNode::missing);
    }

    /** The entry, if the mount shows it (see {@link IncomingFiles#shown}); ENOENT if not. */
    private Entry shownEntry() throws IOException {
        Entry entry = entry();
        if (!files.shown(entry)) {
            throw missing();
        }
        return entry;
    }

    @Override
    Attributes attributes() throws IOException {
        return files.attributes(entry());
    }

    @Override
    void list(ListingSink names) throws IOException {
        Entry folder = entry();
        if (!folder.isFolder()) {
            throw Refusals.notFolder();
        }
        EntryName after = null;
        while (true) {
            List<Namespace.Child> page = tree.list(folder.inode(), after, PAGE);
            List<Listed> listed = new ArrayList<>(page.size());
            for (Namespace.Child child : page) {
                if (!files.shown(child.entry())) {
                    // A file whose chunk is gone would list as "??????????" in ls -l.
                    continue;
                }
                listed.add(new Listed(
                        child.name().bytes(),
                        child.entry().inode(),
                        child.entry().type().fileTypeBits()));
            }
            names.accept(listed);
            if (page.size() < PAGE) {
                return;
            }
            after = page.get(page.size() - 1).name();
        }
    }

    @Override
    Handle create(int mode, Caller caller) throws IOException {
        refusals.requireWritable();
        requireNotTreeRoot();
        return files.create(parentInode(), path.name(), owner(caller), mode, path.shown());
    }

    @Override
    Opened open(boolean writing, boolean truncate) throws IOException {
        Entry entry = entry();
        requireRegular(entry);
        if (!files.shown(entry)) {
            if (!writing) {
                throw missing();
            }
            // Hidden (its chunk is gone) while the kernel still knew the name from its entry cache: it strips
            // O_CREAT from such an open, so make the file anew, as the create it would have sent.
            Caller owner = new Caller(entry.uid(), entry.gid());
            return Opened.of(files.create(parentInode(), path.name(), owner, entry.mode(), path.shown()));
        }
        return files.open(entry, writing, truncate, path.shown());
    }

    @Override
    void truncate(long size) throws IOException {
        refusals.requireWritable();
        Entry entry = shownEntry();
        requireRegular(entry);
        files.truncate(entry, size, path.shown());
    }

    @Override
    void unlink() throws IOException {
        refusals.requireWritable();
        if (path.isTreeRoot()) {
            throw Refusals.isFolder();
        }
        tree.unlink(parentInode(), path.name());
    }

    @Override
    void makeFolder(int mode, Caller caller) throws IOException {
        refusals.requireWritable();
        requireNotTreeRoot();
        Entry folder = parent();
        int inherited = (folder.mode() & SET_GROUP_ID) != 0 ? SET_GROUP_ID : 0;
        Caller owner = owner(caller);
        tree.create(folder.inode(), path.name(), NewEntry.folder(mode | inherited, owner.uid(), owner.gid(), now()));
    }

    @Override
    void makeNode(int mode, long device, Caller caller) throws IOException {
        refusals.requireWritable();
        requireNotTreeRoot();
        int typeBits = mode & 0170000;
        int permissions = mode & Entry.MODE_BITS;
        Caller owner = owner(caller);
        NewEntry made;
        if (typeBits == 0 || typeBits == EntryType.REGULAR.fileTypeBits()) {
            files.storeEmptyChunk();
            made = NewEntry.file(IncomingFiles.EMPTY, 0, permissions, owner.uid(), owner.gid(), now());
        } else {
            EntryType type = typeOf(typeBits);
            if (type != EntryType.FIFO
                    && type != EntryType.SOCKET
                    && type != EntryType.CHAR_DEVICE
                    && type != EntryType.BLOCK_DEVICE) {
                throw new FsError(Errno.EINVAL, "mknod makes files, FIFOs, sockets and device nodes");
            }
            long rdev = type == EntryType.CHAR_DEVICE || type == EntryType.BLOCK_DEVICE ? device : 0;
            made = NewEntry.special(type, permissions, rdev, owner.uid(), owner.gid(), now());
        }
        tree.create(parentInode(), path.name(), made);
    }

    @Override
    void makeSymlink(byte[] target, Caller caller) throws IOException {
        refusals.requireWritable();
        requireNotTreeRoot();
        if (target.length > MAX_TARGET) {
            throw new FsError(Errno.ENAMETOOLONG, "a symbolic link holds at most 4095 bytes");
        }
        Caller owner = owner(caller);
        tree.create(parentInode(), path.name(), NewEntry.symlink(target, owner.uid(), owner.gid(), now()));
    }

    @Override
    void linkTo(NodeHandler target) throws IOException {
        refusals.requireWritable();
        if (!(target instanceof TreeNode to)) {
            throw refusals.fixed("hard links are made within incoming/");
        }
        Entry entry = entry();
        if (to.path.isTreeRoot()) {
            throw new FsError(Errno.EEXIST, "incoming/ exists");
        }
        if (entry.isFolder()) {
            throw new FsError(Errno.EPERM, "a folder cannot have a hard link");
        }
        tree.link(entry.inode(), to.parentInode(), to.path.name());
    }

    @Override
    byte[] readSymlink() throws IOException {
        Entry entry = entry();
        if (entry.type() != EntryType.SYMLINK) {
            throw new FsError(Errno.EINVAL, "not a symbolic link");
        }
        return entry.target();
    }

    @Override
    void removeFolder() throws IOException {
        refusals.requireWritable();
        if (path.isTreeRoot()) {
            throw new FsError(Errno.EBUSY, "incoming/ is where the tree starts");
        }
        tree.removeFolder(parentInode(), path.name());
    }

    @Override
    void renameTo(NodeHandler target) throws IOException {
        refusals.requireWritable();
        if (!(target instanceof TreeNode to)) {
            throw refusals.rename(target);
        }
        if (path.isTreeRoot() || to.path.isTreeRoot()) {
            throw new FsError(Errno.EBUSY, "incoming/ is where the tree starts");
        }
        tree.rename(parentInode(), path.name(), to.parentInode(), to.path.name(), Namespace.RenameMode.REPLACE);
    }

    @Override
    void changeMode(int mode) throws IOException {
        refusals.requireWritable();
        long inode = entry().inode();
        tree.setAttributes(inode, AttributeChange.mode(mode & Entry.MODE_BITS));
        Optional<byte[]> acl = tree.xattr(inode, AccessAcl.NAME);
        if (acl.isPresent()) {
            // As ext4: a chmod rewrites the owner's, the mask's and the others' entries of the access ACL.
            tree.setXattr(inode, AccessAcl.NAME, AccessAcl.parse(acl.get()).withMode(mode), Namespace.XattrMode.ANY);
        }
    }

    @Override
    void changeOwner(Long uid, Long gid) throws IOException {
        refusals.requireWritable();
        tree.setAttributes(entry().inode(), AttributeChange.owner(uid, gid));
    }

    @Override
    void changeTimes(Long atime, Long mtime) throws IOException {
        refusals.requireWritable();
        long inode = entry().inode();
        if (atime == null && mtime == null) {
            // UTIME_OMIT for both: Linux changes nothing, not even the ctime.
            return;
        }
        tree.setAttributes(inode, AttributeChange.times(atime, mtime));
        files.timesChanged(inode, mtime);
    }

    @Override
    Digest digest() throws IOException {
        Entry entry = entry();
        return entry.type() == EntryType.REGULAR ? files.digest(entry) : null;
    }

    @Override
    byte[] xattr(String name) throws IOException {
        if (ChunkFs.DIGEST_XATTR.equals(name)) {
            Digest digest = digest();
            if (digest == null) {
                throw Xattrs.noSuchAttribute();
            }
            return digest.toString().getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        }
        return tree.xattr(entry().inode(), name).orElseThrow(Xattrs::noSuchAttribute);
    }

    @Override
    List<String> xattrNames() throws IOException {
        return tree.xattrNames(entry().inode());
    }

    @Override
    void setXattr(String name, byte[] value, int flags) throws IOException {
        refusals.requireWritable();
        long inode = entry().inode();
        if (ChunkFs.DIGEST_XATTR.equals(name)) {
            // Reserved: rsync -aX and cp -a copy it in from another chunkfs file; it is never stored.
            return;
        }
        Xattrs.requireStorable(name);
        if (AccessAcl.NAME.equals(name)) {
            setAccessAcl(entry(), AccessAcl.parse(value), value, Xattrs.mode(flags));
            return;
        }
        tree.setXattr(inode, name, value, Xattrs.mode(flags));
    }

    /**
     * As ext4 sets an access ACL: the mode follows it, and a minimal ACL (one the mode says all of) is not kept
     * but replaces any ACL there was.
     */
    private void setAccessAcl(Entry entry, AccessAcl acl, byte[] value, Namespace.XattrMode mode) throws IOException {
        long inode = entry.inode();
        if (acl.isMinimal()) {
            if (mode == Namespace.XattrMode.REPLACE
                    && tree.xattr(inode, AccessAcl.NAME).isEmpty()) {
                throw Xattrs.noSuchAttribute();
            }
            if (tree.xattr(inode, AccessAcl.NAME).isPresent()) {
                tree.removeXattr(inode, AccessAcl.NAME);
            }
        } else {
            tree.setXattr(inode, AccessAcl.NAME, value, mode);
        }
        int newMode = acl.mode(entry.mode());
        if (newMode != entry.mode()) {
            tree.setAttributes(inode, AttributeChange.mode(newMode));
        }
    }

    @Override
    void removeXattr(String name) throws IOException {
        refusals.requireWritable();
        long inode = entry().inode();
        if (ChunkFs.DIGEST_XATTR.equals(name)) {
            return;
        }
        Xattrs.requireStorable(name);
        tree.removeXattr(inode, name);
    }

    /**
     * Who owns what the caller makes here: the caller, with the folder's group where the folder has the
     * set-group-ID bit (as on ext4).
     */
    private Caller owner(Caller caller) throws IOException {
        Entry folder = parent();
        return (folder.mode() & SET_GROUP_ID) != 0 ? new Caller(caller.uid(), folder.gid()) : caller;
    }

    private long now() {
        return Attributes.nanos(clock.instant());
    }

    private void requireNotTreeRoot() {
        if (path.isTreeRoot()) {
            throw new FsError(Errno.EEXIST, "incoming/ exists");
        }
    }

    private static void requireRegular(Entry entry) {
        if (entry.isFolder()) {
            throw Refusals.isFolder();
        }
        if (entry.type() != EntryType.REGULAR) {
            // The kernel opens FIFOs, sockets and devices itself and follows symlinks: only a race gets here.
            throw new FsError(Errno.EINVAL, "not a regular file");
        }
    }

    private static EntryType typeOf(int typeBits) {
        for (EntryType type : EntryType.values()) {
            if (type.fileTypeBits() == typeBits) {
                return type;
            }
        }
        throw new FsError(Errno.EINVAL, "no such file type: 0" + Integer.toOctalString(typeBits));
    }

    private static FsError missing() {
        return new FsError(Errno.ENOENT, "no such file or folder");
    }
}

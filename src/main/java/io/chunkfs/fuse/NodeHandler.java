package io.chunkfs.fuse;

import io.chunkfs.store.Digest;
import java.io.IOException;
import java.util.List;

/**
 * What one kind of node (see {@link Node}) answers to each operation by path. Every operation refuses by default,
 * as a fixed folder of the mount would, through {@link Refusals}; each kind overrides only what it does. No FUSE
 * types here: {@link ChunkFs} translates.
 */
abstract class NodeHandler {
    final Refusals refusals;

    NodeHandler(Refusals refusals) {
        this.refusals = refusals;
    }

    abstract Attributes attributes() throws IOException;

    /** One name of a folder listing, with what readdir tells the kernel of it. */
    record Listed(byte[] name, long inode, int fileTypeBits) {}

    /** The names in this folder, without "." and "..", in pages the caller fills into the kernel's buffer. */
    void list(ListingSink names) throws IOException {
        throw Refusals.notFolder();
    }

    /** Where {@link #list} puts each page of names. */
    @FunctionalInterface
    interface ListingSink {
        void accept(List<Listed> page) throws IOException;
    }

    /** open(2) with O_CREAT of a name that does not exist yet, with these permission bits. */
    Handle create(int mode, Caller caller) throws IOException {
        throw refusals.readOnlyHere();
    }

    Opened open(boolean writing, boolean truncate) throws IOException {
        throw Refusals.isFolder();
    }

    /** truncate(2) by path. */
    void truncate(long size) throws IOException {
        throw Refusals.isFolder();
    }

    void unlink() throws IOException {
        throw Refusals.isFolder();
    }

    void makeFolder(int mode, Caller caller) throws IOException {
        throw refusals.fixed("only incoming/ holds folders one can make");
    }

    /** mknod(2) of a FIFO, socket, device node or empty regular file; {@code mode} holds the type bits. */
    void makeNode(int mode, long device, Caller caller) throws IOException {
        throw refusals.fixed("only incoming/ holds nodes one can make");
    }

    /** symlink(2): this path becomes a symbolic link holding {@code target}. */
    void makeSymlink(byte[] target, Caller caller) throws IOException {
        throw refusals.fixed("only incoming/ holds symbolic links");
    }

    /** link(2): {@code target} becomes another name of this entry. */
    void linkTo(NodeHandler target) throws IOException {
        throw refusals.fixed("only entries of incoming/ can be linked, within it");
    }

    /** readlink(2). */
    byte[] readSymlink() throws IOException {
        attributes();
        throw new FsError(Errno.EINVAL, "not a symbolic link");
    }

    void removeFolder() throws IOException {
        throw refusals.fixed("the folders outside incoming/ are fixed");
    }

    void renameTo(NodeHandler target) throws IOException {
        throw refusals.rename(target);
    }

    /** chmod(2). */
    void changeMode(int mode) throws IOException {
        throw refusals.fixed("modes outside incoming/ are fixed");
    }

    /** chown(2); null leaves that id as it is. */
    void changeOwner(Long uid, Long gid) throws IOException {
        throw refusals.fixed("owners outside incoming/ are fixed");
    }

    /**
     * utimensat(2): each time in nanoseconds since the epoch, or null to leave it; {@code now} is the time to
     * use for UTIME_NOW.
     */
    void changeTimes(Long atime, Long mtime) throws IOException {
        throw refusals.fixed("folder times outside incoming/ are fixed");
    }

    /** The digest {@code user.chunkfs.digest} shows, or null if this node has none. */
    Digest digest() throws IOException {
        return null;
    }

    /** The value of the extended attribute {@code name}; ENODATA if there is none. */
    byte[] xattr(String name) throws IOException {
        attributes();
        throw Xattrs.noSuchAttribute();
    }

    /** The names of the extended attributes {@code listxattr} shows. */
    List<String> xattrNames() throws IOException {
        attributes();
        return List.of();
    }

    /** setxattr(2) with its flags (XATTR_CREATE, XATTR_REPLACE). */
    void setXattr(String name, byte[] value, int flags) throws IOException {
        throw refusals.attributesFixed();
    }

    void removeXattr(String name) throws IOException {
        throw refusals.attributesFixed();
    }
}

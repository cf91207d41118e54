package io.chunkfs.fuse;

import io.chunkfs.store.Digest;
import java.util.List;

/**
 * A path outside {@code incoming/} that names nothing: every operation answers why (ENOENT, ENAMETOOLONG), and
 * nothing can be made there (the root and the prefix folders are fixed).
 */
final class MissingNode extends NodeHandler {
    private final Node.Nothing node;

    MissingNode(Refusals refusals, Node.Nothing node) {
        super(refusals);
        this.node = node;
    }

    int errno() {
        return node.errno();
    }

    @Override
    Attributes attributes() {
        throw Refusals.missing(node);
    }

    @Override
    void list(ListingSink names) {
        throw Refusals.missing(node);
    }

    /** A plain name that does not exist outside incoming/ cannot be created there: the folders are read-only. */
    @Override
    Handle create(int mode, Caller caller) {
        throw tooLong() ? Refusals.missing(node) : refusals.readOnlyHere();
    }

    @Override
    void makeFolder(int mode, Caller caller) {
        throw tooLong() ? Refusals.missing(node) : refusals.fixed("folders are made in incoming/");
    }

    @Override
    void makeNode(int mode, long device, Caller caller) {
        throw tooLong() ? Refusals.missing(node) : refusals.fixed("nodes are made in incoming/");
    }

    @Override
    void makeSymlink(byte[] target, Caller caller) {
        throw tooLong() ? Refusals.missing(node) : refusals.fixed("symbolic links are made in incoming/");
    }

    @Override
    Opened open(boolean writing, boolean truncate) {
        throw Refusals.missing(node);
    }

    @Override
    void truncate(long size) {
        throw Refusals.missing(node);
    }

    @Override
    void unlink() {
        throw Refusals.missing(node);
    }

    @Override
    void removeFolder() {
        throw Refusals.missing(node);
    }

    @Override
    void renameTo(NodeHandler target) {
        throw Refusals.missing(node);
    }

    @Override
    void linkTo(NodeHandler target) {
        throw Refusals.missing(node);
    }

    @Override
    byte[] readSymlink() {
        throw Refusals.missing(node);
    }

    @Override
    void changeMode(int mode) {
        throw Refusals.missing(node);
    }

    @Override
    void changeOwner(Long uid, Long gid) {
        throw Refusals.missing(node);
    }

    @Override
    void changeTimes(Long atime, Long mtime) {
        throw Refusals.missing(node);
    }

    @Override
    Digest digest() {
        throw Refusals.missing(node);
    }

    @Override
    byte[] xattr(String name) {
        throw Refusals.missing(node);
    }

    @Override
    List<String> xattrNames() {
        throw Refusals.missing(node);
    }

    @Override
    void setXattr(String name, byte[] value, int flags) {
        throw Refusals.missing(node);
    }

    @Override
    void removeXattr(String name) {
        throw Refusals.missing(node);
    }

    private boolean tooLong() {
        return node.errno() != Errno.ENOENT;
    }
}

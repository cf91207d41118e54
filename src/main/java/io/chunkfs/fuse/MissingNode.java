package io.chunkfs.fuse;

import io.chunkfs.store.Digest;
import java.util.function.Consumer;

/** A path that names nothing: every operation answers why (ENOENT, ENAMETOOLONG, EILSEQ). */
final class MissingNode extends NodeHandler {
    private final Node.Nothing node;

    MissingNode(Refusals refusals, Node.Nothing node) {
        super(refusals);
        this.node = node;
    }

    @Override
    Attributes attributes() {
        throw Refusals.missing(node);
    }

    @Override
    void list(Consumer<String> names) {
        throw Refusals.missing(node);
    }

    /** A plain name that does not exist outside incoming/ cannot be created there: the tree is read-only. */
    @Override
    Handle create() {
        throw node.errno() != Errno.ENOENT ? Refusals.missing(node) : refusals.readOnlyHere();
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
    void renameTo(Node target) {
        throw Refusals.missing(node);
    }

    @Override
    void changeOwnerOrMode() {
        throw Refusals.missing(node);
    }

    @Override
    void touch() {
        throw Refusals.missing(node);
    }

    @Override
    Digest digest() {
        throw Refusals.missing(node);
    }

    @Override
    void changeXattr(String name) {
        throw Refusals.missing(node);
    }
}

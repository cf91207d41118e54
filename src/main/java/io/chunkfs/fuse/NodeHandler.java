package io.chunkfs.fuse;

import io.chunkfs.store.Digest;
import java.io.IOException;
import java.util.function.Consumer;

/**
 * What one kind of node (see {@link Node}) answers to each operation by path. Every operation
 * refuses by default, as a fixed folder of the tree would, through {@link Refusals}; each kind
 * overrides only what it does. No FUSE types here: {@link ChunkFs} translates.
 */
abstract class NodeHandler {
    final Refusals refusals;

    NodeHandler(Refusals refusals) {
        this.refusals = refusals;
    }

    abstract Attributes attributes() throws IOException;

    /** The names in this folder, without "." and "..". */
    void list(Consumer<String> names) throws IOException {
        throw Refusals.notFolder();
    }

    /** open(2) with O_CREAT of a name that does not exist yet. */
    Handle create() throws IOException {
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

    void removeFolder() throws IOException {
        throw refusals.fixed("the tree of a chunkfs mount is fixed");
    }

    void renameTo(Node target) throws IOException {
        throw refusals.rename(target);
    }

    /** chmod(2) and chown(2). */
    void changeOwnerOrMode() throws IOException {
        throw refusals.fixed("modes and owners are fixed");
    }

    /** utimensat(2), whatever times were asked for. */
    void touch() throws IOException {
        throw refusals.fixed("folder times are fixed");
    }

    /** The digest {@code user.chunkfs.digest} shows, or null if this node has none. */
    Digest digest() throws IOException {
        return null;
    }

    /** setxattr(2) and removexattr(2) of the attribute {@code name}. */
    void changeXattr(String name) throws IOException {
        throw refusals.attributesFixed();
    }
}

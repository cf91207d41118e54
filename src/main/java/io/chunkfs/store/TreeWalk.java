package io.chunkfs.store;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import jnr.constants.platform.Errno;

/**
 * Visits every entry of a {@link Namespace} below its root folder, depth first: each folder's entries in the
 * order of {@link EntryName}, a folder's own entries right after it (as {@code find} lists them). It reads one
 * page of each folder on its way down at a time ({@link Namespace#list} paged by the last name seen), never a
 * whole folder nor the whole tree: memory grows with the depth of the tree, not with its size.
 *
 * <p>Others may change the tree meanwhile: an entry that stays where it is is visited once; one made, removed or
 * moved during the walk may or may not be; a folder removed before its turn is visited but its entries are not.
 */
public final class TreeWalk {
    /** Entries read from a folder at once. */
    public static final int PAGE = 1000;

    /** Receives each entry with its path. */
    public interface Visitor {
        void visit(TreePath path, Entry entry) throws IOException;
    }

    private TreeWalk() {}

    /** Visits every entry below the root folder of {@code tree}. */
    public static void walk(Namespace tree, Visitor visitor) throws IOException {
        walk(tree, PAGE, visitor);
    }

    /** As {@link #walk(Namespace, Visitor)}, reading {@code page} entries of a folder at once. */
    public static void walk(Namespace tree, int page, Visitor visitor) throws IOException {
        if (page < 1) {
            throw new IllegalArgumentException("a page holds at least one entry: " + page);
        }
        Deque<Folder> down = new ArrayDeque<>();
        down.push(new Folder(Namespace.ROOT, TreePath.ROOT));
        while (!down.isEmpty()) {
            Namespace.Child child = down.peek().next(tree, page);
            if (child == null) {
                down.pop();
                continue;
            }
            TreePath path = down.peek().path.resolve(child.name());
            visitor.visit(path, child.entry());
            if (child.entry().isFolder()) {
                down.push(new Folder(child.entry().inode(), path));
            }
        }
    }

    /** A folder on the way down, and where its listing is. */
    private static final class Folder {
        final long inode;
        final TreePath path;
        List<Namespace.Child> page = List.of();
        int index;
        EntryName after;
        boolean lastPage;

        Folder(long inode, TreePath path) {
            this.inode = inode;
            this.path = path;
        }

        /** The next entry, or null after the last. */
        Namespace.Child next(Namespace tree, int size) throws IOException {
            if (index == page.size()) {
                if (lastPage) {
                    return null;
                }
                try {
                    page = tree.list(inode, after, size);
                } catch (PosixException e) {
                    if (e.errno() != Errno.ENOENT.intValue() && e.errno() != Errno.ENOTDIR.intValue()) {
                        throw e;
                    }
                    // Removed (or replaced) since it was seen: nothing left to list in it.
                    page = List.of();
                }
                index = 0;
                lastPage = page.size() < size;
                if (page.isEmpty()) {
                    return null;
                }
                after = page.get(page.size() - 1).name();
            }
            return page.get(index++);
        }
    }
}

package io.chunkfs.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Reads a whole {@link Namespace} from its root through the seam alone, checking on the way that it is a tree
 * whose link counts add up: each folder is reached exactly once (no cycle, no folder with two names), every name
 * a listing shows has the inode {@link Namespace#entry} shows, a file's links are its names, a folder's are 2
 * plus its subfolders, and each folder lists in strictly rising {@link EntryName} order. Only for a namespace
 * that nobody changes meanwhile.
 */
public final class NamespaceWalk {
    private static final int PAGE = 64;

    private NamespaceWalk() {}

    /**
     * A tree as read.
     *
     * @param byPath every name, by its path from the root ({@code /a/b}, each name {@link EntryName#escaped()})
     * @param inodes every inode reached, the root too
     * @param names how many names there are
     */
    public record Tree(SortedMap<String, Entry> byPath, Map<Long, Entry> inodes, long names) {}

    private record Pending(long inode, String path) {}

    /** Walks {@code namespace} from {@link Namespace#ROOT}, failing the test where it is not a whole tree. */
    public static Tree check(Namespace namespace) throws IOException {
        Entry root = namespace.entry(Namespace.ROOT).orElseThrow(() -> new AssertionError("the root is missing"));
        assertTrue(root.isFolder(), "the root is a folder: " + root);
        SortedMap<String, Entry> byPath = new TreeMap<>();
        Map<Long, Entry> inodes = new HashMap<>();
        Map<Long, String> firstPath = new HashMap<>();
        Map<Long, Long> namesOf = new HashMap<>();
        Map<Long, Long> subfolders = new HashMap<>();
        inodes.put(Namespace.ROOT, root);
        firstPath.put(Namespace.ROOT, "/");
        Deque<Pending> pending = new ArrayDeque<>();
        pending.add(new Pending(Namespace.ROOT, ""));
        long names = 0;
        while (!pending.isEmpty()) {
            Pending folder = pending.poll();
            EntryName after = null;
            while (true) {
                List<Namespace.Child> page = namespace.list(folder.inode(), after, PAGE);
                for (Namespace.Child child : page) {
                    if (after != null && child.name().compareTo(after) <= 0) {
                        fail("in " + folder.path() + "/, " + child.name().escaped() + " listed after "
                                + after.escaped());
                    }
                    after = child.name();
                    Entry entry = child.entry();
                    String path = folder.path() + "/" + child.name().escaped();
                    byPath.put(path, entry);
                    names++;
                    namesOf.merge(entry.inode(), 1L, Long::sum);
                    Entry seen = inodes.putIfAbsent(entry.inode(), entry);
                    firstPath.putIfAbsent(entry.inode(), path);
                    if (seen != null) {
                        if (entry.isFolder() || seen.isFolder()) {
                            fail("folder inode " + entry.inode() + " reached twice, as " + firstPath.get(entry.inode())
                                    + " and as " + path + " (a cycle, or a folder with two names)");
                        }
                        assertEquals(
                                seen, entry, "two names of one inode: " + firstPath.get(entry.inode()) + ", " + path);
                    }
                    if (entry.isFolder()) {
                        subfolders.merge(folder.inode(), 1L, Long::sum);
                        pending.add(new Pending(entry.inode(), path));
                    }
                }
                if (page.size() < PAGE) {
                    break;
                }
            }
        }
        for (Map.Entry<Long, Entry> reached : inodes.entrySet()) {
            long inode = reached.getKey();
            Entry listed = reached.getValue();
            String path = firstPath.get(inode);
            Entry stat = namespace.entry(inode).orElseThrow(() -> new AssertionError(path + " names a missing inode"));
            assertEquals(listed, stat, "what " + path + " lists and what entry(" + inode + ") says");
            long expectedLinks =
                    listed.isFolder() ? 2 + subfolders.getOrDefault(inode, 0L) : namesOf.getOrDefault(inode, 0L);
            assertEquals(expectedLinks, stat.links(), "links of " + path + " " + stat);
        }
        return new Tree(Collections.unmodifiableSortedMap(byPath), Collections.unmodifiableMap(inodes), names);
    }
}

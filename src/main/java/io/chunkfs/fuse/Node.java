package io.chunkfs.fuse;

import io.chunkfs.store.Digest;
import io.chunkfs.store.EntryName;
import io.chunkfs.store.PosixException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * What a path of the mount names, parsed from the bytes the kernel passed: the root, a path in the tree under
 * {@code incoming/} (any bytes but {@code /} and NUL in each name), the 256 prefix folders and the chunks in
 * them. Anything else does not exist.
 */
sealed interface Node {
    String INCOMING = "incoming";

    record Root() implements Node {}

    /**
     * {@code incoming/} itself (no names) or a path under it: the names from the tree's root folder to the
     * entry, which may not exist (yet).
     */
    record Tree(List<EntryName> names) implements Node {
        public Tree {
            names = List.copyOf(names);
        }

        boolean isTreeRoot() {
            return names.isEmpty();
        }

        /** The last name (null for incoming/ itself). */
        EntryName name() {
            return names.isEmpty() ? null : names.get(names.size() - 1);
        }

        /** Whether {@code other} is this path or under it. */
        boolean contains(Tree other) {
            return other.names.size() >= names.size()
                    && other.names.subList(0, names.size()).equals(names);
        }

        /**
         * The path relative to incoming/, as the status report and {@code chunkfs receipts} show it (non-UTF-8
         * bytes escaped); "." for incoming/ itself.
         */
        String shown() {
            if (names.isEmpty()) {
                return ".";
            }
            StringBuilder path = new StringBuilder();
            for (EntryName name : names) {
                path.append(path.length() == 0 ? "" : "/").append(name.escaped());
            }
            return path.toString();
        }
    }

    /** {@code PP/}: one of the 256 prefix folders, 00 … ff. */
    record PrefixDir(String prefix) implements Node {}

    /** {@code PP/DIGEST}, with PP the first byte of DIGEST. */
    record Chunk(Digest digest) implements Node {}

    /** A path that cannot name anything here; {@code errno} says why (ENOENT, ENAMETOOLONG). */
    record Nothing(int errno) implements Node {}

    Node ROOT = new Root();
    Tree TREE_ROOT = new Tree(List.of());

    static Node parse(String path) {
        return path == null ? new Nothing(Errno.ENOENT) : parse(path.getBytes(StandardCharsets.UTF_8));
    }

    /** The node the path {@code path} (the bytes libfuse passed, without the NUL) names. */
    static Node parse(byte[] path) {
        if (path == null || path.length == 0 || path[0] != '/') {
            return new Nothing(Errno.ENOENT);
        }
        if (path.length == 1) {
            return ROOT;
        }
        int end = indexOf(path, 1);
        String first = new String(path, 1, end - 1, StandardCharsets.ISO_8859_1);
        if (first.equals(INCOMING)) {
            return tree(path, end);
        }
        if (!isPrefix(first)) {
            return new Nothing(end - 1 > EntryName.MAX_BYTES ? Errno.ENAMETOOLONG : Errno.ENOENT);
        }
        if (end == path.length) {
            return new PrefixDir(first);
        }
        String rest = new String(path, end + 1, path.length - end - 1, StandardCharsets.ISO_8859_1);
        if (rest.length() > EntryName.MAX_BYTES) {
            return new Nothing(Errno.ENAMETOOLONG);
        }
        if (!Digest.isValid(rest) || !rest.startsWith(first)) {
            return new Nothing(Errno.ENOENT);
        }
        return new Chunk(Digest.parse(rest));
    }

    private static Node tree(byte[] path, int start) {
        List<EntryName> names = new ArrayList<>();
        int at = start;
        while (at < path.length) {
            int end = indexOf(path, at + 1);
            byte[] name = java.util.Arrays.copyOfRange(path, at + 1, end);
            try {
                names.add(EntryName.of(name));
            } catch (PosixException e) {
                // The kernel never sends an empty name, "." or ".."; only a name too long gets here.
                return new Nothing(e.errno() == Errno.ENAMETOOLONG ? Errno.ENAMETOOLONG : Errno.ENOENT);
            }
            at = end;
        }
        return names.isEmpty() ? TREE_ROOT : new Tree(names);
    }

    /** The index of the next {@code /} at or after {@code from}, or the length. */
    private static int indexOf(byte[] path, int from) {
        for (int i = from; i < path.length; i++) {
            if (path[i] == '/') {
                return i;
            }
        }
        return path.length;
    }

    private static boolean isPrefix(String name) {
        return name.length() == 2 && Digest.isValid(name.repeat(32));
    }
}

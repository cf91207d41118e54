package io.chunkfs.fuse;

import io.chunkfs.store.Digest;
import java.nio.charset.StandardCharsets;

/**
 * What a path of the mount names. The tree is fixed: the root, {@code incoming/} and its files,
 * the 256 prefix folders and the chunks in them. Anything else does not exist.
 */
sealed interface Node {
    String INCOMING = "incoming";

    record Root() implements Node {}

    record IncomingDir() implements Node {}

    /** {@code incoming/NAME}: a receipt or a file being written. */
    record IncomingFile(String name) implements Node {}

    /** {@code PP/}: one of the 256 prefix folders, 00 … ff. */
    record PrefixDir(String prefix) implements Node {}

    /** {@code PP/DIGEST}, with PP the first byte of DIGEST. */
    record Chunk(Digest digest) implements Node {}

    /** A path that cannot name anything here; {@code errno} says why (ENOENT or ENAMETOOLONG). */
    record Nothing(int errno) implements Node {}

    Node ROOT = new Root();
    Node INCOMING_DIR = new IncomingDir();

    static Node parse(String path) {
        if (path == null || path.isEmpty() || path.charAt(0) != '/') {
            return new Nothing(Errno.ENOENT);
        }
        if (path.equals("/")) {
            return ROOT;
        }
        int slash = path.indexOf('/', 1);
        String first = slash < 0 ? path.substring(1) : path.substring(1, slash);
        String rest = slash < 0 ? null : path.substring(slash + 1);
        if (rest != null && (rest.isEmpty() || rest.indexOf('/') >= 0)) {
            return new Nothing(Errno.ENOENT);
        }
        if (first.equals(INCOMING)) {
            if (rest == null) {
                return INCOMING_DIR;
            }
            if (rest.getBytes(StandardCharsets.UTF_8).length > 255) {
                return new Nothing(Errno.ENAMETOOLONG);
            }
            if (rest.indexOf('\uFFFD') >= 0) {
                // Bytes that are not UTF-8 arrive replaced: such a name could not be listed back as given.
                return new Nothing(Errno.EILSEQ);
            }
            return new IncomingFile(rest);
        }
        if (!isPrefix(first)) {
            return new Nothing(Errno.ENOENT);
        }
        if (rest == null) {
            return new PrefixDir(first);
        }
        if (rest.length() > 255) {
            return new Nothing(Errno.ENAMETOOLONG);
        }
        if (!Digest.isValid(rest) || !rest.startsWith(first)) {
            return new Nothing(Errno.ENOENT);
        }
        return new Chunk(Digest.parse(rest));
    }

    private static boolean isPrefix(String name) {
        return name.length() == 2 && Digest.isValid(name.repeat(32));
    }
}

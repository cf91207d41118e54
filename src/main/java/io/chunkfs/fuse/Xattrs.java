package io.chunkfs.fuse;

import io.chunkfs.store.Namespace;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The extended attributes of the mount. Entries of the tree keep {@code user.*}, {@code trusted.*} and the POSIX
 * ACLs ({@code system.posix_acl_access}, {@code system.posix_acl_default}: stored and returned so that copies
 * keep them; libfuse 2 cannot make the kernel enforce them). {@value ChunkFs#DIGEST_XATTR} is reserved: it reads
 * the digest of a chunk or of a committed file, and setting or removing it does nothing. {@code security.*} is
 * neither stored nor read: the kernel asks for {@code security.capability} before every write, and this answers
 * without any I/O. {@value ChunkFs#CONTROL_XATTR} on the root says where the control socket is.
 */
final class Xattrs {
    private static final int XATTR_CREATE = 1;
    private static final int XATTR_REPLACE = 2;

    private final Nodes nodes;
    private volatile String controlSocket;

    Xattrs(Nodes nodes) {
        this.nodes = nodes;
    }

    void controlSocket(String socket) {
        this.controlSocket = socket;
    }

    /** The value of {@code name} on {@code node}; ENODATA if it has none. */
    byte[] get(Node node, String name) throws IOException {
        String socket = controlSocket;
        if (ChunkFs.CONTROL_XATTR.equals(name) && node instanceof Node.Root && socket != null) {
            return socket.getBytes(StandardCharsets.UTF_8);
        }
        if (name.startsWith("security.")) {
            throw noSuchAttribute();
        }
        return nodes.of(node).xattr(name);
    }

    /** The names on {@code node}, each ended by a NUL byte. */
    byte[] list(Node node) throws IOException {
        List<String> names = nodes.of(node).xattrNames();
        StringBuilder joined = new StringBuilder();
        for (String name : names) {
            joined.append(name).append('\0');
        }
        return joined.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** Whether the tree keeps an attribute called {@code name}; EOPNOTSUPP if not. */
    static void requireStorable(String name) {
        boolean storable = name.startsWith("user.")
                || name.startsWith("trusted.")
                || name.equals("system.posix_acl_access")
                || name.equals("system.posix_acl_default");
        if (!storable) {
            throw new FsError(Errno.EOPNOTSUPP, "attributes of this namespace are not kept: " + name);
        }
    }

    /** setxattr(2)'s flags as the tree takes them; EINVAL for others. */
    static Namespace.XattrMode mode(int flags) {
        return switch (flags) {
            case 0 -> Namespace.XattrMode.ANY;
            case XATTR_CREATE -> Namespace.XattrMode.CREATE;
            case XATTR_REPLACE -> Namespace.XattrMode.REPLACE;
            default -> throw new FsError(Errno.EINVAL, "unknown setxattr flags " + flags);
        };
    }

    static FsError noSuchAttribute() {
        return new FsError(Errno.ENODATA, "no such attribute");
    }
}

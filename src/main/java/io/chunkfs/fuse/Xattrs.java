package io.chunkfs.fuse;

import io.chunkfs.store.Digest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * The extended attributes of the mount: {@value ChunkFs#DIGEST_XATTR} on chunks and committed files
 * of incoming/, and {@value ChunkFs#CONTROL_XATTR} on the root while the control socket is open.
 * Values are bytes; {@link ChunkFs} copies them into the caller's buffer.
 */
final class Xattrs {
    private static final byte[] NONE = new byte[0];
    private static final byte[] DIGEST_LIST = (ChunkFs.DIGEST_XATTR + "\0").getBytes(StandardCharsets.US_ASCII);

    private final Nodes nodes;
    private volatile String controlSocket;

    Xattrs(Nodes nodes) {
        this.nodes = nodes;
    }

    void controlSocket(String socket) {
        this.controlSocket = socket;
    }

    /** The value of {@code name} on {@code path}; ENODATA if it has none. */
    byte[] get(String path, String name) throws IOException {
        String socket = controlSocket;
        if (ChunkFs.CONTROL_XATTR.equals(name) && "/".equals(path) && socket != null) {
            return socket.getBytes(StandardCharsets.UTF_8);
        }
        if (!ChunkFs.DIGEST_XATTR.equals(name)) {
            // The kernel asks for security.capability before every write: answer without any I/O.
            throw new FsError(Errno.ENODATA, "no such attribute");
        }
        Digest digest = nodes.of(path).digest();
        if (digest == null) {
            throw new FsError(Errno.ENODATA, "no such attribute");
        }
        return digest.toString().getBytes(StandardCharsets.US_ASCII);
    }

    /** The names on {@code path}, each ended by a NUL byte. */
    byte[] list(String path) throws IOException {
        return nodes.of(path).digest() == null ? NONE : DIGEST_LIST.clone();
    }
}

package io.chunkfs.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;

/**
 * Makes what is not a regular file (a folder, a FIFO, a socket, a symlink) at a path, for tests that plant a
 * damaged entry at a digest path. Kinds are named as the store names them in its reports.
 */
public final class SpecialFiles {
    /** Every kind {@link #make} makes. */
    public static final List<String> KINDS = List.of("folder", "FIFO", "socket", "symlink");

    private SpecialFiles() {}

    /** Makes a {@code kind} ({@link #KINDS}) at {@code path}; its folder must exist. */
    public static void make(String kind, Path path) throws IOException, InterruptedException {
        switch (kind) {
            case "folder" -> Files.createDirectory(path);
            case "FIFO" -> {
                Process mkfifo = new ProcessBuilder("mkfifo", path.toString())
                        .inheritIO()
                        .start();
                assertEquals(0, mkfifo.waitFor(), "mkfifo " + path);
            }
            case "socket" -> {
                // A socket's path may be at most 107 bytes: bind it at a short name, then move it into place.
                Path shortName = Files.createTempDirectory("sock").resolve("s");
                try (ServerSocketChannel socket = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
                    socket.bind(UnixDomainSocketAddress.of(shortName));
                }
                Files.move(shortName, path);
                Files.delete(shortName.getParent());
            }
            case "symlink" -> Files.createSymbolicLink(path, Path.of("elsewhere"));
            default -> throw new IllegalArgumentException("no such kind: " + kind);
        }
    }

    /** What is at {@code path}, without following a symlink, as {@link #KINDS} names it; "file" or "nothing". */
    public static String kind(Path path) throws IOException {
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            return "nothing";
        }
        BasicFileAttributes attributes =
                Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (attributes.isRegularFile()) {
            return "file";
        }
        if (attributes.isDirectory()) {
            return "folder";
        }
        if (attributes.isSymbolicLink()) {
            return "symlink";
        }
        int mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        return switch (mode & 0170000) {
            case 0010000 -> "FIFO";
            case 0140000 -> "socket";
            default -> "other";
        };
    }
}

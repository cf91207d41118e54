package io.chunkfs.fuse;

import java.io.Closeable;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;

/**
 * The mount process's control socket: a unix-domain socket in a folder only its owner can enter
 * (0700, under $XDG_RUNTIME_DIR or the temporary folder), which also checks each caller's uid. A
 * client sends one line, {@code json} or {@code text}, and reads the status report until the server
 * closes. The mount's root tells where the socket is ({@link ChunkFs#CONTROL_XATTR}).
 */
final class ControlSocket implements Closeable {
    private static final Logger LOG = Logger.getLogger(ControlSocket.class.getName());
    private static final int MAX_REQUEST = 64;

    private final Path folder;
    private final Path socket;
    private final ServerSocketChannel server;
    private final UserPrincipal owner;
    private final Supplier<Map<String, Object>> report;
    private final StatusFormat format;
    private final Thread acceptor;

    private ControlSocket(Path folder, Supplier<Map<String, Object>> report, StatusFormat format) throws IOException {
        this.folder = folder;
        this.socket = folder.resolve("control.sock");
        this.owner = Files.getOwner(folder);
        this.report = report;
        this.format = format;
        this.server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        this.acceptor = new Thread(this::acceptLoop, "chunkfs-control");
        acceptor.setDaemon(true);
    }

    static ControlSocket open(Supplier<Map<String, Object>> report, StatusFormat format) throws IOException {
        removeStale(baseFolder());
        Path folder = Files.createTempDirectory(
                baseFolder(),
                "chunkfs-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        ControlSocket control;
        try {
            control = new ControlSocket(folder, report, format);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(folder);
            throw e;
        }
        // A mount stopped by a signal may not get to close(): the JVM's exit removes them then.
        folder.toFile().deleteOnExit();
        control.socket.toFile().deleteOnExit();
        control.acceptor.start();
        return control;
    }

    /** $XDG_RUNTIME_DIR when it is usable (per user, emptied at logout), else the temporary folder. */
    private static Path baseFolder() {
        String runtime = System.getenv("XDG_RUNTIME_DIR");
        if (runtime != null
                && !runtime.isBlank()
                && Files.isDirectory(Path.of(runtime))
                && Files.isWritable(Path.of(runtime))) {
            return Path.of(runtime);
        }
        return Path.of(System.getProperty("java.io.tmpdir"));
    }

    /**
     * Removes the socket folders of mounts whose process was killed (kill -9 runs no clean-up): ours,
     * and nothing listens on their socket any more.
     */
    private static void removeStale(Path base) {
        try (DirectoryStream<Path> folders = Files.newDirectoryStream(base, "chunkfs-*")) {
            UserPrincipal me = base.getFileSystem()
                    .getUserPrincipalLookupService()
                    .lookupPrincipalByName(System.getProperty("user.name"));
            for (Path folder : folders) {
                Path socket = folder.resolve("control.sock");
                try {
                    // Only a folder holding a control socket is one of ours; anything else named chunkfs-* stays.
                    if (!Files.isDirectory(folder, LinkOption.NOFOLLOW_LINKS)
                            || !Files.exists(socket, LinkOption.NOFOLLOW_LINKS)
                            || !me.equals(Files.getOwner(folder, LinkOption.NOFOLLOW_LINKS))
                            || isListening(socket)) {
                        continue;
                    }
                    Files.deleteIfExists(socket);
                    Files.deleteIfExists(folder);
                } catch (IOException | RuntimeException e) {
                    // one folder we cannot clear (not empty, gone meanwhile) does not stop the others
                    LOG.log(Level.FINE, "could not remove the stale control socket folder " + folder, e);
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.FINE, "could not look for stale control sockets in " + base, e);
        }
    }

    private static boolean isListening(Path socket) {
        if (!Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        try (SocketChannel probe = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            return true;
        } catch (IOException e) {
            // ECONNREFUSED: the socket file outlived its process.
            return !String.valueOf(e.getMessage()).contains("Connection refused");
        }
    }

    Path path() {
        return socket;
    }

    private void acceptLoop() {
        while (server.isOpen()) {
            try {
                SocketChannel client = server.accept();
                Thread answer = new Thread(() -> answer(client), "chunkfs-control-client");
                answer.setDaemon(true);
                answer.start();
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                LOG.log(Level.WARNING, "control socket " + socket + " failed", e);
                return;
            }
        }
    }

    private void answer(SocketChannel client) {
        try (client) {
            UnixDomainPrincipal peer = client.getOption(ExtendedSocketOptions.SO_PEERCRED);
            if (!peer.user().equals(owner) && !"root".equals(peer.user().getName())) {
                // The folder is 0700 already; this holds even if someone loosens it.
                client.write(StandardCharsets.UTF_8.encode("refused: only the mount's owner may ask\n"));
                return;
            }
            String request = readLine(client).strip().toLowerCase(Locale.ROOT);
            String reply;
            if (request.equals("json") || request.equals("text")) {
                reply = format.render(report.get(), request.equals("json"));
            } else {
                reply = "unknown request '" + request + "' (expected json or text)\n";
            }
            ByteBuffer bytes = StandardCharsets.UTF_8.encode(reply);
            while (bytes.hasRemaining()) {
                client.write(bytes);
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.FINE, "a status request failed", e);
        }
    }

    private static String readLine(SocketChannel client) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(MAX_REQUEST);
        while (buffer.hasRemaining()) {
            if (client.read(buffer) < 0) {
                break;
            }
            String sofar = new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8);
            if (sofar.indexOf('\n') >= 0) {
                return sofar.substring(0, sofar.indexOf('\n'));
            }
        }
        return new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8);
    }

    @Override
    public void close() throws IOException {
        try {
            server.close();
        } finally {
            Files.deleteIfExists(socket);
            Files.deleteIfExists(folder);
        }
    }
}

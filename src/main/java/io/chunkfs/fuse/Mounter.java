package io.chunkfs.fuse;

import io.chunkfs.store.ChunkStore;
import io.chunkfs.store.StoreException;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/** Mounts a store in this process and serves it until it is unmounted. */
public final class Mounter {
    private final ChunkStore store;
    private final Path mountPoint;
    private final MountOptions options;

    public Mounter(ChunkStore store, Path mountPoint, MountOptions options) {
        this.store = store;
        this.mountPoint = mountPoint.toAbsolutePath().normalize();
        this.options = options;
    }

    /**
     * Checks that {@code mountPoint} can take a mount: an existing folder that is not mounted yet. A
     * dead FUSE mount (its process was killed) is cleared on the way.
     */
    public static void checkMountPoint(Path mountPoint) throws IOException {
        Path absolute = mountPoint.toAbsolutePath().normalize();
        try {
            Files.readAttributes(absolute, java.nio.file.attribute.BasicFileAttributes.class);
        } catch (FileSystemException e) {
            if (String.valueOf(e.getMessage()).contains("Transport endpoint is not connected")) {
                Unmount.once(absolute, true);
            }
        }
        if (!Files.exists(absolute)) {
            throw new StoreException("mount point " + absolute + " does not exist (create it with mkdir)");
        }
        if (!Files.isDirectory(absolute)) {
            throw new StoreException("mount point " + absolute + " is not a folder");
        }
        Optional<String> mounted = MountTable.typeAt(absolute);
        if (mounted.isPresent()) {
            throw new StoreException(absolute + " is already a mount point (" + mounted.get()
                    + "); unmount it first with 'chunkfs umount " + absolute + "'");
        }
    }

    /**
     * Mounts and blocks until the file system is unmounted (by {@code chunkfs umount},
     * {@code fusermount -u}, SIGTERM or SIGINT).
     *
     * @param onReady called once the mount is live
     * @param status  renders the report {@code chunkfs status} asks the control socket for
     */
    public void serve(Runnable onReady, StatusFormat status) throws IOException, InterruptedException {
        checkMountPoint(mountPoint);
        DescriptorLimit.atMountStart();
        if (!"UTF-8".equalsIgnoreCase(System.getProperty("sun.jnu.encoding"))) {
            java.util.logging.Logger.getLogger(Mounter.class.getName())
                    .warning(
                            "the locale's charset is not UTF-8: names with non-ASCII characters will be refused (set LC_ALL=C.UTF-8)");
        }
        ChunkFs fs = new ChunkFs(store);
        ControlSocket control = null;
        try {
            control = ControlSocket.open(() -> StatusReport.of(fs, store, mountPoint, options), status);
            fs.controlSocket(control.path());
        } catch (IOException e) {
            // The mount matters more than its status: serve it, and say why status will not answer.
            java.util.logging.Logger.getLogger(Mounter.class.getName())
                    .warning("no control socket, 'chunkfs status' will not answer: " + e.getMessage());
        }
        try {
            serve(fs, onReady);
        } finally {
            if (control != null) {
                control.close();
            }
        }
    }

    private void serve(ChunkFs fs, Runnable onReady) throws IOException, InterruptedException {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread loop = new Thread(
                () -> {
                    try {
                        fs.mount(mountPoint, true, options.debug(), options.fuseArguments());
                    } catch (Throwable e) {
                        failure.set(e);
                    }
                },
                "chunkfs-fuse-loop");
        loop.start();
        while (!fs.awaitInitialized(50)) {
            if (!loop.isAlive()) {
                Throwable error = failure.get();
                throw new StoreException("cannot mount " + mountPoint
                        + (error != null ? ": " + rootMessage(error) : " (libfuse gave up; see its message above)"));
            }
        }
        ReadAhead.widen(mountPoint);
        onReady.run();
        loop.join();
        fs.awaitDestroyed(30_000);
    }

    private static String rootMessage(Throwable error) {
        Throwable root = error;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return String.valueOf(root.getMessage());
    }
}

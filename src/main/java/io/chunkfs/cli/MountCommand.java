package io.chunkfs.cli;

import io.chunkfs.Stores;
import io.chunkfs.fuse.MountOptions;
import io.chunkfs.fuse.MountTable;
import io.chunkfs.fuse.Mounter;
import io.chunkfs.store.ChunkStore;
import io.chunkfs.store.StoreException;
import io.chunkfs.store.StoreOptions;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
        name = "mount",
        mixinStandardHelpOptions = true,
        description = {
            "Mount the store on MOUNTPOINT through FUSE:",
            "  incoming/   a file tree (folders, links, modes, owners, times, xattrs): copy files here;",
            "              each regular file becomes a chunk when it is closed",
            "              (getfattr -n user.chunkfs.digest incoming/PATH prints its digest)",
            "  00/ … ff/   the chunks, read-only, each checked against its digest before it is served;",
            "              'touch' on a chunk marks it for gc",
            "Returns once the mount is live and serves it in the background (-f: in the foreground, "
                    + "logging to stderr). The store is created if its folder is missing or empty.",
            "Unmount with 'chunkfs umount MOUNTPOINT' (or fusermount -u, SIGTERM, SIGINT)."
        })
final class MountCommand extends StoreCommand implements Callable<Integer> {
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);

    @Parameters(
            index = "0",
            arity = "0..1",
            paramLabel = "MOUNTPOINT",
            description = "An existing folder (default: ~/chunkfs, created if missing).")
    Path mountPoint;

    @Option(
            names = "-o",
            paramLabel = "OPTIONS",
            split = ",",
            description = "Comma-separated: ro, allow_other, sync=file|filesystem|none (default file: a file is "
                    + "durable when close returns), verify=on|off (default on: every chunk is hashed whole before its first byte is "
                    + "served; off: no hashing, for stores on ZFS or btrfs), fsname=NAME, debug. fstab's defaults, rw, noauto, nofail, "
                    + "user… are accepted and ignored. For a store in S3 (init --s3): upload=write-through|async "
                    + "(default write-through: close returns once the object store has the chunk; async: once it "
                    + "is committed locally, uploaded from a durable queue) and commit-timeout=SECONDS (default 60: "
                    + "how long close may wait for an upload, more for a chunk over 60 MiB).")
    List<String> options = new ArrayList<>();

    /** Mount options that set up the store's backend rather than the mount (an S3 store's upload mode). */
    private static final java.util.Set<String> BACKEND_OPTIONS = java.util.Set.of("upload", "commit-timeout");

    @Option(
            names = {"-f", "--foreground"},
            description = "Stay in the foreground, logging to stderr.")
    boolean foreground;

    @Option(
            names = "--log",
            paramLabel = "FILE",
            description = "Where a background mount logs (default: ~/.local/state/chunkfs/mount-NAME.log).")
    Path log;

    @Override
    public Integer call() throws Exception {
        if (mountPoint == null) {
            mountPoint = defaultMountPoint();
            Files.createDirectories(mountPoint);
        }
        // Options for the store's backend (an S3 store's upload mode) go to the store, the rest to FUSE.
        Map<String, String> backendOptions = new LinkedHashMap<>();
        List<String> fuseOptions = new ArrayList<>();
        for (String option : String.join(",", options).split(",")) {
            String name = option.strip().replaceAll("=.*", "");
            if (BACKEND_OPTIONS.contains(name) && option.contains("=")) {
                backendOptions.put(name, option.strip().substring(name.length() + 1));
            } else {
                fuseOptions.add(option);
            }
        }
        MountOptions mountOptions =
                MountOptions.defaults(storePath().toAbsolutePath().toString()).with(String.join(",", fuseOptions));
        Mounter.checkMountPoint(mountPoint);
        StoreOptions storeOptions = StoreOptions.defaults()
                .withSyncLevel(mountOptions.syncLevel())
                .withReadOnly(mountOptions.readOnly())
                .withVerifyReads(mountOptions.verify());
        for (Map.Entry<String, String> option : backendOptions.entrySet()) {
            storeOptions = storeOptions.withBackendOption(option.getKey(), option.getValue());
        }
        if (!foreground) {
            return startInBackground();
        }
        try (ChunkStore chunkStore =
                mountOptions.readOnly() ? openStore(storeOptions) : openOrCreateStore(storeOptions)) {
            chunkStore.durabilityCaveat().ifPresent(caveat -> err().println("chunkfs: warning: " + caveat));
            new Mounter(chunkStore, mountPoint, mountOptions)
                    .serve(
                            () -> {
                                err().println("chunkfs: mounted " + chunkStore.location() + " on "
                                        + mountPoint.toAbsolutePath());
                                err().flush();
                            },
                            StatusCommand::render);
        }
        return 0;
    }

    /** Starts this command again with -f in a new session, and returns once its mount is live. */
    private int startInBackground() throws IOException, InterruptedException {
        Path logFile = log != null ? log : defaultLog();
        Files.createDirectories(logFile.toAbsolutePath().getParent());
        List<String> command = new ArrayList<>();
        if (Files.isExecutable(Path.of("/usr/bin/setsid"))) {
            command.add("/usr/bin/setsid");
        }
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.addAll(jvmOptions());
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(Main.class.getName());
        command.add("--store");
        command.add(storePath().toAbsolutePath().toString());
        command.add("mount");
        command.add("--foreground");
        if (!options.isEmpty()) {
            command.add("-o");
            command.add(String.join(",", options));
        }
        command.add(mountPoint.toAbsolutePath().toString());
        ProcessBuilder builder = new ProcessBuilder(command);
        if (!"UTF-8".equalsIgnoreCase(System.getProperty("sun.jnu.encoding"))) {
            // File names reach the JVM in the locale's charset: give the mount a UTF-8 one.
            builder.environment().put("LC_ALL", "C.UTF-8");
        }
        Process child = builder.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                .redirectErrorStream(true)
                .start();
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (!isChunkfsMount()) {
            if (!child.isAlive()) {
                throw new StoreException(
                        lastLine(logFile).orElse("the mount process exited with status " + child.exitValue())
                                + " (log: " + logFile + ")");
            }
            if (System.nanoTime() > deadline) {
                child.destroy();
                throw new StoreException(
                        "the mount did not come up within " + READY_TIMEOUT.toSeconds() + " s (log: " + logFile + ")");
            }
            // The kernel offers no event for a new mount that a JVM can wait on: poll the mount table.
            Thread.sleep(20);
        }
        Path absolute = mountPoint.toAbsolutePath().normalize();
        out().println("chunkfs: mounted " + storePath().toAbsolutePath() + " on " + absolute + " (process "
                + child.pid() + ", log " + logFile + ")");
        Stores.durabilityCaveat(storePath()).ifPresent(caveat -> err().println("chunkfs: warning: " + caveat));
        out().println("  copy files in:   cp FILE " + absolute + "/incoming/");
        out().println("  their digests:   getfattr -n user.chunkfs.digest " + absolute + "/incoming/FILE");
        out().println("  read a chunk:    cat " + absolute + "/PP/DIGEST");
        out().println("  its state:       chunkfs status " + absolute);
        out().println("  unmount:         chunkfs umount " + absolute);
        return 0;
    }

    /**
     * The JVM options of this process (-X…, -D…) for the serving process, with a heap limit unless one
     * was given: a mount's memory must stay flat, and the JVM's default would grow to a quarter of RAM.
     */
    private static List<String> jvmOptions() {
        List<String> options = new ArrayList<>();
        for (String argument :
                java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (argument.startsWith("-X") || argument.startsWith("-D")) {
                options.add(argument);
            }
        }
        if (options.stream().noneMatch(option -> option.startsWith("-Xmx"))) {
            options.add("-Xmx256m");
        }
        return options;
    }

    /** Where {@code chunkfs mount} mounts when no folder is given. */
    static Path defaultMountPoint() {
        return home().resolve("chunkfs");
    }

    private boolean isChunkfsMount() throws IOException {
        return MountTable.typeAt(mountPoint).filter("fuse.chunkfs"::equals).isPresent();
    }

    private Path defaultLog() {
        String state = System.getenv("XDG_STATE_HOME");
        Path base = state != null && !state.isBlank() ? Path.of(state) : home().resolve(".local/state");
        String name = mountPoint.toAbsolutePath().normalize().toString().replaceAll("[^A-Za-z0-9._-]+", "_");
        return base.resolve("chunkfs").resolve("mount" + name + ".log");
    }

    private static Optional<String> lastLine(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        for (int i = lines.size() - 1; i >= 0; i--) {
            String line = lines.get(i).strip();
            if (!line.isEmpty()) {
                return Optional.of(line.startsWith("chunkfs: ") ? line.substring(9) : line);
            }
        }
        return Optional.empty();
    }
}

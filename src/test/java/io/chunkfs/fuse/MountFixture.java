package io.chunkfs.fuse;

import static org.junit.jupiter.api.Assertions.fail;

import io.chunkfs.Stores;
import io.chunkfs.store.ChunkStore;
import io.chunkfs.store.Digest;
import io.chunkfs.store.Progress;
import io.chunkfs.store.StoreOptions;
import io.chunkfs.store.Verifier;
import io.chunkfs.store.VerifyResult;
import io.chunkfs.testing.Receipts;
import io.chunkfs.testing.Shell;
import io.chunkfs.testing.StorePaths;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A real mount of a fresh store, served by a child JVM ({@code chunkfs mount -f}). In CI a mount that
 * cannot come up fails the test; elsewhere a machine without FUSE skips it.
 */
final class MountFixture implements AutoCloseable {
    static final Duration READY = Duration.ofSeconds(60);

    final Path dir;
    final Path store;
    final Path mnt;
    final Path log;
    private Process process;

    MountFixture(Path dir) throws IOException {
        this(dir, dir.resolve("store"));
    }

    /** A mount of the store at {@code store} (made by the mount if missing), its mount point and log in {@code dir}. */
    MountFixture(Path dir, Path store) throws IOException {
        this.dir = dir;
        this.store = store;
        this.mnt = dir.resolve("mnt");
        this.log = dir.resolve("mount.log");
        Files.createDirectories(mnt);
    }

    /** Where the store keeps {@code digest}. */
    Path chunkFile(Digest digest) {
        return StorePaths.chunk(store, digest);
    }

    static void requireFuse() {
        boolean available = Files.exists(Path.of("/dev/fuse")) && Files.exists(Path.of("/usr/bin/fusermount"));
        io.chunkfs.testing.Requirement.require(available, "FUSE is not available (/dev/fuse, fusermount)");
    }

    /** Mounts with the given -o options (may be empty) and waits until the mount is live. */
    MountFixture mount(String... options) throws IOException, InterruptedException {
        return mountWithJvm(List.of(), options);
    }

    MountFixture mountWithJvm(List<String> jvmOptions, String... options) throws IOException, InterruptedException {
        return mountWith(List.of(), java.util.Map.of(), jvmOptions, options);
    }

    /**
     * Mounts with a command put before {@code java} (e.g. {@code prlimit --nofile=…}), environment variables
     * set over the default {@code LC_ALL=C.UTF-8}, and JVM options.
     */
    MountFixture mountWith(
            List<String> prefix, java.util.Map<String, String> environment, List<String> jvmOptions, String... options)
            throws IOException, InterruptedException {
        requireFuse();
        List<String> command = new ArrayList<>(prefix);
        command.add("java");
        command.addAll(jvmOptions);
        command.addAll(List.of("-jar", Shell.JAR, "-s", store.toString(), "mount", "-f"));
        if (options.length > 0) {
            command.add("-o");
            command.add(String.join(",", options));
        }
        command.add(mnt.toString());
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().put("LC_ALL", "C.UTF-8");
        builder.environment().putAll(environment);
        process = builder.redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .start();
        awaitMounted(true);
        return this;
    }

    long pid() {
        return process.pid();
    }

    Process process() {
        return process;
    }

    boolean isMounted() throws IOException {
        return MountTable.typeAt(mnt).filter("fuse.chunkfs"::equals).isPresent();
    }

    /** Polls the mount table (the kernel has no event for it) until the mount is up or down. */
    void awaitMounted(boolean wanted) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + READY.toNanos();
        while (isMounted() != wanted) {
            if (wanted && process != null && !process.isAlive()) {
                fail("the mount process exited with " + process.exitValue() + ": " + Files.readString(log));
            }
            if (System.nanoTime() > deadline) {
                fail("mount " + (wanted ? "did not come up" : "did not go away") + " within " + READY + "; log: "
                        + Files.readString(log));
            }
            Thread.sleep(20);
        }
    }

    /** Unmounts and waits for the serving process to exit. */
    void unmount() throws IOException, InterruptedException {
        if (process == null) {
            return;
        }
        if (isMounted()) {
            Shell.run(dir, java.util.Map.of(), List.of("fusermount", "-u", mnt.toString()), 60);
        }
        if (!process.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
            process.destroyForcibly();
            fail("the mount process did not exit after unmount; log: " + Files.readString(log));
        }
        process = null;
    }

    /** Re-hashes every chunk of the store; the store must be valid after anything a test did. */
    VerifyResult verify() throws IOException {
        try (ChunkStore opened = Stores.open(store, StoreOptions.defaults())) {
            return new Verifier(opened, 2, Progress.NONE).verifyAll();
        }
    }

    /**
     * The files of {@code incoming/} as the store's tree holds them, name to digest, read by a read-only open of the
     * store beside the mount (as {@code chunkfs receipts} reads it): what the mount committed, not what it shows.
     */
    Map<String, Digest> receipts() throws IOException {
        Map<String, Digest> names = new TreeMap<>();
        try (ChunkStore opened = Stores.open(store, StoreOptions.defaults().withReadOnly(true))) {
            for (Receipts.Receipt receipt : Receipts.of(opened).list()) {
                names.put(receipt.name(), receipt.digest());
            }
        }
        return names;
    }

    Shell.Result sh(String script) {
        return Shell.bash(mnt, script);
    }

    @Override
    public void close() throws Exception {
        try {
            unmount();
        } finally {
            if (isMounted()) {
                Shell.run(dir, java.util.Map.of(), List.of("fusermount", "-u", "-z", mnt.toString()), 30);
            }
        }
    }
}

package io.chunkfs.cli;

import io.chunkfs.fuse.ChunkFs;
import io.chunkfs.fuse.MountTable;
import io.chunkfs.store.StoreException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
        name = "status",
        mixinStandardHelpOptions = true,
        description = {
            "Show what a running mount is doing, as its mount process tells it: store and options, "
                    + "open files and files being written, commits and bytes since the mount, chunks that failed "
                    + "verification on read, time since the store was last synced, and errors answered by errno.",
            "Only the user who mounted it (or root) may ask."
        })
final class StatusCommand implements Callable<Integer> {
    private static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(30);

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", arity = "0..1", paramLabel = "MOUNTPOINT", description = "The mount (default: ~/chunkfs).")
    Path mountPoint;

    @Option(names = "--json", description = "Print the report as one JSON object.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        Path mount = (mountPoint != null ? mountPoint : MountCommand.defaultMountPoint())
                .toAbsolutePath()
                .normalize();
        if (!MountTable.typeAt(mount).filter("fuse.chunkfs"::equals).isPresent()) {
            throw new StoreException(mount + " is not a chunkfs mount");
        }
        Path socket = controlSocket(mount);
        String reply = ask(socket, json ? "json" : "text");
        if (reply.startsWith("refused:")) {
            throw new StoreException(reply.strip());
        }
        spec.commandLine().getOut().print(reply);
        spec.commandLine().getOut().flush();
        return 0;
    }

    /** The mount's root names its control socket in an attribute only the mount process answers. */
    private static Path controlSocket(Path mount) throws IOException {
        UserDefinedFileAttributeView view = Files.getFileAttributeView(mount, UserDefinedFileAttributeView.class);
        String name = ChunkFs.CONTROL_XATTR.substring("user.".length());
        try {
            ByteBuffer value = ByteBuffer.allocate(4096);
            view.read(name, value);
            value.flip();
            return Path.of(StandardCharsets.UTF_8.decode(value).toString());
        } catch (FileSystemException e) {
            throw new StoreException("the mount at " + mount + " has no control socket (" + e.getReason()
                    + "): an older chunkfs serves it, or it could not make one (see the mount's log)");
        }
    }

    private static String ask(Path socket, String request) throws IOException, InterruptedException {
        if (!Files.isReadable(socket.getParent())) {
            throw new StoreException("cannot reach " + socket + ": only the user who mounted it may ask");
        }
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(socket));
            channel.write(StandardCharsets.UTF_8.encode(request + "\n"));
            CompletableFuture<String> answer = CompletableFuture.supplyAsync(() -> readAll(channel));
            try {
                return answer.get(ANSWER_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                throw new StoreException(
                        "the mount process did not answer within " + ANSWER_TIMEOUT.toSeconds() + " s");
            } catch (java.util.concurrent.ExecutionException e) {
                throw new IOException(
                        "reading the status from " + socket + " failed: "
                                + e.getCause().getMessage(),
                        e);
            }
        }
    }

    private static String readAll(SocketChannel channel) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteBuffer buffer = ByteBuffer.allocate(8192);
            while (channel.read(buffer) >= 0) {
                out.write(buffer.array(), 0, buffer.position());
                buffer.clear();
            }
            return out.toString(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** How {@code chunkfs status} shows a report; runs in the mount process, which serves the result. */
    static String render(Map<String, Object> report, boolean json) {
        if (json) {
            return Json.write(report) + "\n";
        }
        StringBuilder out = new StringBuilder();
        Map<?, ?> options = (Map<?, ?>) report.get("options");
        Map<?, ?> open = (Map<?, ?>) report.get("open_files");
        line(
                out,
                "mount %s (process %s, up %s)",
                report.get("mount_point"),
                report.get("pid"),
                duration(((Number) report.get("uptime_seconds")).longValue()));
        line(out, "store %s", report.get("store"));
        line(
                out,
                "options: sync=%s%s%s, fsname=%s%s",
                options.get("sync"),
                Boolean.TRUE.equals(options.get("read_only")) ? ", ro" : "",
                Boolean.TRUE.equals(options.get("allow_other")) ? ", allow_other" : "",
                options.get("fsname"),
                Boolean.TRUE.equals(options.get("debug")) ? ", debug" : "");
        line(
                out,
                "open files: %s chunks or receipts being read, %s files of incoming/",
                open.get("chunks"),
                open.get("incoming"));
        line(
                out,
                "being written: %s (%s with uncommitted bytes)",
                report.get("files_being_written"),
                report.get("files_with_uncommitted_bytes"));
        for (Object entry : (List<?>) report.get("pending_files")) {
            Map<?, ?> file = (Map<?, ?>) entry;
            line(
                    out,
                    "  incoming/%s  %s%s",
                    file.get("name"),
                    Sizes.human(((Number) file.get("size")).longValue()),
                    Boolean.TRUE.equals(file.get("uncommitted")) ? "  (uncommitted)" : "");
        }
        long bytes = ((Number) report.get("committed_bytes")).longValue();
        line(
                out,
                "since mount: %s commits, %s committed (%s new chunks)",
                report.get("commits"),
                Sizes.human(bytes),
                report.get("new_chunks"));
        Object sinceSync = report.get("seconds_since_sync");
        line(
                out,
                "last store sync: %s",
                sinceSync == null
                        ? "none since mount"
                        : String.format(Locale.ROOT, "%.1f s ago", ((Number) sinceSync).doubleValue()));
        List<?> suspects = (List<?>) report.get("suspect_chunks");
        line(
                out,
                "verify failures on read: %s%s",
                report.get("verify_failures"),
                suspects.isEmpty() ? "" : " (run 'chunkfs verify'); suspect chunks:");
        for (Object digest : suspects) {
            line(out, "  %s", digest);
        }
        Map<?, ?> errors = (Map<?, ?>) report.get("errors_by_errno");
        StringBuilder byErrno = new StringBuilder();
        errors.forEach((name, count) -> byErrno.append(byErrno.length() == 0 ? "" : ", ")
                .append(name)
                .append(' ')
                .append(count));
        line(out, "errors answered: %s", errors.isEmpty() ? "none" : byErrno);
        Object counters = report.get("counters");
        if (counters instanceof Map<?, ?> backend) {
            if (backend.get("cache.hits") instanceof Number hits
                    && backend.get("cache.misses") instanceof Number misses) {
                long reads = hits.longValue() + misses.longValue();
                line(
                        out,
                        "cache hit rate: %s",
                        reads == 0
                                ? "no reads yet"
                                : String.format(
                                        Locale.ROOT, "%.1f%% of %d reads", 100.0 * hits.longValue() / reads, reads));
            }
            backend.forEach((name, value) -> line(out, "%s: %s", name, value));
        }
        return out.toString();
    }

    private static void line(StringBuilder out, String format, Object... values) {
        out.append(String.format(Locale.ROOT, format, values)).append('\n');
    }

    private static String duration(long seconds) {
        return seconds < 120 ? seconds + " s" : seconds < 7200 ? seconds / 60 + " min" : seconds / 3600 + " h";
    }
}

package io.chunkfs.store;

import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.time.Instant;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import jnr.constants.platform.Errno;

/**
 * A {@link ChunkBackend} (and its {@link Namespace}) that passes every call to a real one but fails the
 * {@code nth} call of one kind with an errno, as a full disk (ENOSPC) or a failing one (EIO) would: the fault
 * comes from above the file system, where any backend may raise it, so the store's logic is tested against
 * the seam rather than against one backend's system calls. The call fails before it reaches the real backend.
 */
final class FaultyBackend implements ChunkBackend {
    /** The calls a fault can hit. */
    enum Kind {
        STAGE,
        FORCE,
        PUBLISH,
        MAKE_DURABLE,
        SYNC,
        RECEIPT_WRITE
    }

    private final ChunkBackend real;
    private final Kind kind;
    private final int nth;
    private final Errno errno;
    private final AtomicInteger calls = new AtomicInteger();
    private volatile boolean fired;

    FaultyBackend(ChunkBackend real, Kind kind, int nth, Errno errno) {
        this.real = real;
        this.kind = kind;
        this.nth = nth;
        this.errno = errno;
    }

    /** Whether the fault has fired. */
    boolean fired() {
        return fired;
    }

    /**
     * The tree {@code tree}, with {@link Kind#RECEIPT_WRITE} faults in the changes of names a mount makes
     * (createOrReplace, rename, unlink).
     */
    Namespace tree(Namespace tree) {
        java.util.Set<String> faulty = java.util.Set.of("createOrReplace", "rename", "unlink");
        return (Namespace) java.lang.reflect.Proxy.newProxyInstance(
                Namespace.class.getClassLoader(), new Class<?>[] {Namespace.class}, (proxy, method, args) -> {
                    if (faulty.contains(method.getName())) {
                        maybeFail(Kind.RECEIPT_WRITE, String.valueOf(args[1]));
                    }
                    try {
                        return method.invoke(tree, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    private void maybeFail(Kind call, String what) throws PosixException {
        if (call == kind && calls.incrementAndGet() == nth) {
            fired = true;
            throw new PosixException(call.name().toLowerCase(java.util.Locale.ROOT), what, errno.intValue());
        }
    }

    @Override
    public Entry stat(Digest digest) throws IOException {
        return real.stat(digest);
    }

    @Override
    public Opened openRead(Digest digest) throws IOException {
        return real.openRead(digest);
    }

    @Override
    public boolean touch(Digest digest, boolean awaitSweep) throws IOException {
        return real.touch(digest, awaitSweep);
    }

    @Override
    public boolean makeDurable(Digest digest, SyncLevel level) throws IOException {
        maybeFail(Kind.MAKE_DURABLE, digest.toString());
        return real.makeDurable(digest, level);
    }

    @Override
    public Staged stage() throws IOException {
        maybeFail(Kind.STAGE, "staged bytes");
        return real.stage();
    }

    @Override
    public void force(FileChannel staged) throws IOException {
        maybeFail(Kind.FORCE, "staged bytes");
        real.force(staged);
    }

    @Override
    public void publish(String staged, Digest digest, SyncLevel level) throws IOException {
        maybeFail(Kind.PUBLISH, digest.toString());
        real.publish(staged, digest, level);
    }

    @Override
    public void discard(String staged) throws IOException {
        real.discard(staged);
    }

    @Override
    public Stream<Digest> list(int prefix) throws IOException {
        return real.list(prefix);
    }

    @Override
    public PrefixScan scan(int prefix) throws IOException {
        return real.scan(prefix);
    }

    @Override
    public Deletion deleteIfUnusedSince(Digest digest, long cutoffMillis) throws IOException {
        return real.deleteIfUnusedSince(digest, cutoffMillis);
    }

    @Override
    public String quarantine(Digest digest, ChunkIdentity identity) throws IOException {
        return real.quarantine(digest, identity);
    }

    @Override
    public void sync(Instant started) throws IOException {
        maybeFail(Kind.SYNC, "store");
        real.sync(started);
    }

    @Override
    public Space space() throws IOException {
        return real.space();
    }

    @Override
    public Owner owner() throws IOException {
        return real.owner();
    }

    @Override
    public long beginWriter() throws IOException {
        return real.beginWriter();
    }

    @Override
    public void endWriter(long startMillis) throws IOException {
        real.endWriter(startMillis);
    }

    @Override
    public OptionalLong oldestWriterStart() throws IOException {
        return real.oldestWriterStart();
    }

    @Override
    public long removeLeftovers() throws IOException {
        return real.removeLeftovers();
    }

    @Override
    public Closeable lockForGc() throws IOException {
        return real.lockForGc();
    }

    @Override
    public Instant markClock() throws IOException {
        return real.markClock();
    }

    @Override
    public void sweepStarting() throws IOException {
        real.sweepStarting();
    }

    @Override
    public void sweepDone() throws IOException {
        real.sweepDone();
    }

    @Override
    public void startRecovery(Recheck check) {
        real.startRecovery(check);
    }

    @Override
    public Map<String, Long> counters() {
        return real.counters();
    }

    @Override
    public Set<Capability> capabilities() {
        return real.capabilities();
    }

    @Override
    public String location() {
        return real.location();
    }

    @Override
    public String locate(Digest digest) {
        return real.locate(digest);
    }

    @Override
    public void close() throws IOException {
        real.close();
    }
}

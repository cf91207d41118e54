package io.chunkfs.store.local;

import io.chunkfs.store.Digest;
import io.chunkfs.store.SyncLevel;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;

/**
 * What a crash scenario was told was done, and when, in call indexes of its {@link CrashingSyscalls}: an
 * acknowledgement is recorded right after the call returned, so it is never earlier than the truth.
 * Thread-safe.
 */
final class CrashLedger {
    /** A chunk whose insert returned at call {@code index}. */
    record Ack(long index, Digest digest) {}

    /** A store sync that began after call {@code start} and returned at call {@code end}. */
    record Sync(long start, long end) {}

    /** A change of the receipts, begun after call {@code start} and returned at call {@code end}. */
    record ReceiptChange(long start, long end, UnaryOperator<Map<String, Digest>> change) {}

    /** The bytes of every chunk the scenario meant to store, acknowledged or not. */
    final Map<Digest, byte[]> bytes = new ConcurrentHashMap<>();
    /** Chunks that must be at their digest path in every crash state (present before, and kept). */
    final Set<Digest> always = ConcurrentHashMap.newKeySet();

    private final List<Ack> acks = Collections.synchronizedList(new ArrayList<>());
    private final List<Sync> syncs = Collections.synchronizedList(new ArrayList<>());
    private final List<ReceiptChange> receiptChanges = Collections.synchronizedList(new ArrayList<>());

    Digest chunk(byte[] data) {
        Digest digest = Digest.sha256(data);
        bytes.put(digest, data);
        return digest;
    }

    void acknowledged(long index, Digest digest) {
        acks.add(new Ack(index, digest));
    }

    void synced(long start, long end) {
        syncs.add(new Sync(start, end));
    }

    /** Changes of the receipts must come from one thread, in order. */
    void receiptChange(long start, long end, UnaryOperator<Map<String, Digest>> change) {
        receiptChanges.add(new ReceiptChange(start, end, change));
    }

    /** Every call index at which an expectation changes. */
    Set<Long> points() {
        Set<Long> points = new HashSet<>();
        synchronized (acks) {
            acks.forEach(ack -> points.add(ack.index()));
        }
        synchronized (syncs) {
            syncs.forEach(sync -> points.add(sync.end()));
        }
        synchronized (receiptChanges) {
            receiptChanges.forEach(change -> points.add(change.end()));
        }
        return points;
    }

    /**
     * Where durability is promised as of a cut point: the cut itself under sync level file; under filesystem,
     * the start of the last store sync that completed before the cut.
     */
    long durableAsOf(long cut, SyncLevel level) {
        if (level == SyncLevel.FILE) {
            return cut;
        }
        long asOf = -1;
        synchronized (syncs) {
            for (Sync sync : syncs) {
                if (sync.end() <= cut) {
                    asOf = Math.max(asOf, sync.start());
                }
            }
        }
        return asOf;
    }

    /** The chunks a crash at {@code cut} must not lose. */
    Set<Digest> required(long cut, SyncLevel level) {
        long asOf = durableAsOf(cut, level);
        Set<Digest> required = new HashSet<>(always);
        synchronized (acks) {
            acks.stream().filter(ack -> ack.index() <= asOf).forEach(ack -> required.add(ack.digest()));
        }
        return required;
    }

    boolean hasReceipts() {
        return !receiptChanges.isEmpty();
    }

    /**
     * The receipts a crash at {@code cut} may leave: the state after the first k changes, for every k from
     * those durable as of the cut to those begun before it.
     */
    List<Map<String, Digest>> allowedReceipts(long cut, SyncLevel level) {
        long asOf = durableAsOf(cut, level);
        List<Map<String, Digest>> allowed = new ArrayList<>();
        Map<String, Digest> state = new TreeMap<>();
        int durable = 0;
        int begun = 0;
        List<Map<String, Digest>> states = new ArrayList<>();
        states.add(state);
        synchronized (receiptChanges) {
            for (ReceiptChange change : receiptChanges) {
                state = new TreeMap<>(change.change().apply(new TreeMap<>(state)));
                states.add(state);
                if (change.end() <= asOf) {
                    durable++;
                }
                if (change.start() < cut) {
                    begun++;
                }
            }
        }
        for (int k = durable; k <= begun; k++) {
            allowed.add(states.get(k));
        }
        return allowed;
    }
}

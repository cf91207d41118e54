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
 *
 * <p>Changes of the tree make no call through the port, so several of them (and a sync of the tree) can share one
 * call index: where the order of two of them matters (was a change done before a sync began?), it is told by
 * {@link Mark}s, which also count the scenario's own steps.
 */
final class CrashLedger {
    /** A moment of the scenario: the port's call index then, and the how-manieth mark it is. */
    record Mark(long call, long order) {}

    /** A chunk whose insert returned at call {@code index}. */
    record Ack(long index, Digest digest) {}

    /** A store sync (or a sync of the tree alone) that began at {@code start} and returned at {@code end}. */
    record Sync(Mark start, Mark end) {}

    /**
     * A change of the receipts, begun at {@code start} and returned at {@code end}; a {@code
     * durabilityPoint} (a written file's name under sync=file) is durable when it returns, with every change
     * before it.
     */
    record ReceiptChange(Mark start, Mark end, boolean durabilityPoint, UnaryOperator<Map<String, Digest>> change) {}

    /**
     * A name given once to a chunk, by one of several threads: begun at {@code start}, returned at {@code end},
     * durable then if it is a {@code durabilityPoint}.
     */
    record Naming(Mark start, Mark end, boolean durabilityPoint, String name, Digest digest) {}

    /** The bytes of every chunk the scenario meant to store, acknowledged or not. */
    final Map<Digest, byte[]> bytes = new ConcurrentHashMap<>();
    /** Chunks that must be at their digest path in every crash state (present before, and kept). */
    final Set<Digest> always = ConcurrentHashMap.newKeySet();
    /** The receipts the store held, durably, before the scenario began: the state its receipt changes start from. */
    final Map<String, Digest> receiptsBefore = new ConcurrentHashMap<>();

    private final List<Ack> acks = Collections.synchronizedList(new ArrayList<>());
    private final List<Sync> syncs = Collections.synchronizedList(new ArrayList<>());
    private final List<ReceiptChange> receiptChanges = Collections.synchronizedList(new ArrayList<>());
    /** Durability points of the tree alone (its sync, as an fsync on a sync=file mount makes): names, not chunks. */
    private final List<Sync> treeSyncs = Collections.synchronizedList(new ArrayList<>());

    private final List<Naming> namings = Collections.synchronizedList(new ArrayList<>());
    private final java.util.concurrent.atomic.AtomicLong marks = new java.util.concurrent.atomic.AtomicLong();

    /** Now, at call index {@code call} (read by the caller just before). */
    Mark mark(long call) {
        return new Mark(call, marks.incrementAndGet());
    }

    Digest chunk(byte[] data) {
        Digest digest = Digest.sha256(data);
        bytes.put(digest, data);
        return digest;
    }

    void acknowledged(long index, Digest digest) {
        acks.add(new Ack(index, digest));
    }

    void synced(Mark start, Mark end) {
        syncs.add(new Sync(start, end));
    }

    /** A sync of the tree alone. */
    void treeSynced(Mark start, Mark end) {
        treeSyncs.add(new Sync(start, end));
    }

    /** Changes of the receipts must come from one thread, in order. */
    void receiptChange(Mark start, Mark end, boolean durabilityPoint, UnaryOperator<Map<String, Digest>> change) {
        receiptChanges.add(new ReceiptChange(start, end, durabilityPoint, change));
    }

    /** A name given once (never changed after) to a chunk; any thread. */
    void named(Mark start, Mark end, boolean durabilityPoint, String name, Digest digest) {
        namings.add(new Naming(start, end, durabilityPoint, name, digest));
    }

    /** Every call index at which an expectation changes. */
    Set<Long> points() {
        Set<Long> points = new HashSet<>();
        synchronized (acks) {
            acks.forEach(ack -> points.add(ack.index()));
        }
        synchronized (syncs) {
            syncs.forEach(sync -> points.add(sync.end().call()));
        }
        synchronized (receiptChanges) {
            receiptChanges.forEach(change -> points.add(change.end().call()));
        }
        synchronized (treeSyncs) {
            treeSyncs.forEach(sync -> points.add(sync.end().call()));
        }
        synchronized (namings) {
            namings.forEach(naming -> {
                points.add(naming.start().call());
                points.add(naming.end().call());
            });
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
                if (sync.end().call() <= cut) {
                    asOf = Math.max(asOf, sync.start().call());
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

    boolean hasNames() {
        return !namings.isEmpty();
    }

    /**
     * The receipts a crash at {@code cut} may leave: the state after the first k changes, for every k from
     * those durable as of the cut to those begun by it. Changes are durable when a durability point among them
     * returned by the cut (with every change before it), or when a store sync or a sync of the tree that
     * returned by the cut began after they returned. A change begun at the cut (call index {@code cut} read
     * before it) may be there: a change of the tree makes no call through the port, and can complete before the
     * next one.
     */
    List<Map<String, Digest>> allowedReceipts(long cut, SyncLevel level) {
        List<Map<String, Digest>> allowed = new ArrayList<>();
        Map<String, Digest> state = new TreeMap<>(receiptsBefore);
        int durable = 0;
        int begun = 0;
        List<Map<String, Digest>> states = new ArrayList<>();
        states.add(state);
        List<Mark> syncStarts = syncStartsBy(cut);
        synchronized (receiptChanges) {
            int k = 0;
            for (ReceiptChange change : receiptChanges) {
                k++;
                state = new TreeMap<>(change.change().apply(new TreeMap<>(state)));
                states.add(state);
                if (durable(change.durabilityPoint(), change.end(), cut, syncStarts)) {
                    durable = k;
                }
                if (change.start().call() <= cut) {
                    begun = k;
                }
            }
        }
        for (int k = durable; k <= begun; k++) {
            allowed.add(states.get(k));
        }
        return allowed;
    }

    /** The receipts every state {@link #allowedReceipts} allows at {@code cut} starts from: the durable ones. */
    Map<String, Digest> durableReceipts(long cut, SyncLevel level) {
        return allowedReceipts(cut, level).get(0);
    }

    /**
     * The names given by {@link #named} that a crash at {@code cut} must keep: a durability point that returned by
     * the cut, or a name that returned before a store sync or tree sync began that returned by the cut.
     */
    Map<String, Digest> requiredNames(long cut) {
        List<Mark> syncStarts = syncStartsBy(cut);
        Map<String, Digest> required = new TreeMap<>();
        synchronized (namings) {
            for (Naming naming : namings) {
                if (durable(naming.durabilityPoint(), naming.end(), cut, syncStarts)) {
                    required.put(naming.name(), naming.digest());
                }
            }
        }
        return required;
    }

    /** The names given by {@link #named} that a crash at {@code cut} may keep: those begun by the cut. */
    Map<String, Digest> allowedNames(long cut) {
        Map<String, Digest> allowed = new TreeMap<>();
        synchronized (namings) {
            namings.stream()
                    .filter(naming -> naming.start().call() <= cut)
                    .forEach(naming -> allowed.put(naming.name(), naming.digest()));
        }
        return allowed;
    }

    /**
     * Whether a change of names that returned at {@code end} is durable at {@code cut}: it is a durability point
     * that returned by then, or it returned before a sync began that returned by then.
     */
    private static boolean durable(boolean durabilityPoint, Mark end, long cut, List<Mark> syncStarts) {
        return (durabilityPoint && end.call() <= cut)
                || syncStarts.stream().anyMatch(start -> end.order() < start.order());
    }

    /** When each store sync and tree sync that returned by {@code cut} began. */
    private List<Mark> syncStartsBy(long cut) {
        List<Mark> starts = new ArrayList<>();
        for (List<Sync> list : List.of(syncs, treeSyncs)) {
            synchronized (list) {
                list.stream().filter(sync -> sync.end().call() <= cut).forEach(sync -> starts.add(sync.start()));
            }
        }
        return starts;
    }
}

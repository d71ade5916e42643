package statbridge.sink.writer;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import statbridge.sink.db.RowKey;

/**
 * What {@link BatchWriter} does with a batch, decided without a database: which facts each
 * statement writes, and which key buckets it locks first. Within a batch only the newest fact of a
 * row counts ({@link Batch#latestPerRow}).
 *
 * <p>While dual-write is on, every legacy row a batch touches is written once, by one statement:
 * a key with a stat and a KPI in the batch by the statement that upserts both ({@link #statsTogether},
 * {@link #valuesTogether}); a key with a stat and a withdrawal by a rebuild after both
 * ({@link #rebuildAfterWithdrawal}); every other key by the statement that changes it
 * ({@code *WithLegacy}). The batch first locks every bucket it carries ({@link #batchLocks}). While
 * dual-write is off, no legacy row is written, and a batch with KPIs locks the buckets it withdraws
 * in and, apart from those, the buckets it writes KPIs in ({@link #withdrawingLocks},
 * {@link #writingLocks}): a KPI and a later withdrawal of a row not in the table yet, written at
 * once by two instances, would otherwise see neither the other's row.
 *
 * @param dualWrite whether the batch is dual-written
 * @param stats the newest stat of each row, for the series bookkeeping
 * @param batchLocks the buckets to lock before anything else, in order (dual-write on), else empty
 * @param withdrawingLocks the buckets the batch withdraws KPIs in, in order (dual-write off), else empty
 * @param writingLocks the other buckets the batch writes KPIs in, in order (dual-write off), else empty
 */
record BatchPlan(boolean dualWrite, Collection<Fact> stats, Integer[] batchLocks, Integer[] withdrawingLocks, Integer[] writingLocks,
        List<Fact> statsWithLegacy, List<Fact> statsAlone, List<Fact> withdrawalsWithLegacy, List<Fact> withdrawalsAlone,
        List<Fact> valuesWithLegacy, List<Fact> valuesAlone, List<Fact> statsTogether, List<Fact> valuesTogether,
        Set<RowKey> rebuildAfterWithdrawal) {

    private static final Integer[] NONE = new Integer[0];

    /**
     * The plan of a batch of {@code facts}.
     *
     * @param lockBuckets the input topics' partition count, by which a key's bucket is its Java
     *     partitioner's partition; 0 while unknown, when a fact's bucket is the partition it came from
     */
    static BatchPlan of(List<Fact> facts, boolean dualWrite, int lockBuckets) {
        Collection<Fact> stats = Batch.latestPerRow(facts, Fact.Kind.STAT);
        List<Fact> values = new ArrayList<>();
        List<Fact> withdrawals = new ArrayList<>();
        for (Fact fact : Batch.latestPerRow(facts, Fact.Kind.BUSINESS)) {
            (fact.value() == null ? withdrawals : values).add(fact);
        }
        Integer[] batchLocks = NONE;
        Integer[] withdrawingLocks = NONE;
        Integer[] writingLocks = NONE;
        if (dualWrite) {
            batchLocks = buckets(facts, lockBuckets, Set.of());
        } else if (!values.isEmpty() || !withdrawals.isEmpty()) {
            withdrawingLocks = buckets(withdrawals, lockBuckets, Set.of());
            writingLocks = buckets(values, lockBuckets, Set.of(withdrawingLocks));
        }
        Set<RowKey> together = dualWrite ? keysOfBoth(stats, values) : Set.of();
        Set<RowKey> afterWithdrawal = dualWrite ? keysOfBoth(stats, withdrawals) : Set.of();
        Split statSplit = new Split(stats, dualWrite, together, afterWithdrawal);
        Split valueSplit = new Split(values, dualWrite, together, afterWithdrawal);
        Split withdrawalSplit = new Split(withdrawals, dualWrite, Set.of(), afterWithdrawal);
        return new BatchPlan(dualWrite, stats, batchLocks, withdrawingLocks, writingLocks, statSplit.withLegacy, statSplit.alone,
                withdrawalSplit.withLegacy, withdrawalSplit.alone, valueSplit.withLegacy, valueSplit.alone, statSplit.together,
                valueSplit.together, afterWithdrawal);
    }

    /** The facts of one kind by the statement that writes them. */
    private static final class Split {
        final List<Fact> withLegacy = new ArrayList<>();
        final List<Fact> alone = new ArrayList<>();
        final List<Fact> together = new ArrayList<>();

        Split(Collection<Fact> facts, boolean dualWrite, Set<RowKey> together, Set<RowKey> afterWithdrawal) {
            for (Fact fact : facts) {
                RowKey key = fact.rowKey();
                if (together.contains(key)) {
                    this.together.add(fact);
                } else if (dualWrite && !afterWithdrawal.contains(key)) {
                    withLegacy.add(fact);
                } else {
                    alone.add(fact);
                }
            }
        }
    }

    /** The lock bucket of a fact: its key's partition among {@code lockBuckets} once known, else its own partition. */
    static int bucket(Fact fact, int lockBuckets) {
        return lockBuckets > 0 ? fact.keyPartition(lockBuckets) : fact.partition();
    }

    private static Integer[] buckets(Collection<Fact> facts, int lockBuckets, Set<Integer> except) {
        Set<Integer> buckets = new TreeSet<>();
        for (Fact fact : facts) {
            buckets.add(bucket(fact, lockBuckets));
        }
        buckets.removeAll(except);
        return buckets.toArray(Integer[]::new);
    }

    private static Set<RowKey> keysOfBoth(Collection<Fact> stats, Collection<Fact> business) {
        Set<RowKey> statKeys = new HashSet<>();
        stats.forEach(f -> statKeys.add(f.rowKey()));
        Set<RowKey> both = new HashSet<>();
        business.forEach(f -> {
            if (statKeys.contains(f.rowKey())) {
                both.add(f.rowKey());
            }
        });
        return both;
    }
}

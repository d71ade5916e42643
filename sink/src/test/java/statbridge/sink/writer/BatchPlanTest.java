package statbridge.sink.writer;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.LocalDate;
import java.util.List;
import org.junit.jupiter.api.Test;
import statbridge.v2.MetricType;

/** Which statement writes each fact of a batch, and which buckets the batch locks: decided without a database. */
class BatchPlanTest {

    private static final LocalDate DAY = LocalDate.of(2026, 3, 1);
    private long offset;

    private Fact stat(String slice, String key, double value, long time, int partition) {
        return new Fact(Fact.Kind.STAT, "IntentClassifier", "v4", DAY, slice, MetricType.ONLINE, key, value, time, "model-stats.v2",
                partition, offset++);
    }

    private Fact kpi(String slice, String key, Double value, long time, int partition) {
        return new Fact(Fact.Kind.BUSINESS, "IntentClassifier", "v4", DAY, slice, MetricType.ONLINE, key, value, time,
                "model-business-stats.v2", partition, offset++);
    }

    @Test
    void dualWriteOffWritesEveryFactAloneAndLocksNothingWithoutKpis() {
        Fact a = stat("A", "accuracy", 0.9, 1, 0);
        Fact b = stat("B", "accuracy", 0.8, 1, 1);

        BatchPlan plan = BatchPlan.of(List.of(a, b), false, 0);

        assertThat(plan.dualWrite()).isFalse();
        assertThat(plan.statsAlone()).containsExactly(a, b);
        assertThat(plan.statsWithLegacy()).isEmpty();
        assertThat(plan.statsTogether()).isEmpty();
        assertThat(plan.batchLocks()).isEmpty();
        assertThat(plan.withdrawingLocks()).isEmpty();
        assertThat(plan.writingLocks()).isEmpty();
        assertThat(plan.rebuildAfterWithdrawal()).isEmpty();
    }

    @Test
    void dualWriteOffLocksTheBucketsItWithdrawsInAndApartFromThoseTheBucketsItWritesKpisIn() {
        Fact withdrawal = kpi("A", "churn_rate", null, 1, 2);
        Fact sameBucket = kpi("B", "churn_rate", 0.5, 1, 2);
        Fact otherBucket = kpi("C", "churn_rate", 0.4, 1, 0);

        BatchPlan plan = BatchPlan.of(List.of(otherBucket, withdrawal, sameBucket), false, 0);

        assertThat(plan.withdrawingLocks()).containsExactly(2);
        assertThat(plan.writingLocks()).as("bucket 2 is already locked as withdrawing").containsExactly(0);
        assertThat(plan.withdrawalsAlone()).containsExactly(withdrawal);
        assertThat(plan.valuesAlone()).containsExactly(otherBucket, sameBucket);
        assertThat(plan.batchLocks()).isEmpty();
    }

    @Test
    void dualWriteOnWritesEachLegacyRowOnceByOneStatement() {
        Fact statOnly = stat("A", "accuracy", 0.9, 1, 0);
        Fact statWithKpi = stat("B", "churn_rate", 0.05, 1, 0);
        Fact kpiWithStat = kpi("B", "churn_rate", 1200.0, 1, 0);
        Fact statWithdrawn = stat("C", "churn_rate", 0.06, 1, 1);
        Fact withdrawal = kpi("C", "churn_rate", null, 1, 1);
        Fact kpiOnly = kpi("D", "churn_rate", 900.0, 1, 3);
        Fact withdrawalOnly = kpi("E", "churn_rate", null, 1, 3);

        BatchPlan plan = BatchPlan.of(List.of(statOnly, statWithKpi, kpiWithStat, statWithdrawn, withdrawal, kpiOnly, withdrawalOnly),
                true, 0);

        assertThat(plan.statsWithLegacy()).containsExactly(statOnly);
        assertThat(plan.statsTogether()).containsExactly(statWithKpi);
        assertThat(plan.valuesTogether()).containsExactly(kpiWithStat);
        assertThat(plan.statsAlone()).as("its legacy row is rebuilt after the withdrawal").containsExactly(statWithdrawn);
        assertThat(plan.withdrawalsAlone()).containsExactly(withdrawal);
        assertThat(plan.rebuildAfterWithdrawal()).containsExactly(statWithdrawn.rowKey());
        assertThat(plan.valuesWithLegacy()).containsExactly(kpiOnly);
        assertThat(plan.withdrawalsWithLegacy()).containsExactly(withdrawalOnly);
        assertThat(plan.valuesAlone()).isEmpty();
        assertThat(plan.batchLocks()).as("every bucket the batch carries, ascending").containsExactly(0, 1, 3);
        assertThat(plan.withdrawingLocks()).isEmpty();
        assertThat(plan.writingLocks()).isEmpty();
    }

    @Test
    void onlyTheNewestFactOfARowIsWrittenAndItsOlderVersionStillTakesItsLock() {
        Fact older = stat("A", "accuracy", 0.9, 2, 4);
        Fact newer = stat("A", "accuracy", 0.7, 5, 1);
        Fact sameTimeLaterOffset = stat("B", "accuracy", 0.6, 3, 0);
        Fact sameTimeEarlierOffset = new Fact(Fact.Kind.STAT, "IntentClassifier", "v4", DAY, "B", MetricType.ONLINE, "accuracy", 0.5,
                3, "model-stats.v2", 0, sameTimeLaterOffset.offset() - 100);

        BatchPlan plan = BatchPlan.of(List.of(older, newer, sameTimeLaterOffset, sameTimeEarlierOffset), true, 0);

        assertThat(plan.statsWithLegacy()).containsExactly(newer, sameTimeLaterOffset);
        assertThat(plan.stats()).containsExactly(newer, sameTimeLaterOffset);
        assertThat(plan.batchLocks()).containsExactly(0, 1, 4);
    }

    @Test
    void onceThePartitionCountIsKnownAStatAndItsKpiShareALockWhateverPartitionTheyCameFrom() {
        Fact statInOne = stat("A", "churn_rate", 0.05, 1, 1);
        Fact kpiInAnother = kpi("A", "churn_rate", 1200.0, 1, 3);
        int buckets = 8;

        BatchPlan byKey = BatchPlan.of(List.of(statInOne, kpiInAnother), true, buckets);
        BatchPlan byPartition = BatchPlan.of(List.of(statInOne, kpiInAnother), true, 0);

        assertThat(byKey.batchLocks()).containsExactly(statInOne.keyPartition(buckets));
        assertThat(kpiInAnother.keyPartition(buckets)).isEqualTo(statInOne.keyPartition(buckets));
        assertThat(byPartition.batchLocks()).containsExactly(1, 3);
    }
}

package statbridge.sink.writer;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.TopicPartition;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import statbridge.catalog.CatalogEntry;
import statbridge.sink.SinkDatabase;
import statbridge.sink.db.Partitions;
import statbridge.sink.offsets.OffsetRange;
import statbridge.testing.PostgresServer;
import statbridge.testing.RealInfrastructure;
import statbridge.v2.MetricType;

/**
 * Two sink instances that hold the same partition number of the two topics, as an assignor that
 * does not co-partition them (cooperative-sticky, say) leaves it: one writes a stat, the other the
 * KPI of the same row, at the same moment, on a real PostgreSQL.
 */
@ExtendWith(RealInfrastructure.class)
class ConcurrentWritersIT {

    private static final LocalDate DAY = LocalDate.of(2025, 5, 3);
    private static final String STATS = "model-stats.v2";
    private static final String KPIS = "model-business-stats.v2";

    private final SinkDatabase db;
    private final BatchWriter writer = new BatchWriter("test-sink");

    ConcurrentWritersIT(PostgresServer postgres) throws Exception {
        db = SinkDatabase.create(postgres, "concurrent_writers");
        db.addCatalog(List.of(CatalogEntry.of("churn_rate", MetricType.BUSINESS, "churn_rate")));
        new Partitions(db.database.dataSource()).ensureFor(List.of(DAY));
    }

    @AfterEach
    void close() {
        db.close();
    }

    private static Fact fact(Fact.Kind kind, double value, long time, long offset) {
        return fact(kind, value, time, offset, 0);
    }

    private static Fact fact(Fact.Kind kind, double value, long time, long offset, int partition) {
        return new Fact(kind, "ChurnModel", "v2", DAY, "ALL", MetricType.BUSINESS, "churn_rate", value, time,
                kind == Fact.Kind.STAT ? STATS : KPIS, partition, offset);
    }

    private static Batch batch(Fact fact, long expected) {
        return new Batch(List.of(fact), List.of(),
                Map.of(new TopicPartition(fact.topic(), fact.partition()), new OffsetRange(expected, fact.offset() + 1)));
    }

    private BatchResult write(Batch batch) throws Exception {
        try (Connection connection = db.connection()) {
            return writer.write(connection, batch);
        }
    }

    private long waitingOnLocks() throws Exception {
        return Long.parseLong(db.rows("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                + "AND datname = current_database()").get(0));
    }

    @Test
    void aStatAndItsKpiWrittenAtOnceByTwoInstancesBothReachTheLegacyRow() throws Exception {
        write(batch(fact(Fact.Kind.STAT, 0.10, 1_000, 0), -1));
        write(batch(fact(Fact.Kind.BUSINESS, 10.0, 1_000, 0), -1));
        assertThat(db.legacy()).containsExactly("ChurnModel|v2|2025-05-03|ALL|churn_rate|0.1|10");

        // An analyst's transaction holds the legacy row for a moment, so both instances' batches are under way together.
        try (Connection analyst = db.connection(); Statement statement = analyst.createStatement()) {
            statement.execute("SELECT 1 FROM ml_monitoring.model_stats_daily_legacy FOR UPDATE");
            CompletableFuture<BatchResult> stat = CompletableFuture.supplyAsync(() -> unchecked(
                    batch(fact(Fact.Kind.STAT, 0.20, 2_000, 1), 1)));
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> waitingOnLocks() == 1);
            CompletableFuture<BatchResult> kpi = CompletableFuture.supplyAsync(() -> unchecked(
                    batch(fact(Fact.Kind.BUSINESS, 20.0, 2_000, 1), 1)));
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> waitingOnLocks() == 2);
            analyst.rollback();
            stat.get();
            kpi.get();
        }

        assertThat(db.stats()).containsExactly("ChurnModel|v2|2025-05-03|ALL|BUSINESS|churn_rate|0.2");
        assertThat(db.business()).containsExactly("ChurnModel|v2|2025-05-03|ALL|BUSINESS|churn_rate|20");
        assertThat(db.legacy()).as("the legacy row holds both new halves")
                .containsExactly("ChurnModel|v2|2025-05-03|ALL|churn_rate|0.2|20");
        String columns = "model_name, model_version, stat_date, slice_key, metric_name, metric_value, business_metric_value, updated_at";
        assertThat(db.rows(("(SELECT %1$s FROM ml_monitoring.model_stats_daily_legacy EXCEPT SELECT %1$s FROM "
                + "ml_monitoring.model_stats_daily_legacy_rebuilt) UNION ALL (SELECT %1$s FROM ml_monitoring.model_stats_daily_legacy_rebuilt "
                + "EXCEPT SELECT %1$s FROM ml_monitoring.model_stats_daily_legacy)").formatted(columns)))
                .as("legacy table against its rebuild").isEmpty();
    }

    @Test
    void aStatAndItsKpiInDifferentPartitionsFromAnotherPartitionerStillReachTheLegacyRowTogether() throws Exception {
        writer.lockBuckets(4);
        write(batch(fact(Fact.Kind.STAT, 0.10, 1_000, 0, 0), -1));
        write(batch(fact(Fact.Kind.BUSINESS, 10.0, 1_000, 0, 3), -1));

        // The stat arrived in partition 0 and its KPI in partition 3 (a producer with another partitioner), each read by
        // its own instance, both under way at once.
        try (Connection analyst = db.connection(); Statement statement = analyst.createStatement()) {
            statement.execute("SELECT 1 FROM ml_monitoring.model_stats_daily_legacy FOR UPDATE");
            CompletableFuture<BatchResult> stat = CompletableFuture.supplyAsync(() -> unchecked(
                    batch(fact(Fact.Kind.STAT, 0.20, 2_000, 1, 0), 1)));
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> waitingOnLocks() == 1);
            CompletableFuture<BatchResult> kpi = CompletableFuture.supplyAsync(() -> unchecked(
                    batch(fact(Fact.Kind.BUSINESS, 20.0, 2_000, 1, 3), 1)));
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> waitingOnLocks() == 2);
            analyst.rollback();
            stat.get();
            kpi.get();
        }

        assertThat(db.legacy()).as("the legacy row holds both new halves")
                .containsExactly("ChurnModel|v2|2025-05-03|ALL|churn_rate|0.2|20");
    }

    /**
     * With dual-write off, a KPI of a row the table does not hold yet and a later withdrawal of it,
     * from two partitions (another client's partitioner) read by two instances at the same moment:
     * neither statement sees the other's uncommitted row, so without a lock both commit and the
     * withdrawn KPI stays. The KPI's batch is held before its commit (a transaction holds its
     * partition's offsets row) while the withdrawal's batch runs.
     */
    @Test
    void aKpiAndALaterWithdrawalOfANewRowWrittenAtOnceWithDualWriteOffLeaveTheRowWithdrawn() throws Exception {
        writer.lockBuckets(4);
        db.execute("UPDATE ml_monitoring.dual_write_state SET mode = 'OFF'");
        // Another row's KPI first, so that partition 3's offsets row exists to be held.
        write(batch(new Fact(Fact.Kind.BUSINESS, "ChurnModel", "v2", DAY, "country=PL", MetricType.BUSINESS, "churn_rate", 1.0, 500,
                KPIS, 3, 0), -1));

        try (Connection holder = db.connection(); Statement statement = holder.createStatement()) {
            statement.execute("SELECT 1 FROM ml_monitoring.sink_offsets WHERE topic = '" + KPIS + "' AND partition = 3 FOR UPDATE");
            CompletableFuture<BatchResult> kpi = CompletableFuture.supplyAsync(() -> unchecked(
                    batch(fact(Fact.Kind.BUSINESS, 20.0, 1_000, 1, 3), 1)));
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> waitingOnLocks() == 1);
            CompletableFuture<BatchResult> withdrawal = CompletableFuture.supplyAsync(() -> unchecked(
                    batch(new Fact(Fact.Kind.BUSINESS, "ChurnModel", "v2", DAY, "ALL", MetricType.BUSINESS, "churn_rate", null, 2_000,
                            KPIS, 1, 0), -1)));
            // Either the withdrawal's batch waits for the KPI's, or it is done before the KPI's commits.
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> withdrawal.isDone() || waitingOnLocks() == 2);
            holder.rollback();
            kpi.get();
            withdrawal.get();
        }

        assertThat(db.business()).as("the KPI the later withdrawal removed")
                .containsExactly("ChurnModel|v2|2025-05-03|country=PL|BUSINESS|churn_rate|1");
        assertThat(db.rows("SELECT slice_key, (extract(epoch FROM event_time) * 1000)::bigint FROM ml_monitoring.business_withdrawals"))
                .containsExactly("ALL|2000");
    }

    private BatchResult unchecked(Batch batch) {
        try {
            return write(batch);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}

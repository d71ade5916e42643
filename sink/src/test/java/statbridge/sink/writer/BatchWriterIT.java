package statbridge.sink.writer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import statbridge.catalog.CatalogEntry;
import statbridge.sink.SinkDatabase;
import statbridge.sink.db.Partitions;
import statbridge.sink.offsets.OffsetRange;
import statbridge.testing.PostgresServer;
import statbridge.testing.RealInfrastructure;
import statbridge.v2.MetricType;

/** The batch transaction on a real PostgreSQL: later wins on every table, withdrawals, fencing, idempotence. */
@ExtendWith(RealInfrastructure.class)
class BatchWriterIT {

    private static final LocalDate DAY = LocalDate.of(2025, 4, 26);
    private static final TopicPartition STATS = new TopicPartition("model-stats.v2", 0);
    private static final TopicPartition KPIS = new TopicPartition("model-business-stats.v2", 0);

    private SinkDatabase db;
    private final BatchWriter writer = new BatchWriter("test-sink");
    private final Partitions partitions;
    private long statOffset;
    private long kpiOffset;
    private final Map<TopicPartition, Long> stored = new java.util.HashMap<>();

    BatchWriterIT(PostgresServer postgres) throws Exception {
        db = SinkDatabase.create(postgres, "batch_writer");
        partitions = new Partitions(db.database.dataSource());
    }

    @BeforeEach
    void catalog() throws Exception {
        db.addCatalog(List.of(CatalogEntry.of("accuracy", MetricType.ONLINE, "accuracy"),
                CatalogEntry.of("churn_rate", MetricType.BUSINESS, "churn_rate"),
                CatalogEntry.of("drift_feature_missing_rate", MetricType.DRIFT, "feature_missing_rate")));
    }

    @AfterEach
    void close() {
        db.close();
    }

    private Fact stat(String slice, String key, MetricType type, double value, long time) {
        return new Fact(Fact.Kind.STAT, "IntentClassifier", "v4", DAY, slice, type, key, value, time, STATS.topic(), 0, statOffset++);
    }

    private Fact kpi(String slice, String key, MetricType type, Double value, long time) {
        return new Fact(Fact.Kind.BUSINESS, "IntentClassifier", "v4", DAY, slice, type, key, value, time, KPIS.topic(), 0, kpiOffset++);
    }

    private BatchResult write(Fact... facts) throws Exception {
        List<Fact> list = List.of(facts);
        Map<TopicPartition, OffsetRange> offsets = new java.util.HashMap<>();
        for (Fact fact : list) {
            TopicPartition partition = new TopicPartition(fact.topic(), fact.partition());
            offsets.merge(partition, new OffsetRange(stored.getOrDefault(partition, -1L), fact.offset() + 1),
                    (a, b) -> new OffsetRange(a.expected(), Math.max(a.next(), b.next())));
        }
        partitions.ensureFor(list.stream().map(Fact::statDate).toList());
        BatchResult result;
        try (Connection connection = db.connection()) {
            result = writer.write(connection, new Batch(list, List.of(), offsets));
        }
        offsets.forEach((p, o) -> stored.put(p, o.next()));
        return result;
    }

    @Test
    void theLaterPublishedStatWinsWhateverOrderItArrivesIn() throws Exception {
        write(stat("ALL", "accuracy", MetricType.ONLINE, 0.90, 2_000));
        write(stat("ALL", "accuracy", MetricType.ONLINE, 0.80, 1_000));
        assertThat(db.stats()).containsExactly("IntentClassifier|v4|2025-04-26|ALL|ONLINE|accuracy|0.9");
        assertThat(db.legacy()).containsExactly("IntentClassifier|v4|2025-04-26|ALL|accuracy|0.9|null");

        write(stat("ALL", "accuracy", MetricType.ONLINE, 0.95, 3_000));
        assertThat(db.stats()).containsExactly("IntentClassifier|v4|2025-04-26|ALL|ONLINE|accuracy|0.95");
        assertThat(db.legacy()).containsExactly("IntentClassifier|v4|2025-04-26|ALL|accuracy|0.95|null");
    }

    @Test
    void withEqualTimestampsTheLaterOffsetWinsSoBothPathsAgree() throws Exception {
        write(stat("ALL", "accuracy", MetricType.ONLINE, 0.70, 5_000), stat("ALL", "accuracy", MetricType.ONLINE, 0.71, 5_000));
        assertThat(db.stats()).containsExactly("IntentClassifier|v4|2025-04-26|ALL|ONLINE|accuracy|0.71");
    }

    @Test
    void aNullBusinessValueWithdrawsTheKpiAndAnOlderValueCannotBringItBack() throws Exception {
        BatchResult both = write(stat("ALL", "churn_rate", MetricType.BUSINESS, 0.031, 1_000),
                kpi("ALL", "churn_rate", MetricType.BUSINESS, 1250.0, 1_000));
        assertThat(db.legacy()).containsExactly("IntentClassifier|v4|2025-04-26|ALL|churn_rate|0.031|1250");
        assertThat(both.legacyRows()).as("one legacy row, written once for the stat and the KPI together").isOne();

        BatchResult withdrawn = write(kpi("ALL", "churn_rate", MetricType.BUSINESS, null, 2_000));
        assertThat(withdrawn.businessWithdrawn()).isEqualTo(1);
        assertThat(db.business()).isEmpty();
        assertThat(db.legacy()).containsExactly("IntentClassifier|v4|2025-04-26|ALL|churn_rate|0.031|null");

        write(kpi("ALL", "churn_rate", MetricType.BUSINESS, 999.0, 1_500));
        assertThat(db.business()).as("an older value arriving late").isEmpty();
        assertThat(db.legacy()).containsExactly("IntentClassifier|v4|2025-04-26|ALL|churn_rate|0.031|null");

        write(kpi("ALL", "churn_rate", MetricType.BUSINESS, 1300.0, 3_000));
        assertThat(db.business()).containsExactly("IntentClassifier|v4|2025-04-26|ALL|BUSINESS|churn_rate|1300");
        assertThat(db.legacy()).containsExactly("IntentClassifier|v4|2025-04-26|ALL|churn_rate|0.031|1300");
    }

    /**
     * A stat and its KPI in one batch are written, with their legacy row, by one statement: where
     * only one of them wins "later wins", the legacy row takes the other side as stored; where
     * neither does, nothing is written; a KPI held back by a later withdrawal leaves the legacy row
     * without one.
     */
    @Test
    void aStatAndItsKpiInOneBatchWhereOnlyOneSideWinsKeepTheOtherSideAsStored() throws Exception {
        BatchResult first = write(stat("ALL", "churn_rate", MetricType.BUSINESS, 0.5, 2_000),
                kpi("ALL", "churn_rate", MetricType.BUSINESS, 100.0, 2_000));
        assertThat(db.legacy()).containsExactly("IntentClassifier|v4|2025-04-26|ALL|churn_rate|0.5|100");
        assertThat(first.legacyRows()).isOne();

        BatchResult kpiWins = write(stat("ALL", "churn_rate", MetricType.BUSINESS, 0.4, 1_000),
                kpi("ALL", "churn_rate", MetricType.BUSINESS, 200.0, 3_000));
        assertThat(db.stats()).containsExactly("IntentClassifier|v4|2025-04-26|ALL|BUSINESS|churn_rate|0.5");
        assertThat(db.legacy()).containsExactly("IntentClassifier|v4|2025-04-26|ALL|churn_rate|0.5|200");
        assertThat(kpiWins.statRows()).isZero();
        assertThat(kpiWins.legacyRows()).isOne();

        write(stat("ALL", "churn_rate", MetricType.BUSINESS, 0.6, 4_000), kpi("ALL", "churn_rate", MetricType.BUSINESS, 50.0, 1_500));
        assertThat(db.business()).containsExactly("IntentClassifier|v4|2025-04-26|ALL|BUSINESS|churn_rate|200");
        assertThat(db.legacy()).containsExactly("IntentClassifier|v4|2025-04-26|ALL|churn_rate|0.6|200");

        BatchResult neither = write(stat("ALL", "churn_rate", MetricType.BUSINESS, 0.1, 100),
                kpi("ALL", "churn_rate", MetricType.BUSINESS, 1.0, 100));
        assertThat(neither.legacyRows()).as("nothing changed, nothing rewritten").isZero();
        assertThat(db.legacy()).containsExactly("IntentClassifier|v4|2025-04-26|ALL|churn_rate|0.6|200");

        write(kpi("ALL", "churn_rate", MetricType.BUSINESS, null, 5_000));
        write(stat("ALL", "churn_rate", MetricType.BUSINESS, 0.7, 6_000), kpi("ALL", "churn_rate", MetricType.BUSINESS, 300.0, 4_500),
                stat("country=PL", "churn_rate", MetricType.BUSINESS, 0.2, 1_000), kpi("country=PL", "churn_rate", MetricType.BUSINESS, 7.0, 1_000));
        assertThat(db.legacy()).as("the older KPI stays withdrawn; a new key gets both sides").containsExactly(
                "IntentClassifier|v4|2025-04-26|ALL|churn_rate|0.7|null", "IntentClassifier|v4|2025-04-26|country=PL|churn_rate|0.2|7");
        assertThat(db.legacy()).isEqualTo(db.rows("SELECT model_name, model_version, stat_date, slice_key, metric_name, metric_value, "
                + "business_metric_value FROM ml_monitoring.model_stats_daily_legacy_rebuilt"));
    }

    @Test
    void aKpiThatArrivesBeforeItsStatJoinsTheLegacyRowWhenTheStatComes() throws Exception {
        write(kpi("country=PL", "churn_rate", MetricType.BUSINESS, 88.0, 1_000));
        assertThat(db.business()).hasSize(1);
        assertThat(db.legacy()).isEmpty();

        write(stat("country=PL", "churn_rate", MetricType.BUSINESS, 0.04, 1_000));
        assertThat(db.legacy()).containsExactly("IntentClassifier|v4|2025-04-26|country=PL|churn_rate|0.04|88");
    }

    @Test
    void theLegacyNameComesFromTheCatalog() throws Exception {
        write(stat("ALL", "feature_missing_rate", MetricType.DRIFT, 0.02, 1_000));
        assertThat(db.legacy()).containsExactly("IntentClassifier|v4|2025-04-26|ALL|drift_feature_missing_rate|0.02|null");
    }

    @Test
    void withDualWriteOffTheLegacyTableIsNotWritten() throws Exception {
        db.execute("UPDATE ml_monitoring.dual_write_state SET mode = 'OFF'");
        BatchResult result = write(stat("ALL", "accuracy", MetricType.ONLINE, 0.5, 1_000));
        assertThat(result.dualWrite()).isFalse();
        assertThat(result.legacyRows()).isZero();
        assertThat(db.stats()).hasSize(1);
        assertThat(db.legacy()).isEmpty();
    }

    @Test
    void offsetsAreStoredWithTheRowsAndAStaleWriterIsFencedOff() throws Exception {
        write(stat("ALL", "accuracy", MetricType.ONLINE, 0.5, 1_000), stat("A", "accuracy", MetricType.ONLINE, 0.6, 1_000));
        assertThat(db.offsets("test-sink")).containsExactly(Map.entry("model-stats.v2/0", 2L));

        Fact late = new Fact(Fact.Kind.STAT, "IntentClassifier", "v4", DAY, "B", MetricType.ONLINE, "accuracy", 0.7, 1_000,
                STATS.topic(), 0, 2);
        try (Connection connection = db.connection()) {
            assertThatThrownBy(() -> writer.write(connection, new Batch(List.of(late), List.of(),
                    Map.of(STATS, new OffsetRange(-1, 3)))))
                    .isInstanceOf(FencedException.class).hasMessageContaining("model-stats.v2-0");
        }
        assertThat(db.stats()).hasSize(2);
        assertThat(db.offsets("test-sink")).containsExactly(Map.entry("model-stats.v2/0", 2L));
    }

    @Test
    void writingTheSameRecordsAgainChangesNothing() throws Exception {
        Fact first = stat("ALL", "accuracy", MetricType.ONLINE, 0.5, 1_000);
        Fact kpi = kpi("ALL", "accuracy", MetricType.ONLINE, 7.0, 1_000);
        write(first, kpi);
        List<String> before = new ArrayList<>(db.rows("SELECT * FROM ml_monitoring.model_stats_daily_legacy"));
        stored.clear();
        db.execute("DELETE FROM ml_monitoring.sink_offsets");

        BatchResult again;
        try (Connection connection = db.connection()) {
            again = writer.write(connection, new Batch(List.of(first, kpi), List.of(),
                    Map.of(STATS, new OffsetRange(-1, first.offset() + 1), KPIS, new OffsetRange(-1, kpi.offset() + 1))));
        }
        assertThat(again.statRows()).isZero();
        assertThat(again.businessRows()).isZero();
        assertThat(again.legacyRows()).isZero();
        assertThat(db.rows("SELECT * FROM ml_monitoring.model_stats_daily_legacy")).isEqualTo(before);
    }

    @Test
    void sqlLookingStringsAreStoredVerbatim() throws Exception {
        String slice = "country=PL'); DROP TABLE ml_monitoring.model_stats_daily; --";
        db.addCatalog(List.of(CatalogEntry.of("x\"; DELETE FROM t; --", MetricType.ONLINE, "k' OR '1'='1")));
        write(stat(slice, "k' OR '1'='1", MetricType.ONLINE, 1.0, 1_000));
        assertThat(db.stats()).containsExactly("IntentClassifier|v4|2025-04-26|" + slice + "|ONLINE|k' OR '1'='1|1");
        assertThat(db.legacy()).containsExactly("IntentClassifier|v4|2025-04-26|" + slice + "|x\"; DELETE FROM t; --|1|null");
    }

    /**
     * With real arrays bound (a custom plan), the planner costs a key-by-key lookup as a probe of
     * every monthly partition and prefers hashing the whole business table for each batch of
     * withdrawals, a scan that grows with the history. The withdrawal must look its rows up by key.
     */
    @Test
    void withdrawalsLookTheirRowsUpByKeyInsteadOfScanningTheBusinessTable() throws Exception {
        List<LocalDate> year = new ArrayList<>();
        for (int month = 1; month <= 12; month++) {
            year.add(LocalDate.of(2025, month, 1));
        }
        partitions.ensureFor(year);
        db.execute("""
                INSERT INTO ml_monitoring.model_business_stats_daily
                       (model_name, model_version, stat_date, slice_key, metric_type, metric_key, business_metric_value,
                        event_time, source_offset, source_topic, source_partition, write_seq, updated_at)
                SELECT 'IntentClassifier', 'v4', date '2025-01-01' + (i % 365), 'seg=' || (i / 365), 'BUSINESS', 'churn_rate', i,
                       timestamptz 'epoch', i, 'history', 0, 0, now()
                FROM generate_series(0, 59999) i
                """);
        db.execute("ANALYZE ml_monitoring.model_business_stats_daily");
        List<Fact> withdrawals = new ArrayList<>();
        for (int seg = 0; seg < 160; seg++) {
            withdrawals.add(kpi("seg=" + seg, "churn_rate", MetricType.BUSINESS, null, 1_000 + seg));
        }
        Map<TopicPartition, OffsetRange> offsets = Map.of(KPIS, new OffsetRange(-1, kpiOffset));
        long[] scans = new long[2];
        BatchResult result;
        try (Connection connection = DriverManager.getConnection(db.jdbcUrl)) {
            connection.setAutoCommit(false);
            // Just before the batch commits, on its connection: the scans its transaction made.
            Connection observed = (Connection) Proxy.newProxyInstance(getClass().getClassLoader(),
                    new Class<?>[] {Connection.class}, (proxy, method, args) -> {
                        if (method.getName().equals("commit")) {
                            long[] counted = businessScans(connection);
                            System.arraycopy(counted, 0, scans, 0, 2);
                        }
                        try {
                            return method.invoke(connection, args);
                        } catch (InvocationTargetException e) {
                            throw e.getCause();
                        }
                    });
            result = writer.write(observed, new Batch(withdrawals, List.of(), offsets));
        }

        assertThat(result.businessWithdrawn()).isEqualTo(160);
        assertThat(db.rows("SELECT slice_key FROM ml_monitoring.model_business_stats_daily WHERE stat_date = '" + DAY + "' ORDER BY 1"))
                .as("the history of that day had slices seg=0..164").containsExactly("seg=160", "seg=161", "seg=162", "seg=163", "seg=164");
        assertThat(scans[1]).as("index scans of the business table's partitions in the batch").isPositive();
        assertThat(scans[0]).as("sequential scans of the business table's partitions in the batch").isZero();
    }

    /** {sequential scans, index scans} of the business table's partitions in the current transaction. */
    private static long[] businessScans(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement();
                ResultSet row = statement.executeQuery("SELECT coalesce(sum(seq_scan), 0), coalesce(sum(idx_scan), 0) "
                        + "FROM pg_stat_xact_user_tables WHERE schemaname = 'ml_monitoring' "
                        + "AND relname LIKE 'model\\_business\\_stats\\_daily\\_%'")) {
            row.next();
            return new long[] {row.getLong(1), row.getLong(2)};
        }
    }

    @Test
    void rowsLandInMonthlyPartitions() throws Exception {
        write(new Fact(Fact.Kind.STAT, "m", "v1", LocalDate.of(2031, 2, 3), "ALL", MetricType.ONLINE, "accuracy", 0.5, 1, STATS.topic(), 0, statOffset++));
        assertThat(db.rows("SELECT tableoid::regclass::text FROM ml_monitoring.model_stats_daily"))
                .containsExactly("ml_monitoring.model_stats_daily_2031_02");
        assertThat(db.rows("SELECT tableoid::regclass::text FROM ml_monitoring.model_stats_daily_legacy"))
                .containsExactly("ml_monitoring.model_stats_daily_legacy_2031_02");
    }
}

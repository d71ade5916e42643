package statbridge.sink.dualwrite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDate;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import statbridge.catalog.CatalogEntry;
import statbridge.sink.SinkDatabase;
import statbridge.sink.db.Partitions;
import statbridge.sink.offsets.OffsetRange;
import statbridge.sink.writer.Batch;
import statbridge.sink.writer.BatchWriter;
import statbridge.sink.writer.Fact;
import statbridge.testing.PostgresServer;
import statbridge.testing.RealInfrastructure;
import statbridge.v2.MetricType;

/** The dual-write switch on a real PostgreSQL. */
@ExtendWith(RealInfrastructure.class)
class DualWriteSwitchIT {

    private static final AtomicInteger ROLES = new AtomicInteger();
    private static final String LEGACY_ALL = "SELECT * FROM ml_monitoring.model_stats_daily_legacy";

    private final PostgresServer postgres;
    private final SinkDatabase db;
    private final DualWriteSwitch dualWrite;
    private final BatchWriter writer = new BatchWriter("switch-test");
    private final Partitions partitions;
    private final Map<TopicPartition, Long> stored = new HashMap<>();
    private long offset;

    DualWriteSwitchIT(PostgresServer postgres) throws Exception {
        this.postgres = postgres;
        this.db = SinkDatabase.create(postgres, "dual_write");
        this.dualWrite = new DualWriteSwitch(db.database.dataSource());
        this.partitions = new Partitions(db.database.dataSource());
        db.addCatalog(List.of(CatalogEntry.of("accuracy", MetricType.ONLINE, "accuracy"),
                CatalogEntry.of("churn_rate", MetricType.BUSINESS, "churn_rate")));
    }

    @AfterEach
    void close() {
        db.close();
    }

    private void write(Fact... facts) throws Exception {
        TopicPartition partition = new TopicPartition("t", 0);
        long expected = stored.getOrDefault(partition, -1L);
        partitions.ensureFor(java.util.Arrays.stream(facts).map(Fact::statDate).toList());
        try (Connection connection = db.connection()) {
            writer.write(connection, new Batch(List.of(facts), List.of(), Map.of(partition, new OffsetRange(expected, offset))));
        }
        stored.put(partition, offset);
    }

    private Fact fact(Fact.Kind kind, String slice, LocalDate day, String key, MetricType type, Double value) {
        offset++;
        return new Fact(kind, "ChurnPredictor", "v3", day, slice, type, key, value, offset * 10, "t", 0, offset);
    }

    private void history() throws Exception {
        for (int d = 0; d < 5; d++) {
            LocalDate day = LocalDate.of(2025, 4, 20).plusDays(d);
            write(fact(Fact.Kind.STAT, "ALL", day, "accuracy", MetricType.ONLINE, 0.9 - d / 100.0),
                    fact(Fact.Kind.STAT, "ALL", day, "churn_rate", MetricType.BUSINESS, 0.03 + d / 1000.0),
                    fact(Fact.Kind.BUSINESS, "ALL", day, "churn_rate", MetricType.BUSINESS, 1000.0 + d));
        }
    }

    @Test
    void offRefusesWhenTheShapesDisagreeAndAForcedSwitchIsRecordedAsSuch() throws Exception {
        history();
        db.execute("UPDATE ml_monitoring.model_stats_daily_legacy SET metric_value = 0.5 WHERE stat_date = '2025-04-21' AND metric_name = 'accuracy'");
        db.execute("DELETE FROM ml_monitoring.model_stats_daily_legacy WHERE stat_date = '2025-04-22' AND metric_name = 'accuracy'");

        assertThatThrownBy(() -> dualWrite.off("ops@test", "grace over", false))
                .isInstanceOfSatisfying(ParityMismatchException.class, e -> {
                    assertThat(e.result().differing()).isEqualTo(1);
                    assertThat(e.result().missingInLegacy()).isEqualTo(1);
                    assertThat(e.result().missingInNew()).isZero();
                });
        DualWriteStatus refused = dualWrite.status(10);
        assertThat(refused.on()).isTrue();
        assertThat(refused.lastParity()).get().satisfies(p -> assertThat(p.ok()).isFalse());

        DualWriteSwitch.SwitchResult forced = dualWrite.off("ops@test", "incident 42", true);

        assertThat(forced.changed()).isTrue();
        DualWriteStatus status = dualWrite.status(10);
        assertThat(status.on()).isFalse();
        assertThat(status.forced()).isTrue();
        assertThat(status.changedBy()).isEqualTo("ops@test");
        assertThat(status.reason()).contains("incident 42", "FORCED");
        assertThat(status.history().get(0).mode()).isEqualTo("OFF");
        assertThat(status.history().get(0).forced()).isTrue();
    }

    @Test
    void atTheEndOfTheGracePeriodTheWatchSwitchesOffOnlyWhenParityHoldsAndCountsARefusal() throws Exception {
        history();
        db.execute("UPDATE ml_monitoring.model_stats_daily_legacy SET metric_value = 0.5 WHERE stat_date = '2025-04-21' AND metric_name = 'accuracy'");
        java.time.Instant end = java.time.Instant.parse("2026-01-01T00:00:00Z");
        dualWrite.configureGracePeriod(end, GraceAction.SWITCH_OFF, "test");
        List<String> heard = new java.util.ArrayList<>();
        GracePeriodWatch.Listener listener = new GracePeriodWatch.Listener() {
            @Override
            public void dualWrite(boolean on) {
                heard.add(on ? "on" : "off");
            }

            @Override
            public void parity(ParityResult result) {
                heard.add("parity " + result.ok());
            }

            @Override
            public void switchOffRefused() {
                heard.add("refused");
            }
        };
        try (GracePeriodWatch watch = new GracePeriodWatch(dualWrite, listener, java.time.Duration.ofMinutes(10))) {
            watch.check(end.minusSeconds(1));
            assertThat(heard).as("before the end: nothing to do").containsExactly("on");
            assertThat(dualWrite.status(0).on()).isTrue();

            heard.clear();
            watch.check(end.plusSeconds(1));
            assertThat(heard).as("parity fails: dual-write stays on, and the refusal is counted").containsExactly("on", "refused");
            assertThat(dualWrite.status(0).on()).isTrue();

            db.execute("UPDATE ml_monitoring.model_stats_daily_legacy SET metric_value = 0.89 WHERE stat_date = '2025-04-21' AND metric_name = 'accuracy'");
            heard.clear();
            watch.check(end.plusSeconds(60));
            assertThat(heard).contains("off").doesNotContain("refused");
            DualWriteStatus status = dualWrite.status(10);
            assertThat(status.on()).isFalse();
            assertThat(status.changedBy()).isEqualTo("sink (grace period ended)");
        }
    }

    @Test
    void offPutsAViewWithTheSameNameColumnsAndRowsInPlaceOfTheTable() throws Exception {
        history();
        List<String> columnsBefore = db.rows("SELECT ordinal_position || ':' || column_name || ':' || data_type FROM information_schema.columns "
                + "WHERE table_schema = 'ml_monitoring' AND table_name = 'model_stats_daily_legacy'");
        List<String> rowsBefore = db.rows(LEGACY_ALL);
        assertThat(rowsBefore).hasSize(10);

        DualWriteSwitch.SwitchResult result = dualWrite.off("ops@test", "grace over", false);

        assertThat(result.parity().ok()).isTrue();
        assertThat(db.rows("SELECT relkind::text FROM pg_class WHERE oid = 'ml_monitoring.model_stats_daily_legacy'::regclass"))
                .containsExactly("v");
        assertThat(db.rows("SELECT ordinal_position || ':' || column_name || ':' || data_type FROM information_schema.columns "
                + "WHERE table_schema = 'ml_monitoring' AND table_name = 'model_stats_daily_legacy'")).isEqualTo(columnsBefore);
        assertThat(db.rows(LEGACY_ALL)).isEqualTo(rowsBefore);
        assertThat(db.rows("SELECT count(*) FROM ml_monitoring.model_stats_daily_legacy_archive")).containsExactly("10");
    }

    @Test
    void onRebuildsWhatWasWrittenWhileOffSoTheLegacyTableHasNoGap() throws Exception {
        history();
        dualWrite.off("ops@test", "try the new shape", false);
        LocalDate newDay = LocalDate.of(2025, 6, 2);
        write(fact(Fact.Kind.STAT, "ALL", newDay, "accuracy", MetricType.ONLINE, 0.77),
                fact(Fact.Kind.STAT, "ALL", LocalDate.of(2025, 4, 20), "accuracy", MetricType.ONLINE, 0.66),
                fact(Fact.Kind.BUSINESS, "ALL", LocalDate.of(2025, 4, 21), "churn_rate", MetricType.BUSINESS, null));
        List<String> viewWhileOff = db.rows(LEGACY_ALL);
        assertThat(viewWhileOff).hasSize(11);

        DualWriteSwitch.SwitchResult on = dualWrite.on("ops@test", "dashboards broke");

        assertThat(on.rowsRebuilt()).isEqualTo(3);
        assertThat(db.rows("SELECT relkind::text FROM pg_class WHERE oid = 'ml_monitoring.model_stats_daily_legacy'::regclass"))
                .containsExactly("p");
        assertThat(db.rows(LEGACY_ALL)).isEqualTo(viewWhileOff);
        assertThat(db.rows(LEGACY_ALL)).anySatisfy(row -> assertThat(row).startsWith("ChurnPredictor|v3|2025-06-02|ALL|accuracy|0.77|"));
        assertThat(dualWrite.checkParity().ok()).isTrue();
        DualWriteStatus status = dualWrite.status(5);
        assertThat(status.on()).isTrue();
        assertThat(status.history()).extracting(DualWriteStatus.Change::mode).startsWith("ON", "OFF");
        assertThat(status.history().get(0).rowsRebuilt()).isEqualTo(3L);
    }

    @Test
    void switchingIsIdempotent() throws Exception {
        assertThat(dualWrite.on("ops", "already on").changed()).isFalse();
        assertThat(dualWrite.off("ops", "x", false).changed()).isTrue();
        assertThat(dualWrite.off("ops", "x", false).changed()).isFalse();
    }

    @Test
    void theReaderRoleReadsBothShapesInEitherStateAndCannotWrite() throws Exception {
        history();
        String analyst = "analyst_" + ROLES.incrementAndGet() + "_" + System.nanoTime();
        db.execute("CREATE ROLE " + analyst + " LOGIN IN ROLE ml_monitoring_reader");
        String url = db.jdbcUrl.replace("user=postgres", "user=" + analyst);
        try (Connection reader = DriverManager.getConnection(url); Statement statement = reader.createStatement()) {
            for (String table : List.of("model_stats_daily", "model_business_stats_daily", "model_stats_daily_legacy", "metric_catalog")) {
                statement.executeQuery("SELECT count(*) FROM ml_monitoring." + table).close();
            }
            assertThatThrownBy(() -> statement.executeUpdate("INSERT INTO ml_monitoring.metric_catalog VALUES ('x', 'ONLINE', 'x')"))
                    .isInstanceOf(SQLException.class).hasMessageContaining("permission denied");
            assertThatThrownBy(() -> statement.executeUpdate("DELETE FROM ml_monitoring.model_stats_daily_legacy"))
                    .isInstanceOf(SQLException.class).hasMessageContaining("permission denied");
            assertThatThrownBy(() -> statement.executeQuery("SELECT * FROM ml_monitoring.sink_offsets"))
                    .isInstanceOf(SQLException.class).hasMessageContaining("permission denied");

            dualWrite.off("ops", "x", false);

            statement.executeQuery("SELECT count(*) FROM ml_monitoring.model_stats_daily_legacy").close();
            assertThatThrownBy(() -> statement.executeQuery("SELECT * FROM ml_monitoring.model_stats_daily_legacy_archive"))
                    .isInstanceOf(SQLException.class).hasMessageContaining("permission denied");

            dualWrite.on("ops", "x");

            statement.executeQuery("SELECT count(*) FROM ml_monitoring.model_stats_daily_legacy").close();
        }
    }

    @Test
    void theGracePeriodIsRecordedWithItsAction() throws Exception {
        Instant end = Instant.parse("2026-12-31T00:00:00Z");
        assertThat(dualWrite.configureGracePeriod(end, GraceAction.SWITCH_OFF, "sink configuration")).isTrue();
        assertThat(dualWrite.configureGracePeriod(end, GraceAction.SWITCH_OFF, "sink configuration")).isFalse();

        DualWriteStatus status = dualWrite.status(5);
        assertThat(status.gracePeriodEnd()).isEqualTo(end);
        assertThat(status.onGraceEnd()).isEqualTo(GraceAction.SWITCH_OFF);
        assertThat(status.timeLeft(Instant.parse("2026-12-30T00:00:00Z"))).contains(java.time.Duration.ofDays(1));
    }
}

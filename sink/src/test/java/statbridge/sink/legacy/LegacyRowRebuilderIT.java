package statbridge.sink.legacy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.LocalDate;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import statbridge.catalog.CatalogEntry;
import statbridge.sink.SinkDatabase;
import statbridge.sink.db.Partitions;
import statbridge.sink.legacy.LegacyRowRebuilder.Side;
import statbridge.testing.PostgresServer;
import statbridge.testing.RealInfrastructure;
import statbridge.v2.MetricType;

/**
 * The one rebuild fragment, in each of its forms, against the view that defines the legacy shape
 * ({@code model_stats_daily_legacy_rebuilt}) on a real PostgreSQL: a stat with its KPI, a stat
 * without one, a KPI without its stat, a key the catalog lacks.
 */
@ExtendWith(RealInfrastructure.class)
class LegacyRowRebuilderIT {

    private static final String LEGACY_COLUMNS = "model_name, model_version, stat_date, slice_key, metric_name, metric_value, "
            + "business_metric_value, updated_at";
    private static final String KEYS = "model_name, model_version, stat_date, slice_key, metric_type, metric_key";
    private static final String VIEW = "SELECT " + LEGACY_COLUMNS + " FROM ml_monitoring.model_stats_daily_legacy_rebuilt";

    private final SinkDatabase db;

    LegacyRowRebuilderIT(PostgresServer postgres) throws Exception {
        db = SinkDatabase.create(postgres, "legacy_rebuilder");
    }

    @BeforeEach
    void rows() throws Exception {
        db.addCatalog(List.of(CatalogEntry.of("accuracy", MetricType.ONLINE, "accuracy"),
                CatalogEntry.of("churn_rate", MetricType.BUSINESS, "churn_rate")));
        new Partitions(db.database.dataSource()).ensureFor(List.of(LocalDate.of(2026, 3, 1), LocalDate.of(2026, 4, 1)));
        db.execute("""
                INSERT INTO ml_monitoring.model_stats_daily
                       (model_name, model_version, stat_date, slice_key, metric_type, metric_key, metric_value, event_time, write_seq, updated_at)
                VALUES ('IntentClassifier', 'v4', '2026-03-01', 'ALL', 'BUSINESS', 'churn_rate', 0.031, now(), 1, '2026-03-02T00:00:00Z'),
                       ('IntentClassifier', 'v4', '2026-03-01', 'ALL', 'ONLINE', 'accuracy', 0.91, now(), 1, '2026-03-02T00:00:00Z'),
                       ('IntentClassifier', 'v4', '2026-04-01', 'EU', 'BUSINESS', 'churn_rate', 0.05, now(), 2, '2026-04-02T00:00:00Z'),
                       ('IntentClassifier', 'v4', '2026-04-01', 'ALL', 'ONLINE', 'not_in_catalog', 0.5, now(), 2, '2026-04-02T00:00:00Z');
                INSERT INTO ml_monitoring.model_business_stats_daily
                       (model_name, model_version, stat_date, slice_key, metric_type, metric_key, business_metric_value, event_time, write_seq, updated_at)
                VALUES ('IntentClassifier', 'v4', '2026-03-01', 'ALL', 'BUSINESS', 'churn_rate', 1250, now(), 3, '2026-03-05T00:00:00Z'),
                       ('IntentClassifier', 'v4', '2026-04-01', 'US', 'BUSINESS', 'churn_rate', 980, now(), 3, '2026-04-05T00:00:00Z');
                """);
    }

    @AfterEach
    void close() {
        db.close();
    }

    /** The rows of {@code rebuilt} that the view lacks, and those of the view that {@code rebuilt} lacks. */
    private List<String> differences(String rebuilt, String view) throws Exception {
        return db.rows("(" + rebuilt + " EXCEPT " + view + ") UNION ALL (" + view + " EXCEPT " + rebuilt + ")");
    }

    @Test
    void theViewHasTheRowsTheseTestsCompareAgainst() throws Exception {
        assertThat(db.rows("SELECT model_name, stat_date, slice_key, metric_name, metric_value, business_metric_value FROM ("
                + VIEW + ") v")).containsExactly(
                        "IntentClassifier|2026-03-01|ALL|accuracy|0.91|null",
                        "IntentClassifier|2026-03-01|ALL|churn_rate|0.031|1250",
                        "IntentClassifier|2026-04-01|EU|churn_rate|0.05|null");
    }

    @Test
    void lookingBothSidesUpByKeyGivesTheView() throws Exception {
        String keys = "(SELECT " + KEYS + " FROM ml_monitoring.model_stats_daily UNION SELECT " + KEYS
                + " FROM ml_monitoring.model_business_stats_daily) k";
        assertThat(differences(LegacyRowRebuilder.rebuild(keys, "k", Side.LOOKUP, Side.LOOKUP), VIEW)).isEmpty();
    }

    @Test
    void theStatGivenByTheChangingStatementGivesTheView() throws Exception {
        String changed = "(SELECT " + KEYS + ", metric_value, updated_at FROM ml_monitoring.model_stats_daily) w";
        assertThat(differences(LegacyRowRebuilder.rebuild(changed, "w", Side.GIVEN, Side.LOOKUP), VIEW)).isEmpty();
    }

    @Test
    void theKpiGivenByTheChangingStatementGivesTheViewForKeysWithAKpi() throws Exception {
        String changed = "(SELECT " + KEYS + ", business_metric_value, updated_at FROM ml_monitoring.model_business_stats_daily) w";
        assertThat(differences(LegacyRowRebuilder.rebuild(changed, "w", Side.LOOKUP, Side.GIVEN),
                VIEW + " WHERE business_metric_value IS NOT NULL")).isEmpty();
    }

    @Test
    void aWithdrawnKpiGivesTheViewOnceTheKpiIsGone() throws Exception {
        db.execute("DELETE FROM ml_monitoring.model_business_stats_daily WHERE slice_key = 'ALL'");
        String withdrawn = "(SELECT 'IntentClassifier'::text AS model_name, 'v4'::text AS model_version, date '2026-03-01' AS stat_date, "
                + "'ALL'::text AS slice_key, 'BUSINESS'::text AS metric_type, 'churn_rate'::text AS metric_key) w";
        assertThat(differences(LegacyRowRebuilder.rebuild(withdrawn, "w", Side.LOOKUP, Side.NONE),
                VIEW + " WHERE slice_key = 'ALL' AND metric_name = 'churn_rate'")).isEmpty();
        assertThat(db.rows(LegacyRowRebuilder.rebuild(withdrawn, "w", Side.LOOKUP, Side.NONE))).hasSize(1);
    }

    @Test
    void theSinceWriteSeqRebuildWritesWhatTheViewSays() throws Exception {
        try (var connection = db.connection()) {
            assertThat(LegacyRowRebuilder.rebuildSince(connection, 0)).isEqualTo(3);
            connection.commit();
        }
        assertThat(differences("SELECT " + LEGACY_COLUMNS + " FROM ml_monitoring.model_stats_daily_legacy", VIEW)).isEmpty();
        try (var connection = db.connection()) {
            assertThat(LegacyRowRebuilder.rebuildSince(connection, 0)).as("a rebuild that changes nothing writes nothing").isZero();
            connection.commit();
        }
    }

    /**
     * Switching dual-write back on rewrites the legacy rows of what was written while it was off.
     * The work must follow those rows: it may read the new tables once to find them, then look each
     * up, but not go over the history again for every partition or merge it in whole (the former
     * statement did both, depending on the plan the statistics gave).
     */
    @Test
    void theRebuildAfterTheSwitchFollowsTheRowsWrittenSinceNotTheHistory() throws Exception {
        new Partitions(db.database.dataSource()).ensureFor(List.of(LocalDate.of(2025, 1, 1), LocalDate.of(2025, 2, 1), LocalDate.of(2025, 3, 1)));
        for (String table : List.of("model_stats_daily", "model_business_stats_daily")) {
            db.execute("""
                    INSERT INTO ml_monitoring.%s
                           (model_name, model_version, stat_date, slice_key, metric_type, metric_key, %s,
                            event_time, source_offset, source_topic, source_partition, write_seq, updated_at)
                    SELECT 'IntentClassifier', 'v4', date '2025-01-01' + (i %% 90), 'seg=' || (i / 90), 'BUSINESS', 'churn_rate', i,
                           timestamptz 'epoch', i, 'history', 0, i / 1000, now()
                    FROM generate_series(0, 199999) i
                    """.formatted(table, table.equals("model_stats_daily") ? "metric_value" : "business_metric_value"));
        }
        db.execute("ANALYZE ml_monitoring.model_stats_daily, ml_monitoring.model_business_stats_daily");
        String explain;
        int rebuilt;
        try (Connection connection = db.connection()) {
            try (PreparedStatement statement = connection.prepareStatement(
                    "EXPLAIN (ANALYZE, FORMAT JSON) " + LegacyRowRebuilder.SINCE_WRITE_SEQ)) {
                for (int p = 1; p <= 3; p++) {
                    statement.setLong(p, 197);
                }
                try (ResultSet plan = statement.executeQuery()) {
                    plan.next();
                    explain = plan.getString(1);
                }
            }
            connection.rollback();
            rebuilt = LegacyRowRebuilder.rebuildSince(connection, 197);
            connection.commit();
        }
        assertThat(rebuilt).isEqualTo(2_000);
        assertThat(db.rows("""
                SELECT count(*) FROM ml_monitoring.model_stats_daily_legacy l
                JOIN ml_monitoring.model_stats_daily_legacy_rebuilt r USING (model_name, model_version, stat_date, slice_key, metric_name)
                WHERE r.metric_value = l.metric_value AND r.business_metric_value = l.business_metric_value
                  AND l.metric_value >= 198000""")).as("the rows written since, as the rebuild says").containsExactly("2000");
        assertThat(db.rows("SELECT count(*) FROM ml_monitoring.model_stats_daily_legacy")).as("nothing from the history").containsExactly("2000");
        long read = rowsRead(new ObjectMapper().readTree(explain).get(0).get("Plan"));
        assertThat(read).as("rows the rebuild read: the new tables once (400,000 rows) and a lookup per key written since")
                .isBetween(400_000L, 400_000L + 3 * 2_000L + 100L);
    }

    /** Rows each scan of the plan read (returned or filtered out), times the times it ran. */
    private static long rowsRead(JsonNode node) {
        long rows = 0;
        if (node.get("Node Type").asText().contains("Scan") && node.has("Relation Name")) {
            rows += (node.get("Actual Rows").asLong() + node.path("Rows Removed by Filter").asLong()) * node.get("Actual Loops").asLong();
        }
        for (JsonNode child : node.path("Plans")) {
            rows += rowsRead(child);
        }
        return rows;
    }

}

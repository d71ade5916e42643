package statbridge.tools.migration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import statbridge.catalog.CatalogEntry;
import statbridge.sink.SinkDatabase;
import statbridge.sink.dualwrite.DualWriteSwitch;
import statbridge.sink.dualwrite.ParitySelection;
import statbridge.testing.PostgresServer;
import statbridge.testing.RealInfrastructure;
import statbridge.v2.MetricType;

/** backfill, verify and purge-legacy on a real PostgreSQL. */
@ExtendWith(RealInfrastructure.class)
class MigrationToolsIT {

    private static final List<CatalogEntry> CATALOG = List.of(CatalogEntry.of("accuracy", MetricType.ONLINE, "accuracy"),
            CatalogEntry.of("churn_rate", MetricType.BUSINESS, "churn_rate"),
            CatalogEntry.of("psi_country", MetricType.DRIFT, "psi_country"));
    private static final String NEW_ROWS = "SELECT model_name, model_version, stat_date, slice_key, metric_type, metric_key, "
            + "metric_value FROM ml_monitoring.model_stats_daily";
    private static final String NEW_KPIS = "SELECT model_name, model_version, stat_date, slice_key, metric_type, metric_key, "
            + "business_metric_value FROM ml_monitoring.model_business_stats_daily";

    private final PostgresServer postgres;
    private final List<SinkDatabase> opened = new ArrayList<>();

    MigrationToolsIT(PostgresServer postgres) {
        this.postgres = postgres;
    }

    @AfterEach
    void close() {
        opened.forEach(SinkDatabase::close);
    }

    /** A database holding legacy history that predates the pipeline: 3 models x 2 versions x 40 days x 2 slices x 4 names. */
    private SinkDatabase history() throws Exception {
        SinkDatabase db = SinkDatabase.create(postgres, "migration");
        opened.add(db);
        db.addCatalog(CATALOG);
        // Only the legacy table has partitions for this history: backfill creates the new tables' own.
        db.execute("SELECT ml_monitoring.ensure_month_partition('model_stats_daily_legacy', (date '2024-01-01' + m * interval '1 month')::date) "
                + "FROM generate_series(0, 2) m");
        db.execute("""
                INSERT INTO ml_monitoring.model_stats_daily_legacy (model_name, model_version, stat_date, slice_key, metric_name,
                                                                    metric_value, business_metric_value)
                SELECT 'Model' || m, 'v' || v, date '2024-01-01' + d, 'slice' || s, n,
                       m * 1000 + v * 100 + d + s / 10.0, CASE WHEN n = 'churn_rate' THEN d * 2.5 END
                FROM generate_series(1, 3) m, generate_series(1, 2) v, generate_series(0, 39) d, generate_series(0, 1) s,
                     unnest(ARRAY['accuracy', 'churn_rate', 'psi_country', 'old_metric']) n
                """);
        return db;
    }

    @Test
    void legacyToNewCopiesHistoryIsIdempotentAndReportsUnmappedNames() throws Exception {
        SinkDatabase db = history();
        Backfill backfill = new Backfill(db.database.dataSource());

        Backfill.Result dry = backfill.run(Backfill.Direction.LEGACY_TO_NEW, ParitySelection.all(), 100, true, p -> { });
        assertThat(dry.total()).isEqualTo(3 * 2 * 40 * 2 * 4);
        assertThat(dry.unmapped()).containsExactly(Map.entry("old_metric", 480L));
        assertThat(db.rows(NEW_ROWS)).isEmpty();

        Backfill.Result first = backfill.run(Backfill.Direction.LEGACY_TO_NEW, ParitySelection.all(), 100, false, p -> { });
        assertThat(first.read()).isEqualTo(1920);
        assertThat(first.skipped()).isEqualTo(480);
        assertThat(first.written()).isEqualTo(1440 + 480);
        assertThat(db.rows(NEW_ROWS)).hasSize(1440)
                .contains("Model2|v1|2024-01-05|slice1|DRIFT|psi_country|2104.1");
        assertThat(db.rows(NEW_KPIS)).hasSize(480).contains("Model2|v1|2024-01-05|slice1|BUSINESS|churn_rate|10");

        List<String> before = db.rows(NEW_ROWS);
        Backfill.Result second = backfill.run(Backfill.Direction.LEGACY_TO_NEW, ParitySelection.all(), 100, false, p -> { });
        assertThat(second.written()).as("a second run changes nothing").isZero();
        assertThat(db.rows(NEW_ROWS)).isEqualTo(before);
    }

    @Test
    void legacyToNewNeverOverwritesWhatTheSinkWroteNorResurrectsAWithdrawnKpi() throws Exception {
        SinkDatabase db = history();
        db.execute("SELECT ml_monitoring.ensure_month_partitions('2024-01-01', '2024-01-01')"); // as the sink does before it writes
        db.execute("""
                INSERT INTO ml_monitoring.model_stats_daily (model_name, model_version, stat_date, slice_key, metric_type, metric_key,
                                                             metric_value, event_time, source_offset, source_topic, source_partition, write_seq)
                VALUES ('Model1', 'v1', '2024-01-01', 'slice0', 'ONLINE', 'accuracy', 0.999, '2024-01-02', 17, 'model-stats.v2', 0, 1)
                """);
        db.execute("""
                INSERT INTO ml_monitoring.business_withdrawals (model_name, model_version, stat_date, slice_key, metric_type, metric_key,
                                                                event_time, source_offset, write_seq)
                VALUES ('Model1', 'v1', '2024-01-02', 'slice0', 'BUSINESS', 'churn_rate', '2024-01-03', 18, 1)
                """);

        new Backfill(db.database.dataSource()).run(Backfill.Direction.LEGACY_TO_NEW, ParitySelection.all(), 500, false, p -> { });

        assertThat(db.rows(NEW_ROWS)).contains("Model1|v1|2024-01-01|slice0|ONLINE|accuracy|0.999");
        assertThat(db.rows(NEW_KPIS)).noneMatch(r -> r.startsWith("Model1|v1|2024-01-02|slice0|BUSINESS|churn_rate"));
    }

    @Test
    void selectionFlagsSelectExactly() throws Exception {
        SinkDatabase db = history();
        ParitySelection selection = new ParitySelection(List.of("Model2"), List.of("v2"), LocalDate.of(2024, 1, 10),
                LocalDate.of(2024, 1, 19));

        Backfill.Result result = new Backfill(db.database.dataSource()).run(Backfill.Direction.LEGACY_TO_NEW, selection, 7,
                false, p -> { });

        assertThat(result.read()).isEqualTo(10 * 2 * 4);
        assertThat(db.rows("SELECT DISTINCT model_name || '/' || model_version FROM ml_monitoring.model_stats_daily"))
                .containsExactly("Model2/v2");
        assertThat(db.rows("SELECT min(stat_date) || '..' || max(stat_date) FROM ml_monitoring.model_stats_daily"))
                .containsExactly("2024-01-10..2024-01-19");
    }

    @Test
    void anInterruptedBackfillResumesFromItsCheckpointAndEndsWithTheSameTables() throws Exception {
        SinkDatabase interrupted = history();
        SinkDatabase uninterrupted = history();
        AtomicInteger chunks = new AtomicInteger();
        Backfill backfill = new Backfill(interrupted.database.dataSource());

        assertThatThrownBy(() -> backfill.run(Backfill.Direction.LEGACY_TO_NEW, ParitySelection.all(), 64, false, p -> {
            if (chunks.incrementAndGet() == 5) {
                throw new IllegalStateException("killed");
            }
        })).hasMessage("killed");
        assertThat(interrupted.rows(NEW_ROWS)).hasSizeBetween(1, 1439);

        Backfill.Result resumed = backfill.run(Backfill.Direction.LEGACY_TO_NEW, ParitySelection.all(), 64, false, p -> { });
        new Backfill(uninterrupted.database.dataSource()).run(Backfill.Direction.LEGACY_TO_NEW, ParitySelection.all(), 1000,
                false, p -> { });

        assertThat(resumed.resumed()).isTrue();
        assertThat(resumed.read()).isEqualTo(1920);
        assertThat(interrupted.rows(NEW_ROWS)).isEqualTo(uninterrupted.rows(NEW_ROWS));
        assertThat(interrupted.rows(NEW_KPIS)).isEqualTo(uninterrupted.rows(NEW_KPIS));
    }

    @Test
    void monthsAreCopiedSideBySideEachWithItsOwnCheckpointAndGiveTheSameTablesAsOneWorker() throws Exception {
        SinkDatabase parallel = history();
        SinkDatabase serial = history();
        Backfill.Result three = new Backfill(parallel.database.dataSource()).run(Backfill.Direction.LEGACY_TO_NEW,
                ParitySelection.all(), 50, 3, false, p -> { });
        Backfill.Result one = new Backfill(serial.database.dataSource()).run(Backfill.Direction.LEGACY_TO_NEW,
                ParitySelection.all(), 50, 1, false, p -> { });

        assertThat(three.read()).isEqualTo(one.read()).isEqualTo(1920);
        assertThat(three.written()).isEqualTo(one.written());
        assertThat(parallel.rows(NEW_ROWS)).isEqualTo(serial.rows(NEW_ROWS)).hasSize(1440);
        assertThat(parallel.rows(NEW_KPIS)).isEqualTo(serial.rows(NEW_KPIS));
        // 40 days from 2024-01-01: January and February, each a run of its own, both finished.
        assertThat(parallel.rows("SELECT selection || ' ' || (finished_at IS NOT NULL) || ' ' || rows_read "
                + "FROM ml_monitoring.backfill_runs ORDER BY id")).containsExactlyInAnyOrder(
                "dates 2024-01-01..2024-01-31 true 1488", "dates 2024-02-01..2024-02-29 true 432");
    }

    @Test
    void verifyFindsEveryKindOfDifferenceAndNewToLegacyRepairsThem() throws Exception {
        SinkDatabase db = history();
        db.execute("DELETE FROM ml_monitoring.model_stats_daily_legacy WHERE metric_name = 'old_metric'");
        new Backfill(db.database.dataSource()).run(Backfill.Direction.LEGACY_TO_NEW, ParitySelection.all(), 1000, false, p -> { });
        Verify verify = new Verify(db.database.dataSource());
        assertThat(verify.run(ParitySelection.all(), 5).counts().ok()).isTrue();

        db.execute("UPDATE ml_monitoring.model_stats_daily_legacy SET metric_value = -1 WHERE model_name = 'Model1' "
                + "AND model_version = 'v1' AND stat_date = '2024-01-03' AND slice_key = 'slice0' AND metric_name = 'accuracy'");
        db.execute("DELETE FROM ml_monitoring.model_stats_daily_legacy WHERE model_name = 'Model2' AND stat_date = '2024-01-04' "
                + "AND slice_key = 'slice1' AND metric_name = 'psi_country' AND model_version = 'v2'");
        db.execute("INSERT INTO ml_monitoring.model_stats_daily_legacy (model_name, model_version, stat_date, slice_key, metric_name, "
                + "metric_value) VALUES ('Model9', 'v1', '2024-01-01', 'ALL', 'accuracy', 0.5)");

        Verify.Report report = verify.run(ParitySelection.all(), 5);

        assertThat(report.counts().ok()).isFalse();
        assertThat(report.counts().differing()).isEqualTo(1);
        assertThat(report.counts().missingInLegacy()).isEqualTo(1);
        assertThat(report.counts().missingInNew()).isEqualTo(1);
        assertThat(report.differing()).containsExactly("Model1/v1/2024-01-03/slice0 accuracy: legacy (-1, null) vs new (1100.2, null)"
                .replace("1100.2", "1102"));
        assertThat(report.missingInLegacy()).containsExactly("Model2/v2/2024-01-04/slice1 psi_country: (2203.1, null)");
        assertThat(report.missingInNew()).containsExactly("Model9/v1/2024-01-01/ALL accuracy: (0.5, null)");
        assertThat(verify.run(new ParitySelection(List.of("Model3"), List.of(), null, null), 5).counts().ok())
                .as("a selection looks only at its rows").isTrue();

        Backfill.Result repair = new Backfill(db.database.dataSource()).run(Backfill.Direction.NEW_TO_LEGACY,
                ParitySelection.all(), 200, false, p -> { });
        assertThat(repair.written()).isEqualTo(2);
        Verify.Report after = verify.run(ParitySelection.all(), 5);
        assertThat(after.counts().differing()).isZero();
        assertThat(after.counts().missingInLegacy()).isZero();
        assertThat(after.counts().missingInNew()).as("non-destructive: the legacy-only row stays").isEqualTo(1);
    }

    @Test
    void aRebuildBesideTheSinkNeverWritesAnOlderLegacyRowOverTheSinksNewerOne() throws Exception {
        SinkDatabase db = history();
        new Backfill(db.database.dataSource()).run(Backfill.Direction.LEGACY_TO_NEW, ParitySelection.all(), 1000, false, p -> { });
        String key = "model_name = 'Model1' AND model_version = 'v1' AND stat_date = '2024-01-03' AND slice_key = 'slice0'";
        db.execute("UPDATE ml_monitoring.model_stats_daily_legacy SET metric_value = -1 WHERE " + key + " AND metric_name = 'accuracy'");

        // A sink batch under way: it writes a correction to the new table and its legacy row, not yet committed.
        try (Connection sink = db.connection(); Statement batch = sink.createStatement()) {
            batch.execute(statbridge.sink.legacy.LegacyRowLocks.SHARE_LEGACY_WRITES);
            batch.execute("UPDATE ml_monitoring.model_stats_daily SET metric_value = 777, updated_at = now() WHERE " + key
                    + " AND metric_key = 'accuracy'");
            batch.execute("UPDATE ml_monitoring.model_stats_daily_legacy SET metric_value = 777, updated_at = now() WHERE " + key
                    + " AND metric_name = 'accuracy'");
            CompletableFuture<Backfill.Result> rebuild = CompletableFuture.supplyAsync(() -> {
                try {
                    return new Backfill(db.database.dataSource()).run(Backfill.Direction.NEW_TO_LEGACY, ParitySelection.all(), 50_000, 1,
                            false, p -> { });
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> Long.parseLong(db.rows(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()").get(0)) == 1);
            sink.commit();
            rebuild.get();
        }

        assertThat(db.rows("SELECT metric_value FROM ml_monitoring.model_stats_daily_legacy WHERE " + key + " AND metric_name = 'accuracy'"))
                .as("the sink's newer value, not the one the rebuild would have read before the sink committed").containsExactly("777");
        assertThat(new Verify(db.database.dataSource()).run(ParitySelection.all(), 5).counts().differing()).isZero();
    }

    @Test
    void purgeDeletesOnlyWhatTheNewTablesHoldAndDropsWholePartitions() throws Exception {
        SinkDatabase db = history();
        new Backfill(db.database.dataSource()).run(Backfill.Direction.LEGACY_TO_NEW, ParitySelection.all(), 1000, false, p -> { });
        db.execute("UPDATE ml_monitoring.model_stats_daily_legacy SET metric_value = -1 WHERE model_name = 'Model1' "
                + "AND model_version = 'v1' AND stat_date = '2024-02-03' AND slice_key = 'slice0' AND metric_name = 'accuracy'");
        PurgeLegacy purge = new PurgeLegacy(db.database.dataSource());
        assertThatThrownBy(() -> purge.run(null, false, false)).hasMessageContaining("dual-write is on");
        new DualWriteSwitch(db.database.dataSource()).off("test", "purge", true);
        long archived = Long.parseLong(db.rows("SELECT count(*) FROM ml_monitoring.model_stats_daily_legacy_archive").get(0));

        PurgeLegacy.Result dry = purge.run(LocalDate.of(2024, 2, 1), true, false);
        assertThat(db.rows("SELECT count(*) FROM ml_monitoring.model_stats_daily_legacy_archive")).containsExactly(Long.toString(archived));

        PurgeLegacy.Result january = purge.run(LocalDate.of(2024, 2, 1), false, false);
        assertThat(january.deleted()).isEqualTo(dry.deleted());
        assertThat(january.droppedPartitions()).isEmpty();
        assertThat(january.keptOnlyInLegacy()).as("old_metric rows exist nowhere else").isEqualTo(3 * 2 * 31 * 2);
        assertThat(db.rows("SELECT count(*) FROM ml_monitoring.model_stats_daily_legacy_archive WHERE stat_date < '2024-02-01'"))
                .containsExactly(Long.toString(3 * 2 * 31 * 2));

        db.execute("DELETE FROM ml_monitoring.model_stats_daily_legacy_archive WHERE metric_name = 'old_metric'");
        PurgeLegacy.Result all = purge.run(null, false, false);
        assertThat(all.droppedPartitions()).containsExactly("model_stats_daily_legacy_2024_01 (0 rows)",
                "model_stats_daily_legacy_2024_03 (0 rows)");
        assertThat(db.rows("SELECT count(*) FROM pg_class WHERE relname = 'model_stats_daily_legacy_2024_02'")).containsExactly("1");
        assertThat(all.keptDiffering()).isEqualTo(1);
        assertThat(db.rows("SELECT metric_value FROM ml_monitoring.model_stats_daily_legacy_archive"))
                .as("the differing row is the only one left").containsExactly("-1");
    }

    @Test
    void theGuideMapsEveryLegacyNameAndRewritesItsQuery() {
        String guide = MigrationGuide.render(CATALOG);
        assertThat(guide).contains("| `churn_rate` | BUSINESS | `churn_rate` |", "### `psi_country`",
                "AND s.metric_type = 'DRIFT' AND s.metric_key = 'psi_country'",
                "LEFT JOIN ml_monitoring.model_business_stats_daily b", "metric_name = 'accuracy'");
    }
}

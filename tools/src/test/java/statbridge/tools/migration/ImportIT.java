package statbridge.tools.migration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import statbridge.catalog.CatalogEntry;
import statbridge.contract.StatValidator;
import statbridge.sink.SinkDatabase;
import statbridge.sink.db.Partitions;
import statbridge.sink.dualwrite.DualWriteSwitch;
import statbridge.sink.dualwrite.ParitySelection;
import statbridge.sink.offsets.OffsetRange;
import statbridge.sink.writer.Batch;
import statbridge.sink.writer.BatchWriter;
import statbridge.sink.writer.Fact;
import statbridge.testing.PostgresServer;
import statbridge.testing.RealInfrastructure;
import statbridge.v2.MetricType;

/** statbridge import on a real PostgreSQL: a team's own legacy-shaped history into both shapes. */
@ExtendWith(RealInfrastructure.class)
class ImportIT {

    static final List<CatalogEntry> CATALOG = List.of(CatalogEntry.of("accuracy", MetricType.ONLINE, "accuracy"),
            CatalogEntry.of("precision", MetricType.ONLINE, "precision"),
            CatalogEntry.of("churn_rate", MetricType.BUSINESS, "churn_rate"),
            CatalogEntry.of("psi_country", MetricType.DRIFT, "psi_country"),
            CatalogEntry.of("feature_missing_rate", MetricType.DRIFT, "missing_rate"));
    private static final String CATALOG_VALUES = "(VALUES ('accuracy', 'ONLINE', 'accuracy'), ('precision', 'ONLINE', 'precision'), "
            + "('churn_rate', 'BUSINESS', 'churn_rate'), ('psi_country', 'DRIFT', 'psi_country'), "
            + "('feature_missing_rate', 'DRIFT', 'missing_rate')) AS c(metric_name, metric_type, metric_key)";

    private final PostgresServer postgres;
    private final List<SinkDatabase> opened = new ArrayList<>();

    ImportIT(PostgresServer postgres) {
        this.postgres = postgres;
    }

    @AfterEach
    void close() {
        opened.forEach(SinkDatabase::close);
    }

    private SinkDatabase database(String name) throws Exception {
        SinkDatabase db = SinkDatabase.create(postgres, name);
        opened.add(db);
        db.addCatalog(CATALOG);
        db.execute("CREATE SCHEMA history");
        return db;
    }

    private static Import importer(SinkDatabase db) {
        return new Import(db.database.dataSource(), StatValidator.Limits.defaults());
    }

    /**
     * The team's old table, unpartitioned, without a key: models x versions x days x slices x the
     * five catalogued names, then the hostile rows (each breaking one rule), an identical copy of a
     * good row and two rows that disagree about one key.
     */
    static void teamHistory(SinkDatabase db, String table, int days, int slices) throws Exception {
        db.execute("CREATE TABLE " + table + " (model_name varchar(255), model_version text, stat_date date, slice_key text, "
                + "metric_name text, metric_value numeric, business_metric_value double precision)");
        db.execute("INSERT INTO " + table + " SELECT 'Model' || m, 'v' || v, date '2023-01-01' + d, 'country=' || s, n, "
                + "round((m * 0.1 + d / 1000.0 + s / 100000.0)::numeric, 6), CASE WHEN n = 'churn_rate' THEN s * 1.5 + d END "
                + "FROM generate_series(1, 5) m, generate_series(1, 2) v, generate_series(0, " + (days - 1) + ") d, "
                + "generate_series(0, " + (slices - 1) + ") s, "
                + "unnest(ARRAY['accuracy', 'precision', 'churn_rate', 'psi_country', 'feature_missing_rate']) n");
        db.execute("INSERT INTO " + table + " VALUES "
                + "('Bad', 'v1', '2023-01-02', 'ALL', 'accuracy', 'NaN', NULL), "
                + "('Bad', 'v1', '2023-01-03', 'ALL', 'churn_rate', 0.5, 'Infinity'), "
                + "('Bad', 'v1', '2023-01-04', repeat('s', 300), 'accuracy', 0.5, NULL), "
                + "('Bad', 'v1', '1999-12-31', 'ALL', 'accuracy', 0.5, NULL), "
                + "('Bad', 'v1', '2023-01-05', 'ALL', 'accuracy', NULL, NULL), "
                + "('Bad', 'v1', '2023-01-06', 'ALL', NULL, 0.5, NULL), "
                + "('Bad', NULL, '2023-01-07', 'ALL', 'accuracy', 0.5, NULL), "
                + "('Bad' || chr(7), 'v1', '2023-01-08', 'ALL', 'accuracy', 0.5, NULL), "
                + "('Model1', 'v1', '2023-01-01', 'country=0', 'accuracy', 0.100000, NULL), "
                + "('Twice', 'v1', '2023-01-09', 'ALL', 'accuracy', 0.1, NULL), "
                + "('Twice', 'v1', '2023-01-09', 'ALL', 'accuracy', 0.2, NULL)");
    }

    /** The legacy rows the history must become: its good rows, once each. */
    static final String EXPECTED_LEGACY = """
            SELECT DISTINCT model_name::text, model_version, stat_date, slice_key, metric_name, metric_value::float8,
                   business_metric_value FROM %s WHERE model_name LIKE 'Model%%'
            """;

    /**
     * Whether two queries give different bags of rows: 0 when their row counts and the sums of
     * their rows' 64-bit hashes agree (one pass over each, no sort), 1 otherwise.
     */
    static long differences(SinkDatabase db, String left, String right) throws Exception {
        String fingerprint = "SELECT count(*) || '/' || coalesce(sum(hashtextextended(r::text, 7)::numeric), 0) FROM (%s) r";
        return db.rows(fingerprint.formatted(left)).equals(db.rows(fingerprint.formatted(right))) ? 0 : 1;
    }

    /** Both shapes exactly as the history says: the legacy table, both new tables, and the rebuild view. */
    static void assertBothShapesHold(SinkDatabase db, String expectedLegacy, boolean legacyTable) throws Exception {
        String legacy = "SELECT model_name, model_version, stat_date, slice_key, metric_name, metric_value, business_metric_value "
                + "FROM ml_monitoring.model_stats_daily_legacy";
        if (legacyTable) {
            assertThat(differences(db, expectedLegacy, legacy)).as("legacy table").isZero();
        }
        assertThat(differences(db, "SELECT e.model_name, e.model_version, e.stat_date, e.slice_key, c.metric_type, c.metric_key, "
                + "e.metric_value FROM (" + expectedLegacy + ") e JOIN " + CATALOG_VALUES + " USING (metric_name)",
                "SELECT model_name, model_version, stat_date, slice_key, metric_type, metric_key, metric_value "
                        + "FROM ml_monitoring.model_stats_daily")).as("model_stats_daily").isZero();
        assertThat(differences(db, "SELECT e.model_name, e.model_version, e.stat_date, e.slice_key, c.metric_type, c.metric_key, "
                + "e.business_metric_value FROM (" + expectedLegacy + ") e JOIN " + CATALOG_VALUES + " USING (metric_name) "
                + "WHERE e.business_metric_value IS NOT NULL",
                "SELECT model_name, model_version, stat_date, slice_key, metric_type, metric_key, business_metric_value "
                        + "FROM ml_monitoring.model_business_stats_daily")).as("model_business_stats_daily").isZero();
        assertThat(differences(db, expectedLegacy, "SELECT model_name, model_version, stat_date, slice_key, metric_name, "
                + "metric_value, business_metric_value FROM ml_monitoring.model_stats_daily_legacy_rebuilt"))
                .as("the legacy shape rebuilt from the new tables").isZero();
    }

    @Test
    void aMillionRowTableWithInvalidRowsLandsExactlyInBothShapesAndASecondRunChangesNothing() throws Exception {
        SinkDatabase db = database("import_million");
        teamHistory(db, "history.model_stats_daily", 400, 50);
        assertThat(db.rows("SELECT count(*) FROM history.model_stats_daily")).containsExactly("1000011");
        Import importer = importer(db);
        ImportSource source = importer.source("history.model_stats_daily");

        Import.Result plan = importer.dryRun(source, ParitySelection.all());
        assertThat(plan.selected()).isEqualTo(1_000_011);
        assertThat(plan.read()).as("good rows, one per key").isEqualTo(1_000_000);
        assertThat(plan.duplicates()).isOne();
        assertThat(plan.rejected()).containsExactly(Map.entry("invalid-field", 8L), Map.entry("conflicting-duplicate", 2L));
        assertThat(plan.examples()).extracting(RejectedRow::message).contains("metric_value is NaN; only finite values are accepted",
                "stat_date 1999-12-31 is outside 2000-01-01..2099-12-31", "slice_key is 300 characters long; the limit is 200",
                "metric_name is empty", "model_version is empty", "metric_value is missing",
                "business_metric_value is Infinity; only finite values are accepted", "model_name contains a control character",
                "the source holds 2 different rows for this key");
        assertThat(db.rows("SELECT count(*) FROM ml_monitoring.model_stats_daily")).as("a dry run changes nothing").containsExactly("0");

        List<Backfill.Progress> progress = new ArrayList<>();
        Import.Result first = importer.run(source, ParitySelection.all(), 50_000, 2, staged -> { }, progress::add);
        assertThat(first.read()).isEqualTo(1_000_000);
        assertThat(first.rejectedRows()).isEqualTo(10);
        assertThat(first.skipped()).isZero();
        assertThat(first.written()).as("stats, KPIs and legacy rows").isEqualTo(1_000_000 + 200_000 + 1_000_000);
        assertThat(progress).isNotEmpty().last().extracting(Backfill.Progress::read).isEqualTo(1_000_000L);
        assertBothShapesHold(db, EXPECTED_LEGACY.formatted("history.model_stats_daily"), true);
        assertThat(db.rows("SELECT reason || ' ' || count(*) FROM ml_monitoring.import_rejected WHERE run_id = " + first.runId()
                + " GROUP BY reason")).containsExactly("conflicting-duplicate 2", "invalid-field 8");
        assertThat(db.rows("SELECT count(*) FROM pg_class WHERE relname LIKE 'import_stage_%'")).as("the stage is dropped")
                .containsExactly("0");
        assertThat(db.rows("SELECT count(*) || ' ' || min(month) || ' ' || max(month) || ' ' || sum(rows_read) "
                + "FROM ml_monitoring.import_months WHERE run_id = " + first.runId()))
                .as("every month (January 2023 to February 2024) brought in whole").containsExactly("14 2023-01-01 2024-02-01 1000000");
        assertThat(db.rows("SELECT count(*) FROM ml_monitoring.import_chunks WHERE run_id = " + first.runId())).containsExactly("0");
        assertMonthsAttached(db, 14);

        String before = db.rows("SELECT max(updated_at) FROM ml_monitoring.model_stats_daily_legacy").get(0);
        Import.Result second = importer.run(source, ParitySelection.all(), 50_000, 2, staged -> { }, p -> { });
        assertThat(second.read()).isEqualTo(1_000_000);
        assertThat(second.written()).as("a second run changes nothing").isZero();
        assertThat(db.rows("SELECT max(updated_at) FROM ml_monitoring.model_stats_daily_legacy")).containsExactly(before);
    }

    /**
     * Every monthly partition of the three tables is attached, with its partition name and primary
     * key, and nothing an import built is left behind.
     */
    static void assertMonthsAttached(SinkDatabase db, int months) throws Exception {
        assertThat(db.rows("SELECT p.relname || ' ' || count(*) FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent "
                + "JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_index x ON x.indrelid = c.oid AND x.indisprimary "
                + "WHERE p.relname IN ('model_stats_daily', 'model_business_stats_daily', 'model_stats_daily_legacy') "
                + "AND c.relname ~ '_[0-9]{4}_[0-9]{2}$' AND x.indexrelid::regclass::text = 'ml_monitoring.' || c.relname || '_pkey' "
                + "GROUP BY p.relname ORDER BY 1")).containsExactly("model_business_stats_daily " + months,
                "model_stats_daily " + months, "model_stats_daily_legacy " + months);
        assertThat(db.rows("SELECT count(*) FROM pg_class WHERE relname ~ '^import_[0-9]+_'")).as("no built table left").containsExactly("0");
        assertThat(db.rows("SELECT count(*) FROM pg_constraint WHERE conname = '" + MonthLoader.MONTH_CHECK + "'"))
                .as("the month checks are dropped once the bounds say the same").containsExactly("0");
    }

    private long offset;

    private void sinkWrites(SinkDatabase db, Fact... facts) throws Exception {
        List<Fact> list = List.of(facts);
        new Partitions(db.database.dataSource()).ensureFor(list.stream().map(Fact::statDate).toList());
        Map<TopicPartition, OffsetRange> offsets = new java.util.HashMap<>();
        for (Fact fact : list) {
            offsets.merge(new TopicPartition(fact.topic(), 0), new OffsetRange(-1, fact.offset() + 1),
                    (a, b) -> new OffsetRange(-1, Math.max(a.next(), b.next())));
        }
        try (Connection connection = db.connection()) {
            new BatchWriter("import-test-" + offset).write(connection, new Batch(list, List.of(), offsets));
        }
    }

    private Fact fact(Fact.Kind kind, String model, LocalDate day, String metricKey, MetricType type, Double value) {
        return new Fact(kind, model, "v1", day, "country=0", type, metricKey, value, 1_000,
                kind == Fact.Kind.STAT ? "model-stats.v2" : "model-business-stats.v2", 0, offset++);
    }

    @Test
    void rowsTheSinkWroteAreNeverOverwrittenAndAWithdrawnKpiStaysWithdrawn() throws Exception {
        SinkDatabase db = database("import_sink_wins");
        teamHistory(db, "history.stats", 3, 2);
        LocalDate day = LocalDate.of(2023, 1, 2);
        sinkWrites(db, fact(Fact.Kind.STAT, "Model1", day, "accuracy", MetricType.ONLINE, 0.777));
        sinkWrites(db, fact(Fact.Kind.STAT, "Model2", day, "churn_rate", MetricType.BUSINESS, 0.555),
                fact(Fact.Kind.BUSINESS, "Model2", day, "churn_rate", MetricType.BUSINESS, null));
        sinkWrites(db, fact(Fact.Kind.BUSINESS, "Model3", day, "churn_rate", MetricType.BUSINESS, 99.0));

        Import importer = importer(db);
        importer.run(importer.source("history.stats"), ParitySelection.all(), 7, 2, staged -> { }, p -> { });

        assertThat(db.rows("SELECT metric_value || '|' || coalesce(business_metric_value::text, 'null') FROM "
                + "ml_monitoring.model_stats_daily_legacy WHERE model_name = 'Model1' AND model_version = 'v1' AND stat_date = '2023-01-02' "
                + "AND slice_key = 'country=0' AND metric_name = 'accuracy'")).as("the sink's stat wins").containsExactly("0.777|null");
        assertThat(db.rows("SELECT metric_value || '|' || coalesce(business_metric_value::text, 'null') FROM "
                + "ml_monitoring.model_stats_daily_legacy WHERE model_name = 'Model2' AND model_version = 'v1' AND stat_date = '2023-01-02' "
                + "AND slice_key = 'country=0' AND metric_name = 'churn_rate'")).as("the sink's withdrawal holds").containsExactly("0.555|null");
        assertThat(db.rows("SELECT metric_value || '|' || business_metric_value FROM ml_monitoring.model_stats_daily_legacy "
                + "WHERE model_name = 'Model3' AND model_version = 'v1' AND stat_date = '2023-01-02' AND slice_key = 'country=0' "
                + "AND metric_name = 'churn_rate'")).as("the history's stat beside the sink's KPI").containsExactly("0.301|99");
        assertThat(differences(db, "SELECT model_name, model_version, stat_date, slice_key, metric_name, metric_value, "
                + "business_metric_value FROM ml_monitoring.model_stats_daily_legacy", "SELECT model_name, model_version, stat_date, "
                + "slice_key, metric_name, metric_value, business_metric_value FROM ml_monitoring.model_stats_daily_legacy_rebuilt"))
                .as("both shapes agree").isZero();
        assertThat(db.rows("SELECT count(*) FROM ml_monitoring.model_stats_daily WHERE source_offset >= 0")).containsExactly("2");
        assertThat(db.rows("SELECT count(*) FROM ml_monitoring.import_months")).as("a month with rows goes in chunks")
                .containsExactly("0");
    }

    /**
     * A month is built apart while the sink writes a row of it (creating its partition) and, for
     * the next, while dual-write is switched off: both attaches give way, the months go in chunks,
     * the sink's row is kept, and the shapes agree once dual-write is back on.
     */
    @Test
    void aMonthTheSinkWritesOrADualWriteSwitchDuringItsBuildGoesInChunksInstead() throws Exception {
        SinkDatabase db = database("import_gives_way");
        teamHistory(db, "history.stats", 90, 3);
        LocalDate day = LocalDate.of(2023, 1, 5);
        DualWriteSwitch dualWrite = new DualWriteSwitch(db.database.dataSource());
        Import importer = importer(db);
        List<java.time.YearMonth> built = java.util.Collections.synchronizedList(new ArrayList<>());
        importer.beforeAttach(month -> {
            built.add(month);
            try {
                if (month.getMonthValue() == 1) {
                    sinkWrites(db, fact(Fact.Kind.STAT, "Model1", day, "accuracy", MetricType.ONLINE, 0.777));
                } else if (month.getMonthValue() == 2) {
                    dualWrite.off("test", "switched during a build", false);
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        Import.Result result = importer.run(importer.source("history.stats"), ParitySelection.all(), 1_000, 1, staged -> { }, p -> { });

        assertThat(built).containsExactly(java.time.YearMonth.of(2023, 1), java.time.YearMonth.of(2023, 2),
                java.time.YearMonth.of(2023, 3));
        assertThat(db.rows("SELECT month FROM ml_monitoring.import_months WHERE run_id = " + result.runId()))
                .as("March, built with dual-write off as it then was, is attached").containsExactly("2023-03-01");
        assertThat(db.rows("SELECT count(*) > 0 FROM ml_monitoring.import_chunks WHERE run_id = " + result.runId())).containsExactly("t");
        assertThat(result.read()).as("good rows, one per key").isEqualTo(5L * 2 * 90 * 3 * 5);
        assertThat(db.rows("SELECT metric_value FROM ml_monitoring.model_stats_daily WHERE model_name = 'Model1' AND model_version = 'v1' "
                + "AND stat_date = '2023-01-05' AND slice_key = 'country=0' AND metric_key = 'accuracy'")).as("the sink's row is kept")
                .containsExactly("0.777");
        assertThat(db.rows("SELECT count(*) FROM pg_class WHERE relname ~ '^import_[0-9]+_'")).as("no built table left").containsExactly("0");

        dualWrite.on("test", "back on");
        String expected = EXPECTED_LEGACY.formatted("history.stats") + " AND NOT (model_name = 'Model1' AND model_version = 'v1' "
                + "AND stat_date = '2023-01-05' AND slice_key = 'country=0' AND metric_name = 'accuracy') UNION ALL "
                + "SELECT 'Model1', 'v1', '2023-01-05', 'country=0', 'accuracy', 0.777, NULL";
        assertBothShapesHold(db, expected, true);
    }

    /**
     * A month small enough is copied through the importing process, sorted there in each table's
     * key order; a larger one is filled by INSERT ... SELECT. Both give the same rows: names whose
     * order by UTF-16 unit and by code point differ (an emoji beside U+FF5E and U+FFEE), a KPI the
     * sink withdrew for a month whose partitions are gone since, and one timestamp across the three
     * tables.
     */
    @Test
    void aMonthCopiedThroughTheProcessAndOneFilledBySqlGiveTheSameRows() throws Exception {
        String withdrawn = "model_name = 'Model1' AND model_version = 'v1' AND stat_date = '2023-01-03' AND slice_key = 'country=1'";
        String expected = "SELECT DISTINCT model_name::text, model_version, stat_date, slice_key, metric_name, metric_value::float8, "
                + "CASE WHEN " + withdrawn + " AND metric_name = 'churn_rate' THEN NULL ELSE business_metric_value END "
                + "FROM history.stats WHERE model_name LIKE 'Mod%'";
        List<List<String>> tables = new ArrayList<>();
        for (long inMemory : new long[] {Long.MAX_VALUE, 0}) {
            SinkDatabase db = database("import_two_ways");
            teamHistory(db, "history.stats", 40, 4);
            db.execute("INSERT INTO history.stats SELECT 'Modèle ' || m, 'v1', date '2023-01-10' + d, s, 'churn_rate', d + 0.5, d * 2 "
                    + "FROM unnest(ARRAY['\uFF5E', '😀', 'Z', 'a', 'é', '日本', 'ß']) m, generate_series(0, 3) d, "
                    + "unnest(ARRAY['zone=\uFFEE1', 'zone=😀', 'zone=a']) s");
            db.execute("INSERT INTO ml_monitoring.business_withdrawals (model_name, model_version, stat_date, slice_key, metric_type, "
                    + "metric_key, event_time, write_seq) VALUES ('Model1', 'v1', '2023-01-03', 'country=1', 'BUSINESS', 'churn_rate', now(), 1)");
            Import importer = importer(db);
            importer.monthRowsInMemory(inMemory);
            Import.Result result = importer.run(importer.source("history.stats"), ParitySelection.all(), 1_000, 2, staged -> { }, p -> { });
            assertThat(result.read()).isEqualTo(5L * 2 * 40 * 4 * 5 + 7 * 4 * 3);
            assertThat(db.rows("SELECT count(*) FROM ml_monitoring.import_months WHERE run_id = " + result.runId()))
                    .as("both months brought in whole").containsExactly("2");
            assertThat(db.rows("SELECT count(DISTINCT updated_at) FROM (SELECT updated_at FROM ml_monitoring.model_stats_daily "
                    + "WHERE stat_date < '2023-02-01' UNION ALL SELECT updated_at FROM ml_monitoring.model_business_stats_daily "
                    + "WHERE stat_date < '2023-02-01' UNION ALL SELECT updated_at FROM ml_monitoring.model_stats_daily_legacy "
                    + "WHERE stat_date < '2023-02-01') u")).as("one month, one timestamp across the three tables").containsExactly("1");
            assertThat(db.rows("SELECT count(*) FROM ml_monitoring.model_business_stats_daily WHERE " + withdrawn))
                    .as("the withdrawn KPI stays withdrawn").containsExactly("0");
            assertBothShapesHold(db, expected, true);
            List<String> rows = new ArrayList<>();
            for (String query : List.of(
                    "SELECT model_name, model_version, stat_date, slice_key, metric_type, metric_key, metric_value, event_time, "
                            + "source_offset, source_topic, source_partition FROM ml_monitoring.model_stats_daily",
                    "SELECT model_name, model_version, stat_date, slice_key, metric_type, metric_key, business_metric_value, event_time, "
                            + "source_offset, source_topic, source_partition FROM ml_monitoring.model_business_stats_daily",
                    "SELECT model_name, model_version, stat_date, slice_key, metric_name, metric_value, business_metric_value "
                            + "FROM ml_monitoring.model_stats_daily_legacy")) {
                rows.addAll(db.rows("SELECT count(*) || ' ' || sum(hashtextextended(r::text, 7)::numeric) FROM (" + query + ") r"));
            }
            rows.addAll(db.rows("SELECT string_agg(DISTINCT model_name, ',') FROM ml_monitoring.model_stats_daily"));
            tables.add(rows);
        }
        assertThat(tables.get(0)).as("copied through the process, then filled by SQL").isEqualTo(tables.get(1));
        assertThat(tables.get(0).get(3)).contains("Modèle 😀", "Modèle \uFF5E", "Modèle 日本");
    }

    @Test
    void aViewWithRenamedColumnsImportsWhileDualWriteIsOffAndSwitchingOnBuildsItsLegacyRows() throws Exception {
        SinkDatabase db = database("import_view");
        db.execute("CREATE TABLE history.stats_by_other_names (model text, version text, day date, slice text, metric text, "
                + "value real, kpi numeric(12, 3))");
        db.execute("INSERT INTO history.stats_by_other_names SELECT 'Model' || m, 'v1', date '2024-03-30' + d, 'ALL', n, "
                + "m + d / 4.0, CASE WHEN n = 'churn_rate' THEN d * 10.125 END "
                + "FROM generate_series(1, 2) m, generate_series(0, 5) d, unnest(ARRAY['accuracy', 'churn_rate']) n");
        db.execute("CREATE VIEW history.legacy_shaped AS SELECT model AS model_name, version AS model_version, day AS stat_date, "
                + "slice AS slice_key, metric AS metric_name, value AS metric_value, kpi AS business_metric_value "
                + "FROM history.stats_by_other_names");
        DualWriteSwitch dualWrite = new DualWriteSwitch(db.database.dataSource());
        dualWrite.off("test", "import while off", false);

        Import importer = importer(db);
        Import.Result result = importer.run(importer.source("HISTORY.Legacy_Shaped"), new ParitySelection(List.of("Model2"),
                List.of(), null, null), 5, 3, staged -> { }, p -> { });
        assertThat(result.read()).as("Model2 only").isEqualTo(12);
        assertThat(result.written()).as("new tables only: 12 stats and 6 KPIs").isEqualTo(18);
        String expected = "SELECT model_name, model_version, stat_date, slice_key, metric_name, metric_value::float8, "
                + "business_metric_value::float8 FROM history.legacy_shaped WHERE model_name = 'Model2'";
        assertBothShapesHold(db, expected, false);
        assertThat(db.rows("SELECT count(*) FROM ml_monitoring.model_stats_daily WHERE stat_date >= '2024-04-01'"))
                .as("the April partition was created").containsExactly("8");

        dualWrite.on("test", "back on");
        assertBothShapesHold(db, expected, true);
    }

    @Test
    void aSourceThatCannotBeImportedIsRefusedWithItsReason() throws Exception {
        SinkDatabase db = database("import_refused");
        db.execute("CREATE TABLE history.half (model_name text, stat_date text, metric_value text)");
        Import importer = importer(db);
        assertThatThrownBy(() -> importer.source("history.nothing")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no table or view of that name");
        assertThatThrownBy(() -> importer.source("history.half")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("lacks the column(s) model_version, slice_key, metric_name, business_metric_value")
                .hasMessageContaining("stat_date is text, not date").hasMessageContaining("metric_value is text, not a number type")
                .hasMessageContaining("create a view");
        for (String name : List.of("history.\"half\"", "history.half; DROP TABLE history.half", "half", "a.b.c", "")) {
            assertThatThrownBy(() -> importer.source(name)).as(name).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("--source must be SCHEMA.TABLE");
        }
        assertThatThrownBy(() -> importer.source("ml_monitoring.model_stats_daily_legacy")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("statbridge's own").hasMessageContaining("backfill --direction legacy-to-new");
        assertThat(db.rows("SELECT count(*) FROM ml_monitoring.import_runs")).containsExactly("0");
    }
}

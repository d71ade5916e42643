package statbridge.tools.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.YearMonth;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import statbridge.catalog.CatalogEntry;
import statbridge.contract.StatValidator;
import statbridge.sink.SinkDatabase;
import statbridge.sink.db.Partitions;
import statbridge.sink.dualwrite.ParitySelection;
import statbridge.tools.migration.Backfill;
import statbridge.tools.migration.Import;
import statbridge.tools.migration.Verify;
import statbridge.testing.PostgresServer;
import statbridge.v2.MetricType;

/**
 * P3 and P7: backfill of realistic legacy history into the new tables, then verify, in rows per
 * second, each beside a ceiling measured in the same run on the same PostgreSQL (fsync on): a
 * plain INSERT ... SELECT of the same rows into a table of the same shape for the backfill, and a
 * full scan of both shapes for verify. The backfill runs as the command does by default (two
 * workers, months side by side; {@code -Dbench.parallel=N} for another number); the ceiling is one
 * statement.
 *
 * <p>The import of a team's own legacy-shaped table is measured the same way, beside a plain
 * INSERT ... SELECT of its rows into the legacy shape ({@link #importAgainstAPlainInsertSelect}).
 *
 * <p>Run: {@code mvn -B -Pbench -pl sink -am verify -Dit.test=MigrationBenchmark}
 * ({@code -Dbench.models}, {@code -Dbench.days}, {@code -Dbench.slices} change the size; the default,
 * 8 models x 2 versions x 730 days x 15 slices x 30 metrics, is 5,256,000 legacy rows).
 */
class MigrationBenchmark {

    private static final int MODELS = Integer.getInteger("bench.models", 8);
    private static final int DAYS = Integer.getInteger("bench.days", 730);
    private static final int SLICES = Integer.getInteger("bench.slices", 15);
    private static final int METRICS = 30;
    private static final int PARALLEL = Integer.getInteger("bench.parallel", Backfill.DEFAULT_PARALLEL);

    /** Rounds of the import and its ceiling, side by side; the figures reported are their medians (this machine is noisy). */
    private static final int ROUNDS = Integer.getInteger("bench.import.rounds", 3);

    private static final int IMPORT_DAYS = Integer.getInteger("bench.import.days", 365);

    /**
     * Import: a team's own legacy-shaped table (with its primary key, unpartitioned), 8 models x 2
     * versions x {@code bench.import.days} days x 15 slices x 30 metrics (2,628,000 rows by
     * default) brought into both shapes with dual-write on, beside a plain INSERT ... SELECT of
     * the same rows into a table of the legacy table's shape, in the same run: {@code bench.import.rounds} rounds of
     * the two side by side, the parts dropped between rounds, and the medians reported.
     */
    @Test
    void importAgainstAPlainInsertSelect() throws Exception {
        try (PostgresServer postgres = PostgresServer.start(Map.of("fsync", "on", "synchronous_commit", "on",
                "shared_buffers", "1GB", "max_wal_size", "8GB", "work_mem", "256MB"));
                SinkDatabase db = SinkDatabase.create(postgres, "import_bench")) {
            db.addCatalog(catalog());
            db.execute("CREATE SCHEMA team");
            db.execute("CREATE TABLE team.model_stats_daily (model_name text, model_version text, stat_date date, slice_key text, "
                    + "metric_name text, metric_value double precision, business_metric_value double precision, "
                    + "PRIMARY KEY (model_name, model_version, stat_date, slice_key, metric_name))");
            db.execute("INSERT INTO team.model_stats_daily SELECT 'Model' || m, 'v' || v, date '2023-01-01' + d, 'country=' || s, "
                    + "'metric_' || k, random(), CASE WHEN k >= 25 THEN random() * 1000 END "
                    + "FROM generate_series(1, " + MODELS + ") m, generate_series(1, 2) v, generate_series(0, " + (IMPORT_DAYS - 1) + ") d, "
                    + "generate_series(1, " + SLICES + ") s, generate_series(0, " + (METRICS - 1) + ") k");
            db.execute("ANALYZE");
            long rows = Long.parseLong(db.rows("SELECT count(*) FROM team.model_stats_daily").get(0));

            double[] ceilings = new double[ROUNDS];
            double[] imports = new double[ROUNDS];
            double[] stages = new double[ROUNDS];
            double[] writes = new double[ROUNDS];
            Import.Result result = null;
            for (int round = 0; round < ROUNDS; round++) {
                if (round > 0) {
                    // The months brought in before go, so each round imports into an empty database again.
                    YearMonth last = YearMonth.from(LocalDate.of(2023, 1, 1).plusDays(IMPORT_DAYS - 1));
                    for (YearMonth month = YearMonth.of(2023, 1); !month.isAfter(last); month = month.plusMonths(1)) {
                        for (String table : Partitions.TABLES) {
                            db.execute("DROP TABLE ml_monitoring." + Partitions.partitionName(table, month));
                        }
                    }
                }
                db.execute("CREATE TABLE team.ceiling (LIKE ml_monitoring.model_stats_daily_legacy INCLUDING ALL) PARTITION BY RANGE (stat_date)");
                db.execute("CREATE TABLE team.ceiling_all PARTITION OF team.ceiling DEFAULT");
                long ceilingStart = System.nanoTime();
                db.execute("INSERT INTO team.ceiling (model_name, model_version, stat_date, slice_key, metric_name, metric_value, "
                        + "business_metric_value) SELECT * FROM team.model_stats_daily");
                ceilings[round] = rows / ((System.nanoTime() - ceilingStart) / 1e9);
                db.execute("DROP TABLE team.ceiling");

                Import importer = new Import(db.database.dataSource(), StatValidator.Limits.defaults());
                long importStart = System.nanoTime();
                long[] stagedAt = {0};
                result = importer.run(importer.source("team.model_stats_daily"), ParitySelection.all(), 50_000, PARALLEL,
                        staged -> stagedAt[0] = System.nanoTime(), p -> { });
                long importEnd = System.nanoTime();
                imports[round] = result.selected() / ((importEnd - importStart) / 1e9);
                stages[round] = (stagedAt[0] - importStart) / 1e9;
                writes[round] = (importEnd - stagedAt[0]) / 1e9;
                if (result.read() != rows) {
                    throw new AssertionError("round " + (round + 1) + " of the import left rows out: " + result);
                }
            }
            double imported = median(imports);
            double ceiling = median(ceilings);
            double stageSeconds = median(stages);
            double writeSeconds = median(writes);
            Verify.Report report = new Verify(db.database.dataSource()).run(ParitySelection.all(), 5);

            String lines = String.format(Locale.ROOT, """
                    P3 import of a team's legacy-shaped table, dual-write on | %,.0f source rows/s (median of %d; %,d rows, %,d written to three tables, %d workers) | plain INSERT ... SELECT of the same rows into the legacy shape %,.0f rows/s (median of %d, each round beside an import) | ratio %.2f | target >= 100,000 source rows/s
                    P3 import rounds | imports %s source rows/s | ceilings %s rows/s
                    P3 import phases (medians) | stage (one statement) %.1f s | months and chunks (%d workers) %.1f s, %,.0f source rows/s of them
                    """, imported, ROUNDS, rows, result.written(), PARALLEL, ceiling, ROUNDS, imported / ceiling,
                    figures(imports), figures(ceilings), stageSeconds, PARALLEL, writeSeconds, result.selected() / writeSeconds);
            System.out.print(lines);
            Path out = Path.of("target", "bench", "P3-import.txt");
            Files.createDirectories(out.getParent());
            Files.writeString(out, lines);
            if (!report.counts().ok() || result.read() != rows) {
                throw new AssertionError("the import left the shapes different or rows out: " + report.counts() + ", " + result);
            }
        }
    }

    /**
     * The metric-series rebuild: 8 models x 2 versions x {@code bench.import.days} days x 15 slices x
     * 30 metrics of history the sink never saw (2,628,000 stat rows by default, twelve monthly
     * partitions), rebuilt into metric_series, beside a plain aggregate scan of the same rows (the
     * series' counts, dates and extremes in one GROUP BY) in the same run; then checked equal to the
     * literal aggregate.
     */
    @Test
    void seriesRebuildAgainstAPlainAggregateScan() throws Exception {
        try (PostgresServer postgres = PostgresServer.start(Map.of("fsync", "on", "synchronous_commit", "on",
                "shared_buffers", "1GB", "max_wal_size", "8GB", "work_mem", "256MB"));
                SinkDatabase db = SinkDatabase.create(postgres, "series_bench")) {
            db.execute("SELECT ml_monitoring.ensure_month_partitions('2023-01-01', '2023-12-01')");
            db.execute("INSERT INTO ml_monitoring.model_stats_daily (model_name, model_version, stat_date, slice_key, metric_type, "
                    + "metric_key, metric_value, event_time, source_offset, source_topic, write_seq) "
                    + "SELECT 'Model' || m, 'v' || v, date '2023-01-01' + d, 'country=' || s, 'ONLINE', 'key_' || k, random(), "
                    + "'-infinity', -1, 'import', 0 "
                    + "FROM generate_series(1, " + MODELS + ") m, generate_series(1, 2) v, generate_series(0, " + (IMPORT_DAYS - 1) + ") d, "
                    + "generate_series(1, " + SLICES + ") s, generate_series(0, " + (METRICS - 1) + ") k");
            db.execute("ANALYZE ml_monitoring.model_stats_daily");
            long rows = Long.parseLong(db.rows("SELECT count(*) FROM ml_monitoring.model_stats_daily").get(0));

            db.rows("SELECT count(*) FROM ml_monitoring.model_stats_daily"); // both start from a warm cache
            long scanStart = System.nanoTime();
            db.rows("SELECT count(*) FROM (SELECT model_name, model_version, metric_type, metric_key, count(*), min(stat_date), "
                    + "max(stat_date), min(metric_value), max(metric_value) FROM ml_monitoring.model_stats_daily GROUP BY 1, 2, 3, 4) s");
            double scan = rows / ((System.nanoTime() - scanStart) / 1e9);

            long rebuildStart = System.nanoTime();
            statbridge.tools.series.SeriesRebuild.Result result = new statbridge.tools.series.SeriesRebuild(db.database.dataSource())
                    .run(2, p -> { });
            double rebuilt = result.rows() / ((System.nanoTime() - rebuildStart) / 1e9);

            String lines = String.format(Locale.ROOT, "P8 metric_series rebuild | %,.0f source rows/s (%,d stat rows, %d months, 2 workers) "
                    + "| plain aggregate scan of the same rows (GROUP BY series: count, dates, extremes; PostgreSQL's parallel workers) %,.0f rows/s "
                    + "| ratio %.2f | target >= 1,000,000 source rows/s%n", rebuilt, rows, result.months(), scan, rebuilt / scan);
            System.out.print(lines);
            Path out = Path.of("target", "bench", "P8-series-rebuild.txt");
            Files.createDirectories(out.getParent());
            Files.writeString(out, lines);
            if (result.rows() != rows || !db.series().equals(db.seriesAggregate())) {
                throw new AssertionError("the rebuilt metric_series differs from the aggregate of the stat rows");
            }
        }
    }

    private static List<CatalogEntry> catalog() {
        List<CatalogEntry> catalog = new java.util.ArrayList<>();
        for (int m = 0; m < METRICS; m++) {
            MetricType type = m < 15 ? MetricType.ONLINE : m < 25 ? MetricType.DRIFT : MetricType.BUSINESS;
            catalog.add(CatalogEntry.of("metric_" + m, type, (type == MetricType.DRIFT ? "psi_" : "") + "key_" + m));
        }
        return catalog;
    }

    @Test
    void backfillAndVerifyAgainstCeilings() throws Exception {
        try (PostgresServer postgres = PostgresServer.start(Map.of("fsync", "on", "synchronous_commit", "on",
                "shared_buffers", "1GB", "max_wal_size", "8GB", "work_mem", "256MB"));
                SinkDatabase db = SinkDatabase.create(postgres, "migration_bench")) {
            db.addCatalog(catalog());
            db.execute("SELECT ml_monitoring.ensure_month_partitions('2023-01-01', date '2023-01-01' + " + DAYS + ")");
            long generateStart = System.nanoTime();
            db.execute("INSERT INTO ml_monitoring.model_stats_daily_legacy (model_name, model_version, stat_date, slice_key, "
                    + "metric_name, metric_value, business_metric_value) "
                    + "SELECT 'Model' || m, 'v' || v, date '2023-01-01' + d, 'country=' || s, 'metric_' || k, "
                    + "random(), CASE WHEN k >= 25 THEN random() * 1000 END "
                    + "FROM generate_series(1, " + MODELS + ") m, generate_series(1, 2) v, generate_series(0, " + (DAYS - 1) + ") d, "
                    + "generate_series(1, " + SLICES + ") s, generate_series(0, " + (METRICS - 1) + ") k");
            db.execute("ANALYZE");
            long rows = Long.parseLong(db.rows("SELECT count(*) FROM ml_monitoring.model_stats_daily_legacy").get(0));
            System.out.printf(Locale.ROOT, "P3 input: %,d legacy rows generated in %.1f s%n", rows, (System.nanoTime() - generateStart) / 1e9);

            db.execute("CREATE TABLE ml_monitoring.ceiling (LIKE ml_monitoring.model_stats_daily INCLUDING ALL) PARTITION BY RANGE (stat_date)");
            db.execute("CREATE TABLE ml_monitoring.ceiling_all PARTITION OF ml_monitoring.ceiling DEFAULT");
            long ceilingStart = System.nanoTime();
            db.execute("INSERT INTO ml_monitoring.ceiling (model_name, model_version, stat_date, slice_key, metric_type, metric_key, "
                    + "metric_value, event_time, write_seq) SELECT l.model_name, l.model_version, l.stat_date, l.slice_key, c.metric_type, "
                    + "c.metric_key, l.metric_value, '-infinity', 0 FROM ml_monitoring.model_stats_daily_legacy l "
                    + "JOIN ml_monitoring.metric_catalog c USING (metric_name)");
            double ceiling = rows / ((System.nanoTime() - ceilingStart) / 1e9);
            db.execute("DROP TABLE ml_monitoring.ceiling");

            long backfillStart = System.nanoTime();
            Backfill.Result result = new Backfill(db.database.dataSource()).run(Backfill.Direction.LEGACY_TO_NEW,
                    ParitySelection.all(), 50_000, PARALLEL, false, p -> { });
            double backfill = result.read() / ((System.nanoTime() - backfillStart) / 1e9);
            db.execute("ANALYZE");

            long scanStart = System.nanoTime();
            db.rows("SELECT (SELECT count(*) FROM ml_monitoring.model_stats_daily_legacy) + "
                    + "(SELECT count(*) FROM ml_monitoring.model_stats_daily) + (SELECT count(*) FROM ml_monitoring.model_business_stats_daily)");
            double scan = 2.0 * rows / ((System.nanoTime() - scanStart) / 1e9);
            long verifyStart = System.nanoTime();
            Verify.Report report = new Verify(db.database.dataSource()).run(ParitySelection.all(), 5);
            double verify = (report.counts().legacyRows() + report.counts().rebuiltRows()) / ((System.nanoTime() - verifyStart) / 1e9);

            String lines = String.format(Locale.ROOT, """
                    P3 backfill legacy->new | %,.0f rows/s (%,d rows, %,d written, %d workers) | plain INSERT ... SELECT of the same rows %,.0f rows/s | ratio %.2f | target >= 100,000 rows/s
                    P7 verify | %,.0f rows compared/s (%,d + %,d rows, %s) | full scan of both shapes %,.0f rows/s | ratio %.2f | target >= 500,000 rows/s
                    """, backfill, result.read(), result.written(), PARALLEL, ceiling, backfill / ceiling,
                    verify, report.counts().legacyRows(), report.counts().rebuiltRows(), report.counts().ok() ? "equal" : "DIFFERENT",
                    scan, verify / scan);
            System.out.print(lines);
            Path out = Path.of("target", "bench", "P3-P7-migration.txt");
            Files.createDirectories(out.getParent());
            Files.writeString(out, lines);
            if (!report.counts().ok()) {
                throw new AssertionError("the backfill left the shapes different: " + report.counts());
            }
        }
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    private static String figures(double[] values) {
        return String.join(", ", Arrays.stream(values).mapToObj(value -> String.format(Locale.ROOT, "%,.0f", value)).toList());
    }
}

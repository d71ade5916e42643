package statbridge.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.File;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import statbridge.catalog.CatalogEntry;
import statbridge.sink.SinkDatabase;
import statbridge.testing.PostgresServer;
import statbridge.testing.RealInfrastructure;
import statbridge.v2.MetricType;

/** statbridge import from the command line, against a real PostgreSQL: bad sources, a dry run, a kill mid-run. */
@ExtendWith(RealInfrastructure.class)
class ImportCommandIT {

    private final CliRunner cli = new CliRunner();

    /** A team's own history in schema {@code team}: 3 models x days x slices x 3 names, plus two rows that break the rules. */
    static SinkDatabase teamHistory(PostgresServer postgres, String name, int days, int slices) throws Exception {
        SinkDatabase db = SinkDatabase.create(postgres, name);
        db.addCatalog(List.of(CatalogEntry.of("accuracy", MetricType.ONLINE, "accuracy"),
                CatalogEntry.of("churn_rate", MetricType.BUSINESS, "churn_rate"),
                CatalogEntry.of("psi_country", MetricType.DRIFT, "psi_country")));
        db.execute("CREATE SCHEMA team");
        db.execute("CREATE TABLE team.model_stats_daily (model_name text, model_version text, stat_date date, slice_key text, "
                + "metric_name text, metric_value double precision, business_metric_value double precision, "
                + "PRIMARY KEY (model_name, model_version, stat_date, slice_key, metric_name))");
        db.execute("INSERT INTO team.model_stats_daily SELECT 'Model' || m, 'v1', date '2024-01-01' + d, 'slice' || s, n, "
                + "m + d / 100.0 + s / 10000.0, CASE WHEN n = 'churn_rate' THEN s * 1.5 END "
                + "FROM generate_series(1, 3) m, generate_series(0, " + (days - 1) + ") d, generate_series(0, " + (slices - 1) + ") s, "
                + "unnest(ARRAY['accuracy', 'churn_rate', 'psi_country']) n");
        db.execute("INSERT INTO team.model_stats_daily VALUES ('Model1', 'v1', '2024-01-01', 'broken', 'accuracy', 'NaN', NULL), "
                + "('Model1', 'v1', '2199-01-01', 'ALL', 'accuracy', 0.5, NULL)");
        return db;
    }

    private static final String TABLES = "SELECT (SELECT count(*) || '/' || coalesce(sum(hashtextextended(s::text, 1)::numeric), 0) "
            + "FROM (SELECT model_name, model_version, stat_date, slice_key, metric_type, metric_key, metric_value "
            + "FROM ml_monitoring.model_stats_daily) s) || ' ' || (SELECT count(*) || '/' || coalesce(sum(hashtextextended(b::text, 1)::numeric), 0) "
            + "FROM (SELECT model_name, model_version, stat_date, slice_key, metric_type, metric_key, business_metric_value "
            + "FROM ml_monitoring.model_business_stats_daily) b) || ' ' || (SELECT count(*) || '/' || "
            + "coalesce(sum(hashtextextended(l::text, 1)::numeric), 0) FROM (SELECT model_name, model_version, stat_date, slice_key, "
            + "metric_name, metric_value, business_metric_value FROM ml_monitoring.model_stats_daily_legacy) l)";

    @Test
    void aSourceThatCannotBeImportedExitsTwoWithItsReasonAndWritesNothing(PostgresServer postgres) throws Exception {
        try (SinkDatabase db = teamHistory(postgres, "import_cli_bad", 2, 2)) {
            db.execute("CREATE TABLE team.partial (model_name text, stat_date date)");
            assertThat(cli.run("import", "--jdbc", db.jdbcUrl, "--source", "team.nothing_here")).isEqualTo(2);
            assertThat(cli.err()).contains("--source team.nothing_here: no table or view of that name");
            assertThat(cli.run("import", "--jdbc", db.jdbcUrl, "--source", "team.partial")).isEqualTo(2);
            assertThat(cli.err()).contains("lacks the column(s) model_version, slice_key, metric_name, metric_value, business_metric_value",
                    "create a view");
            for (String name : List.of("team.\"model_stats_daily\"", "team.model_stats_daily;DROP TABLE team.partial", "model_stats_daily")) {
                assertThat(cli.run("import", "--jdbc", db.jdbcUrl, "--source", name)).as(name).isEqualTo(2);
                assertThat(cli.err()).contains("--source must be SCHEMA.TABLE");
            }
            assertThat(cli.run("import", "--jdbc", db.jdbcUrl, "--source", "team.model_stats_daily", "--chunk-size", "0")).isEqualTo(2);
            assertThat(cli.run("import", "--jdbc", db.jdbcUrl)).as("--source is required").isEqualTo(2);
            assertThat(db.rows("SELECT count(*) FROM ml_monitoring.import_runs")).containsExactly("0");
            assertThat(db.rows("SELECT count(*) FROM team.partial")).as("nothing dropped").containsExactly("0");
            assertThat(db.rows("SELECT count(*) FROM ml_monitoring.model_stats_daily")).containsExactly("0");
        }
    }

    @Test
    void aDryRunCountsAndListsTheRejectedRowsThenARealRunImportsTheRest(PostgresServer postgres) throws Exception {
        try (SinkDatabase db = teamHistory(postgres, "import_cli_dry", 3, 2)) {
            assertThat(cli.run("import", "--jdbc", db.jdbcUrl, "--source", "team.model_stats_daily", "--dry-run")).isZero();
            assertThat(cli.out()).contains("56 row(s) selected, 54 to import", "2 row(s) rejected", "invalid-field",
                    "Model1/v1/2024-01-01/broken/accuracy: metric_value is NaN; only finite values are accepted",
                    "stat_date 2199-01-01 is outside 2000-01-01..2099-12-31", "dry run: nothing changed");
            assertThat(db.rows("SELECT count(*) FROM ml_monitoring.model_stats_daily")).containsExactly("0");

            assertThat(cli.run("import", "--jdbc", db.jdbcUrl, "--source", "team.model_stats_daily", "--models", "Model1,Model2",
                    "--to", "2024-01-02")).isZero();
            assertThat(cli.out()).contains("finished: imported 24 row(s), wrote 56, skipped 0 unmapped, rejected 1",
                    "SELECT * FROM ml_monitoring.import_rejected WHERE run_id = ");
            assertThat(cli.err()).as("progress, as lines when not on a terminal").contains("progress:");
            assertThat(cli.run("verify", "--jdbc", db.jdbcUrl)).as("both shapes agree").isZero();
        }
    }

    @Test
    void anImportKilledMidRunResumesAndEndsWithTheSameTablesAsAnUninterruptedOne(PostgresServer postgres) throws Exception {
        try (SinkDatabase killed = teamHistory(postgres, "import_cli_killed", 120, 200);
                SinkDatabase reference = teamHistory(postgres, "import_cli_reference", 120, 200)) {
            // January and February have partitions already, so they go in chunks; March and April are brought in whole.
            for (SinkDatabase db : List.of(killed, reference)) {
                db.execute("SELECT ml_monitoring.ensure_month_partitions('2024-01-01', '2024-02-01')");
            }
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            File log = Path.of("target", "import-killed.log").toFile();
            Process process = new ProcessBuilder(java, "-Xmx128m", "-jar", "target/statbridge.jar", "import", "--source",
                    "team.model_stats_daily", "--chunk-size", "1000", "--jdbc", killed.jdbcUrl)
                    .redirectErrorStream(true).redirectOutput(log).start();
            await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(20))
                    .until(() -> killed.rows("SELECT count(*) > 3 FROM ml_monitoring.import_chunks").contains("t"));
            process.destroyForcibly();
            assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
            long chunksBeforeKill = Long.parseLong(killed.rows("SELECT count(*) FROM ml_monitoring.import_chunks").get(0));
            assertThat(chunksBeforeKill).as("killed mid-run").isGreaterThan(3).isLessThan(216);
            assertThat(killed.rows("SELECT month FROM ml_monitoring.import_months ORDER BY 1"))
                    .as("the months without partitions were attached before the chunks began").containsExactly("2024-03-01", "2024-04-01");
            assertThat(killed.rows("SELECT count(*) FROM ml_monitoring.import_runs WHERE finished_at IS NULL")).containsExactly("1");

            assertThat(cli.run("import", "--source", "team.model_stats_daily", "--jdbc", killed.jdbcUrl)).isZero();
            assertThat(cli.out()).contains("staged by the interrupted run, carrying on", "resumed and finished: imported 216,000 row(s)",
                    "rejected 2");
            assertThat(cli.run("import", "--source", "team.model_stats_daily", "--chunk-size", "50000", "--jdbc", reference.jdbcUrl))
                    .isZero();
            assertThat(killed.rows(TABLES)).isEqualTo(reference.rows(TABLES));
            assertThat(killed.rows("SELECT count(*) FROM ml_monitoring.model_stats_daily_legacy")).containsExactly("216000");
            assertThat(killed.rows("SELECT count(*) FROM ml_monitoring.import_rejected")).as("each refused row once").containsExactly("2");
            assertThat(reference.rows("SELECT month FROM ml_monitoring.import_months ORDER BY 1")).containsExactly("2024-03-01", "2024-04-01");

            assertThat(cli.run("import", "--source", "team.model_stats_daily", "--jdbc", killed.jdbcUrl)).isZero();
            assertThat(cli.out()).as("a second run changes nothing").contains("wrote 0", "nothing needed changing");
            assertThat(killed.rows(TABLES)).isEqualTo(reference.rows(TABLES));
        }
    }
}

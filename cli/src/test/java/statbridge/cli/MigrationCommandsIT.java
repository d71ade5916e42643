package statbridge.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import statbridge.catalog.CatalogEntry;
import statbridge.sink.SinkDatabase;
import statbridge.testing.KafkaBroker;
import statbridge.testing.PostgresServer;
import statbridge.testing.RealInfrastructure;
import statbridge.v2.MetricType;

/** backfill, verify, purge-legacy and catalog guide from the command line, against a real PostgreSQL. */
@ExtendWith(RealInfrastructure.class)
class MigrationCommandsIT {

    private final CliRunner cli = new CliRunner();

    private int run(String... args) {
        return cli.run(args);
    }

    /** Legacy history: models x versions x days x slices x names; 'old_metric' is not in the catalog. */
    static SinkDatabase history(PostgresServer postgres, int days, int slices, boolean withUnmapped) throws Exception {
        SinkDatabase db = SinkDatabase.create(postgres, "cli_migration");
        db.addCatalog(List.of(CatalogEntry.of("accuracy", MetricType.ONLINE, "accuracy"),
                CatalogEntry.of("churn_rate", MetricType.BUSINESS, "churn_rate"),
                CatalogEntry.of("psi_country", MetricType.DRIFT, "psi_country")));
        db.execute("SELECT ml_monitoring.ensure_month_partitions('2024-01-01', date '2024-01-01' + " + days + ")");
        db.execute("INSERT INTO ml_monitoring.model_stats_daily_legacy (model_name, model_version, stat_date, slice_key, metric_name, "
                + "metric_value, business_metric_value) SELECT 'Model' || m, 'v1', date '2024-01-01' + d, 'slice' || s, n, "
                + "m + d / 100.0 + s / 10000.0, CASE WHEN n = 'churn_rate' THEN s * 1.5 END "
                + "FROM generate_series(1, 3) m, generate_series(0, " + (days - 1) + ") d, generate_series(0, " + (slices - 1) + ") s, "
                + "unnest(ARRAY['accuracy', 'churn_rate', 'psi_country'" + (withUnmapped ? ", 'old_metric'" : "") + "]) n");
        return db;
    }

    @Test
    void badFlagsExitTwoWithAClearMessage(PostgresServer postgres) throws Exception {
        try (SinkDatabase db = history(postgres, 3, 2, false)) {
            assertThat(run("backfill", "--direction", "legacy-to-new", "--jdbc", db.jdbcUrl, "--from", "2024-02-01", "--to", "2024-01-01"))
                    .isEqualTo(2);
            assertThat(cli.err()).contains("--from 2024-02-01 is after --to 2024-01-01");
            assertThat(run("verify", "--jdbc", db.jdbcUrl, "--from", "2024-13-01")).isEqualTo(2);
            assertThat(cli.err()).contains("--from", "2024-13-01");
            assertThat(run("verify", "--jdbc", db.jdbcUrl, "--models", "Model1,NoSuchModel")).isEqualTo(2);
            assertThat(cli.err()).contains("unknown model(s) [NoSuchModel]");
            assertThat(run("backfill", "--direction", "sideways", "--jdbc", db.jdbcUrl)).isEqualTo(2);
            assertThat(cli.err()).contains("legacy-to-new or new-to-legacy");
            assertThat(run("backfill", "--direction", "legacy-to-new", "--parallel", "0", "--jdbc", db.jdbcUrl)).isEqualTo(2);
            assertThat(cli.err()).contains("--parallel must be between 1 and 64");
            assertThat(run("purge-legacy", "--jdbc", db.jdbcUrl)).isEqualTo(2);
            assertThat(cli.err()).contains("--before", "--all");
            assertThat(run("purge-legacy", "--jdbc", db.jdbcUrl, "--all", "--before", "2024-01-01")).isEqualTo(2);
        }
    }

    @Test
    void backfillThenVerifyThenPurgeFromTheCommandLine(PostgresServer postgres) throws Exception {
        try (SinkDatabase db = history(postgres, 5, 3, false)) {
            assertThat(run("verify", "--jdbc", db.jdbcUrl)).isEqualTo(ExitCodes.PROBLEM);
            assertThat(cli.out()).contains("missing in the new tables:   135", "DIFFERENT");

            assertThat(run("backfill", "--direction", "legacy-to-new", "--jdbc", db.jdbcUrl, "--dry-run")).isZero();
            assertThat(cli.out()).contains("135 row(s) to read", "dry run: nothing changed");
            assertThat(db.rows("SELECT count(*) FROM ml_monitoring.model_stats_daily")).containsExactly("0");

            assertThat(run("backfill", "--direction", "legacy-to-new", "--jdbc", db.jdbcUrl, "--chunk-size", "40", "--parallel", "3")).isZero();
            assertThat(cli.out()).contains("finished: read 135 row(s), wrote 180");
            assertThat(cli.err()).as("progress, as lines when not on a terminal").contains("progress:");
            assertThat(run("backfill", "--direction", "legacy-to-new", "--jdbc", db.jdbcUrl)).isZero();
            assertThat(cli.out()).contains("wrote 0", "nothing needed changing");

            assertThat(run("verify", "--jdbc", db.jdbcUrl, "--json")).isZero();
            JsonNode report = new ObjectMapper().readTree(cli.out());
            assertThat(report.get("equal").asBoolean()).isTrue();
            assertThat(report.get("legacy_rows").asLong()).isEqualTo(135);
            assertThat(report.get("rebuilt_rows").asLong()).isEqualTo(135);
            assertThat(run("dual-write", "status", "--jdbc", db.jdbcUrl)).isZero();
            assertThat(cli.out()).contains("last parity check: equal");

            assertThat(run("purge-legacy", "--jdbc", db.jdbcUrl, "--all")).isEqualTo(ExitCodes.PROBLEM);
            assertThat(cli.err()).contains("dual-write is on");
            assertThat(run("dual-write", "off", "--jdbc", db.jdbcUrl)).isZero();
            assertThat(run("purge-legacy", "--jdbc", db.jdbcUrl, "--all")).isZero();
            assertThat(cli.out()).contains("model_stats_daily_legacy_archive (all rows): deleted 135 row(s)",
                    "dropped partition model_stats_daily_legacy_2024_01 (135 rows)");
            assertThat(run("verify", "--jdbc", db.jdbcUrl)).as("the legacy name still answers, as a view").isZero();

            assertThat(run("catalog", "guide", "--jdbc", db.jdbcUrl)).isZero();
            assertThat(cli.out()).contains("| `psi_country` | DRIFT | `psi_country` |");
        }
    }

    @Test
    void unmappedLegacyNamesAreInferredIntoTheCatalogUnderInfer(PostgresServer postgres, KafkaBroker kafka) throws Exception {
        String catalogTopic = "cli-catalog-" + System.nanoTime();
        kafka.createTopics(1, Map.of("cleanup.policy", "compact"), catalogTopic);
        Path config = Files.createTempFile("backfill", ".properties");
        Files.writeString(config, "topic.catalog=" + catalogTopic + "\n");
        try (SinkDatabase db = history(postgres, 2, 1, true)) {
            assertThat(run("backfill", "--direction", "legacy-to-new", "--jdbc", db.jdbcUrl, "--kafka", kafka.bootstrapServers(),
                    "--config", config.toString())).isZero();
            assertThat(cli.out()).contains("old_metric", "policy INFER", "inferred and added to the catalog",
                    "read 24 row(s)", "skipped 0 unmapped");
            assertThat(db.rows("SELECT metric_type || '/' || metric_key || '/' || origin FROM ml_monitoring.metric_catalog "
                    + "WHERE metric_name = 'old_metric'")).containsExactly("ONLINE/old_metric/INFERRED");
            assertThat(new statbridge.catalog.CatalogTopic(Map.of("bootstrap.servers", kafka.bootstrapServers()), catalogTopic)
                    .read().byName("old_metric")).isPresent();
        }
    }

    @Test
    void aBackfillKilledMidRunResumesAndEndsWithTheSameTablesAsAnUninterruptedOne(PostgresServer postgres) throws Exception {
        try (SinkDatabase killed = history(postgres, 60, 200, false); SinkDatabase reference = history(postgres, 60, 200, false)) {
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            File log = Path.of("target", "backfill-killed.log").toFile();
            Process process = new ProcessBuilder(java, "-jar", "target/statbridge.jar", "backfill", "--direction", "legacy-to-new",
                    "--chunk-size", "500", "--jdbc", killed.jdbcUrl).redirectErrorStream(true).redirectOutput(log).start();
            await("the backfill's first chunk committed").atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(20))
                    .until(() -> killed.rows("SELECT coalesce(max(rows_read), 0) > 0 FROM ml_monitoring.backfill_runs").contains("t"));
            process.destroyForcibly();
            assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
            long readBeforeKill = Long.parseLong(killed.rows("SELECT max(rows_read) FROM ml_monitoring.backfill_runs").get(0));
            assertThat(readBeforeKill).as("killed mid-run").isPositive().isLessThan(60 * 200 * 3 * 3);

            assertThat(run("backfill", "--direction", "legacy-to-new", "--chunk-size", "500", "--jdbc", killed.jdbcUrl)).isZero();
            assertThat(cli.out()).contains("resumed and finished: read 108,000 row(s)");
            assertThat(run("backfill", "--direction", "legacy-to-new", "--chunk-size", "5000", "--jdbc", reference.jdbcUrl)).isZero();

            for (String table : List.of("model_stats_daily", "model_business_stats_daily")) {
                String query = "SELECT model_name, model_version, stat_date, slice_key, metric_type, metric_key, "
                        + (table.equals("model_stats_daily") ? "metric_value" : "business_metric_value") + " FROM ml_monitoring." + table;
                assertThat(killed.rows(query)).as(table).isEqualTo(reference.rows(query));
            }
        }
    }
}

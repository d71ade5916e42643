package statbridge.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.File;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import statbridge.sink.SinkDatabase;
import statbridge.testing.PostgresServer;
import statbridge.testing.RealInfrastructure;

/**
 * {@code statbridge series rebuild} from the command line on history the sink never wrote: killed
 * with SIGKILL while it waits for a month a writer holds, then run again, it carries on and leaves
 * exactly the aggregate of the stat rows, including the row the writer committed meanwhile; a third
 * run changes nothing.
 */
@ExtendWith(RealInfrastructure.class)
class SeriesRebuildCommandIT {

    private final CliRunner cli = new CliRunner();

    @Test
    void aRebuildKilledMidRunCarriesOnAndEqualsTheAggregate(PostgresServer postgres) throws Exception {
        try (SinkDatabase db = SinkDatabase.create(postgres, "series_rebuild_cli")) {
            db.execute("SELECT ml_monitoring.ensure_month_partitions('2024-01-01', '2024-12-01')");
            db.execute("""
                    INSERT INTO ml_monitoring.model_stats_daily (model_name, model_version, stat_date, slice_key, metric_type, metric_key,
                           metric_value, event_time, source_offset, source_topic, write_seq)
                    SELECT 'Model' || (g % 5), 'v1', DATE '2024-01-01' + (g / 40) % 366, 'segment=' || (g % 7), 'ONLINE',
                           'metric_' || (g % 3), (g % 1000) / 100.0, '-infinity', -1, 'import', 0
                    FROM generate_series(1, 60000) g ON CONFLICT DO NOTHING""");
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            File log = Path.of("target", "series-rebuild-killed.log").toFile();
            try (Connection writer = db.connection(); Statement hold = writer.createStatement()) {
                // a batch writing October, still open: the rebuild waits for it there
                hold.execute("INSERT INTO ml_monitoring.model_stats_daily (model_name, model_version, stat_date, slice_key, metric_type, "
                        + "metric_key, metric_value, event_time, source_offset, source_topic, write_seq) VALUES ('Late', 'v1', "
                        + "DATE '2024-10-15', 'ALL', 'ONLINE', 'metric_0', 42, now(), 0, 't', 1)");
                Process process = new ProcessBuilder(java, "-Xmx128m", "-jar", "target/statbridge.jar", "series", "rebuild", "--parallel", "1",
                        "--jdbc", db.jdbcUrl).redirectErrorStream(true).redirectOutput(log).start();
                await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(50))
                        .until(() -> db.rows("SELECT count(*) >= 9 FROM ml_monitoring.series_rebuild_months").contains("t"));
                assertThat(process.isAlive()).as("waiting for October").isTrue();
                process.destroyForcibly();
                assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
                writer.commit();
            }
            assertThat(db.rows("SELECT count(*) FROM ml_monitoring.series_rebuild_runs WHERE finished_at IS NULL")).containsExactly("1");
            assertThat(db.rows("SELECT count(*) FROM ml_monitoring.series_rebuild_months")).containsExactly("9");

            assertThat(cli.run("series", "rebuild", "--jdbc", db.jdbcUrl)).as(cli.err()).isZero();
            assertThat(cli.out()).contains("rebuilt 3 month(s) (carrying on an interrupted run: 9 already done)");
            assertThat(db.series()).isEqualTo(db.seriesAggregate());
            assertThat(db.series()).anySatisfy(row -> assertThat(row).startsWith("Late|v1|ONLINE|metric_0|1|"));
            List<String> rebuilt = db.rows("SELECT * FROM ml_monitoring.metric_series_months");

            assertThat(cli.run("series", "rebuild", "--jdbc", db.jdbcUrl)).isZero();
            String rows = String.format(Locale.ROOT, "%,d stat rows",
                    Long.parseLong(db.rows("SELECT count(*) FROM ml_monitoring.model_stats_daily").get(0)));
            assertThat(cli.out()).contains("rebuilt 12 month(s):", rows);
            assertThat(db.rows("SELECT * FROM ml_monitoring.metric_series_months")).as("rebuilding again").isEqualTo(rebuilt);
            assertThat(cli.run("series", "rebuild", "--jdbc", db.jdbcUrl, "--parallel", "0")).isEqualTo(2);
        }
    }
}

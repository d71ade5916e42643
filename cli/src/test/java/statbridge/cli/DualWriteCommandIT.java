package statbridge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import statbridge.sink.SinkDatabase;
import statbridge.testing.PostgresServer;
import statbridge.testing.RealInfrastructure;

/** {@code statbridge db migrate} and {@code statbridge dual-write status|on|off} against a real PostgreSQL. */
@ExtendWith(RealInfrastructure.class)
class DualWriteCommandIT {

    private final CliRunner cli = new CliRunner();

    private int run(String... args) {
        return cli.run(args);
    }

    @Test
    void thePlatformTeamsSwitchFromTheCommandLine(PostgresServer postgres) throws Exception {
        String jdbc = postgres.createDatabase("cli_switch");

        assertThat(run("db", "migrate", "--jdbc", jdbc)).isZero();
        assertThat(cli.out()).contains("applied", "migration(s)");
        assertThat(run("db", "migrate", "--jdbc", jdbc)).isZero();
        assertThat(cli.out()).contains("up to date");

        assertThat(run("dual-write", "status", "--jdbc", jdbc)).isZero();
        assertThat(cli.out()).contains("dual-write:        ON", "grace period:      none set", "never run");

        try (SinkDatabase db = SinkDatabase.attach(jdbc)) {
            db.execute("INSERT INTO ml_monitoring.metric_catalog VALUES ('accuracy', 'ONLINE', 'accuracy')");
            db.execute("SELECT ml_monitoring.ensure_month_partitions('2025-04-01', '2025-04-01')");
            db.execute("INSERT INTO ml_monitoring.model_stats_daily_legacy (model_name, model_version, stat_date, slice_key, metric_name, metric_value) "
                    + "VALUES ('m', 'v1', '2025-04-26', 'ALL', 'accuracy', 0.9)");
        }
        assertThat(run("dual-write", "off", "--jdbc", jdbc, "--reason", "grace over")).isEqualTo(ExitCodes.PROBLEM);
        assertThat(cli.err()).contains("refusing to switch dual-write off", "missing in new 1");

        assertThat(run("dual-write", "off", "--jdbc", jdbc, "--reason", "incident 7", "--force")).isZero();
        assertThat(cli.out()).contains("model_stats_daily_legacy is now a view", "dual-write:        OFF", "(FORCED)", "incident 7");

        assertThat(run("dual-write", "on", "--jdbc", jdbc, "--reason", "rollback")).isZero();
        assertThat(cli.out()).contains("dual-write is on: 0 legacy row(s)", "dual-write:        ON");
        assertThat(run("dual-write", "status", "--jdbc", jdbc, "--history", "10")).isZero();
        assertThat(cli.out()).contains("history (newest first):", "ON  by", "OFF  by", "(forced)");
    }

    @Test
    void anUnreachableDatabaseIsAClearErrorWithExitOne() {
        assertThat(run("dual-write", "status", "--jdbc", "jdbc:postgresql://127.0.0.1:1/none?connectTimeout=1")).isEqualTo(ExitCodes.PROBLEM);
        assertThat(cli.err()).contains("statbridge dual-write status: PostgreSQL:");
    }
}

package statbridge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import statbridge.catalog.CatalogEntry;
import statbridge.sink.SinkDatabase;
import statbridge.sink.db.Partitions;
import statbridge.sink.dualwrite.DualWriteSwitch;
import statbridge.tools.lifecycle.LegacyLifecycle;
import statbridge.tools.lifecycle.LegacyReaderSampler;
import statbridge.tools.lifecycle.LegacyReaders;
import org.awaitility.Awaitility;
import statbridge.sink.offsets.OffsetRange;
import statbridge.sink.writer.Batch;
import statbridge.sink.writer.BatchWriter;
import statbridge.sink.writer.Fact;
import statbridge.testing.PostgresServer;
import statbridge.testing.RealInfrastructure;
import statbridge.v2.MetricType;

/**
 * {@code statbridge legacy readers|notices|retire} on a real PostgreSQL with pg_stat_statements:
 * dashboards connect as roles of their own through JDBC, as a dashboard would.
 */
@ExtendWith(RealInfrastructure.class)
class LegacyCommandIT {

    private static final String DASHBOARD_QUERY = "SELECT stat_date, metric_value, business_metric_value "
            + "FROM ml_monitoring.model_stats_daily_legacy WHERE model_name = 'ChurnPredictor' AND metric_name = 'churn_rate' ORDER BY stat_date";
    private static final String CONSTANT_FREE_QUERY = "SELECT metric_name, count(*) AS days, max(business_metric_value) AS top_kpi "
            + "FROM ml_monitoring.model_stats_daily_legacy GROUP BY metric_name";

    private final CliRunner cli = new CliRunner();
    private final PostgresServer postgres;
    private final SinkDatabase db;
    private final String suffix = "_" + System.nanoTime();
    private final String dashA = "dash_a" + suffix;
    private final String dashB = "dash_b" + suffix;
    private final String newShapeOnly = "dash_new" + suffix;
    private final String operator = "ops" + suffix;
    private long offset;

    LegacyCommandIT(PostgresServer postgres) throws Exception {
        this.postgres = postgres;
        this.db = SinkDatabase.create(postgres, "legacy_cli");
        db.addCatalog(List.of(CatalogEntry.of("accuracy", MetricType.ONLINE, "accuracy"),
                CatalogEntry.of("churn_rate", MetricType.BUSINESS, "churn_rate")));
        List<Fact> facts = new ArrayList<>();
        for (int d = 0; d < 10; d++) {
            facts.add(fact(Fact.Kind.STAT, LocalDate.of(2025, 4, 1).plusDays(d), MetricType.ONLINE, "accuracy", 0.9 - d / 100.0));
            facts.add(fact(Fact.Kind.STAT, LocalDate.of(2025, 4, 1).plusDays(d), MetricType.BUSINESS, "churn_rate", 0.03));
            facts.add(fact(Fact.Kind.BUSINESS, LocalDate.of(2025, 4, 1).plusDays(d), MetricType.BUSINESS, "churn_rate", 1000.0 + d));
        }
        write(facts);
        for (String role : List.of(dashA, dashB, newShapeOnly, operator)) {
            db.execute("CREATE ROLE " + role + " LOGIN IN ROLE ml_monitoring_reader");
        }
        db.execute("CREATE SCHEMA analytics; CREATE VIEW analytics.churn_kpi AS SELECT stat_date, business_metric_value "
                + "FROM ml_monitoring.model_stats_daily_legacy WHERE metric_name = 'churn_rate'; "
                + "GRANT USAGE ON SCHEMA analytics TO " + dashB + "; GRANT SELECT ON analytics.churn_kpi TO " + dashB);
    }

    @AfterEach
    void close() {
        db.close();
    }

    private Fact fact(Fact.Kind kind, LocalDate day, MetricType type, String key, double value) {
        offset++;
        return new Fact(kind, "ChurnPredictor", "v3", day, "ALL", type, key, value, offset, "t", 0, offset);
    }

    private void write(List<Fact> facts) throws Exception {
        new Partitions(db.database.dataSource()).ensureFor(facts.stream().map(Fact::statDate).toList());
        try (Connection connection = db.connection()) {
            long first = offset - facts.size();
            new BatchWriter("legacy-cli").write(connection, new Batch(facts, List.of(),
                    Map.of(new TopicPartition("t", 0), new OffsetRange(first == 0 ? -1 : first, offset))));
        }
    }

    /** Runs queries as a dashboard's role, through its own JDBC connection. */
    private void runAs(String role, String... queries) throws Exception {
        String url = db.jdbcUrl.replace("user=postgres", "user=" + role);
        try (Connection connection = DriverManager.getConnection(url); Statement statement = connection.createStatement()) {
            for (String query : queries) {
                try (ResultSet rows = statement.executeQuery(query)) {
                    assertThat(rows.next()).as(role + ": " + query).isTrue();
                }
            }
        }
    }

    private JsonNode readers() throws Exception {
        assertThat(cli.run("legacy", "readers", "--jdbc", db.jdbcUrl, "--since", "7d", "--json")).as(cli.err()).isZero();
        return new ObjectMapper().readTree(cli.out());
    }

    private static TreeSet<String> roles(JsonNode readers) {
        TreeSet<String> roles = new TreeSet<>();
        readers.get("readers").forEach(reader -> roles.add(reader.get("role").asText()));
        return roles;
    }

    private static JsonNode queryOf(JsonNode readers, String role, String contains) {
        for (JsonNode reader : readers.get("readers")) {
            if (reader.get("role").asText().equals(role) && reader.get("query").asText().contains(contains)) {
                return reader;
            }
        }
        throw new AssertionError("no query of " + role + " containing " + contains + " in " + readers);
    }

    @Test
    void theReadersOfTheLegacyShapeAreListedByRoleWithTheirQueriesAndStatbridgesOwnAreNot(@TempDir Path notices) throws Exception {
        runAs(dashA, DASHBOARD_QUERY, DASHBOARD_QUERY);
        runAs(dashB, CONSTANT_FREE_QUERY, "SELECT * FROM analytics.churn_kpi");
        runAs(newShapeOnly, "SELECT * FROM ml_monitoring.model_stats_daily WHERE metric_key = 'accuracy'");
        runAs(operator, CONSTANT_FREE_QUERY);
        // statbridge's own work on the legacy shape, as the role statbridge connects as
        assertThat(cli.run("verify", "--jdbc", db.jdbcUrl)).as(cli.err()).isZero();
        assertThat(cli.run("backfill", "--direction", "new-to-legacy", "--jdbc", db.jdbcUrl)).as(cli.err()).isZero();

        Path config = Files.writeString(notices.resolve("statbridge.properties"), "legacy.readers.own.roles=" + operator + "\n");
        assertThat(cli.run("legacy", "readers", "--jdbc", db.jdbcUrl, "--config", config.toString(), "--json")).as(cli.err()).isZero();
        assertThat(roles(new ObjectMapper().readTree(cli.out()))).as("an operator's role statbridge runs as").containsExactly(dashA, dashB);

        JsonNode readers = readers();
        assertThat(roles(readers)).as("once the operator's role is not named as statbridge's").containsExactly(dashA, dashB, operator);
        db.execute("DELETE FROM ml_monitoring.legacy_readers WHERE role_name = '" + operator + "'");
        JsonNode dashboard = queryOf(readers, dashA, "model_stats_daily_legacy");
        assertThat(dashboard.get("calls").asLong()).isEqualTo(2);
        assertThat(dashboard.get("rows").asLong()).isEqualTo(20);
        assertThat(dashboard.get("query").asText()).contains("metric_name = $2");
        assertThat(dashboard.get("rewrite").asText()).contains("ml_monitoring.model_stats_daily",
                "(SELECT mc.metric_type, mc.metric_key FROM ml_monitoring.metric_catalog mc WHERE mc.metric_name = $2)",
                "LEFT JOIN ml_monitoring.model_business_stats_daily");
        assertThat(dashboard.get("rewrite_check").asText()).startsWith("same ")
                .contains("row(s) on the current data, ", "set(s) of values from the data, e.g. $1='ChurnPredictor', $2='");
        JsonNode constantFree = queryOf(readers, dashB, "GROUP BY metric_name");
        assertThat(constantFree.get("rewrite_check").asText()).isEqualTo("same 2 row(s) on the current data");
        assertThat(queryOf(readers, dashB, "analytics.churn_kpi").get("not_rewritten_because").asText())
                .contains("does not read model_stats_daily_legacy itself");

        // The record survives pg_stat_statements_reset(): the counts go on adding.
        db.execute("SELECT pg_stat_statements_reset()");
        runAs(dashA, DASHBOARD_QUERY);
        assertThat(queryOf(readers(), dashA, "model_stats_daily_legacy").get("calls").asLong()).isEqualTo(3);

        assertThat(cli.run("legacy", "readers", "--jdbc", db.jdbcUrl, "--rewrites")).isZero();
        assertThat(cli.out()).contains("role " + dashA + ":", "3 call(s), 30 row(s)", "role " + dashB + ":",
                "rewrite (same 2 row(s) on the current data):").doesNotContain(newShapeOnly, "role postgres");

        assertThat(cli.run("legacy", "notices", "--jdbc", db.jdbcUrl, "-o", notices.resolve("out").toString())).as(cli.err()).isZero();
        Path noticeA = notices.resolve("out").resolve(dashA + ".md");
        Path noticeB = notices.resolve("out").resolve(dashB + ".md");
        assertThat(notices.resolve("out").resolve("migration-guide.md")).content().contains("<a id=\"metric-churn-rate\"></a>");
        assertThat(noticeA).content().contains("# Notice to `" + dashA + "`", "dual-write is on", "3 call(s)",
                "metric_name = $2", "set(s) of values from the data", "(migration-guide.md)");
        assertThat(noticeB).content().contains("same 2 row(s) on the current data", "GROUP BY c.metric_name",
                "Not rewritten automatically");
        try (var files = Files.list(notices.resolve("out"))) {
            assertThat(files.map(p -> p.getFileName().toString()).sorted().toList())
                    .containsExactly(dashA + ".md", dashB + ".md", "migration-guide.md");
        }
    }

    @Test
    void withoutPgStatStatementsNothingIsRecordedTheReasonIsShownAndRetireCannotPass() throws Exception {
        String plain = "sb_plain" + suffix;
        db.execute("CREATE ROLE " + plain + " LOGIN; GRANT USAGE ON SCHEMA ml_monitoring TO " + plain
                + "; GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA ml_monitoring TO " + plain);
        String url = db.jdbcUrl.replace("user=postgres", "user=" + plain);
        runAs(dashA, DASHBOARD_QUERY);
        assertThat(cli.run("legacy", "readers", "--jdbc", url)).as(cli.err()).isZero();
        assertThat(cli.err()).contains("warning: pg_stat_statements is not available in this database: add it to "
                + "shared_preload_libraries and run CREATE EXTENSION pg_stat_statements");
        assertThat(cli.out()).contains("recorded since never", "none");
        try (statbridge.sink.db.Database limited = statbridge.sink.db.Database.open(statbridge.sink.db.DatabaseConfig.of(url), "limited")) {
            LegacyLifecycle.Verdict verdict = new LegacyLifecycle(limited.dataSource(), Clock.systemUTC())
                    .verdict(LegacyLifecycle.DEFAULT_QUIET_PERIOD);
            assertThat(verdict.passes()).isFalse();
            assertThat(verdict.reasons()).contains("readers are not being recorded: pg_stat_statements is not available in this "
                    + "database: add it to shared_preload_libraries and run CREATE EXTENSION pg_stat_statements (see docs/analysts.md)");
        }
        assertThat(db.rows("SELECT count(*) FROM ml_monitoring.legacy_readers")).containsExactly("0");
    }

    @Test
    void theSinksSamplerRecordsReadersInTheBackgroundAtItsInterval() throws Exception {
        try (LegacyReaderSampler sampler = LegacyReaderSampler.start(new LegacyReaders(db.database.dataSource()), Duration.ofMillis(100))) {
            runAs(dashA, DASHBOARD_QUERY);
            Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                    assertThat(db.rows("SELECT role_name, calls FROM ml_monitoring.legacy_readers")).containsExactly(dashA + "|1"));
            runAs(dashA, DASHBOARD_QUERY);
            Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                    assertThat(db.rows("SELECT role_name, calls FROM ml_monitoring.legacy_readers")).containsExactly(dashA + "|2"));
        }
    }

    @Test
    void retireIsRefusedWhileAReaderIsWithinTheQuietPeriodAllowedAfterItAndTheTableComesBackWithNoGap() throws Exception {
        runAs(dashA, DASHBOARD_QUERY);
        assertThat(cli.run("legacy", "retire", "--jdbc", db.jdbcUrl)).isEqualTo(ExitCodes.PROBLEM);
        assertThat(cli.err()).contains("dual-write is on");

        assertThat(cli.run("dual-write", "off", "--jdbc", db.jdbcUrl, "--reason", "grace over")).as(cli.err()).isZero();
        assertThat(cli.err()).contains("warning: the legacy shape was read within the last 14d by " + dashA + " (1 calls)");
        runAs(dashA, DASHBOARD_QUERY);

        assertThat(cli.run("legacy", "retire", "--jdbc", db.jdbcUrl)).isEqualTo(ExitCodes.PROBLEM);
        assertThat(cli.err()).contains("refusing to remove the legacy view", "1 role(s) read the legacy shape within the quiet period of 14d: "
                + dashA, dashA + ": 1 call(s), last ");
        assertThat(cli.run("dual-write", "status", "--jdbc", db.jdbcUrl)).isZero();
        assertThat(cli.out()).contains("legacy readers:    1 role(s): " + dashA, "legacy retire:     would be refused");
        assertThat(cli.run("purge-legacy", "--jdbc", db.jdbcUrl, "--all", "--dry-run")).isZero();
        assertThat(cli.err()).contains("warning: the legacy shape was read within the last 14d by " + dashA);

        // Fifteen days on, with no reader since: retire passes.
        LegacyLifecycle later = new LegacyLifecycle(db.database.dataSource(), Clock.offset(Clock.systemUTC(), Duration.ofDays(15)));
        assertThat(later.verdict(LegacyLifecycle.DEFAULT_QUIET_PERIOD).reasons()).containsExactly("view(s) of yours read "
                + "model_stats_daily_legacy: analytics.churn_kpi (point them at the new tables, or drop them, first; retire never drops them)");
        LegacyLifecycle.Retirement held = later.retire(LegacyLifecycle.DEFAULT_QUIET_PERIOD, false, null, "test");
        assertThat(held.outcome()).as("a view of the users' own reads it").isEqualTo(DualWriteSwitch.Retired.VIEWS_DEPEND_ON_IT);
        assertThat(held.verdict().views()).containsExactly("analytics.churn_kpi");
        db.execute("DROP VIEW analytics.churn_kpi");
        assertThat(later.verdict(LegacyLifecycle.DEFAULT_QUIET_PERIOD).passes()).isTrue();
        LegacyLifecycle.Retirement retirement = later.retire(LegacyLifecycle.DEFAULT_QUIET_PERIOD, false, null, "test");
        assertThat(retirement.outcome()).isEqualTo(DualWriteSwitch.Retired.RETIRED);
        assertThat(retirement.forced()).isFalse();
        assertThat(db.rows("SELECT to_regclass('ml_monitoring.model_stats_daily_legacy') IS NULL")).containsExactly("t");
        assertThat(cli.run("dual-write", "status", "--jdbc", db.jdbcUrl, "--history", "3")).isZero();
        assertThat(cli.out()).contains("legacy retire:     done", "legacy view retired: no reader of the legacy shape for 14d");
        assertThat(cli.run("verify", "--jdbc", db.jdbcUrl)).isEqualTo(ExitCodes.PROBLEM);
        assertThat(cli.err()).contains("the legacy view was retired");

        // Written while retired, then dual-write on: the legacy table is back with every row.
        write(List.of(fact(Fact.Kind.STAT, LocalDate.of(2025, 4, 20), MetricType.ONLINE, "accuracy", 0.5)));
        assertThat(cli.run("dual-write", "on", "--jdbc", db.jdbcUrl, "--reason", "a dashboard was missed")).as(cli.err()).isZero();
        assertThat(cli.out()).contains("1 legacy row(s) written while it was off were rebuilt");
        assertThat(db.rows("SELECT count(*) FROM ml_monitoring.model_stats_daily_legacy")).containsExactly("21");
        assertThat(cli.run("verify", "--jdbc", db.jdbcUrl)).as(cli.out() + cli.err()).isZero();
    }

    @Test
    void aViewOfTheUsersOverTheLegacyTableFollowsTheLegacyNameThroughBothSwitches() throws Exception {
        String kpi = "SELECT count(*) FROM analytics.churn_kpi";
        assertThat(db.rows(kpi)).containsExactly("10");
        assertThat(cli.run("dual-write", "off", "--jdbc", db.jdbcUrl)).as(cli.err()).isZero();
        assertThat(cli.out()).contains("1 view(s) of yours over model_stats_daily_legacy now read the view: analytics.churn_kpi");
        write(List.of(fact(Fact.Kind.STAT, LocalDate.of(2025, 4, 21), MetricType.BUSINESS, "churn_rate", 0.05)));
        assertThat(db.rows(kpi)).as("it reads the view over the new tables, not the archived table").containsExactly("11");

        assertThat(cli.run("dual-write", "on", "--jdbc", db.jdbcUrl)).as(cli.err()).isZero();
        assertThat(cli.out()).contains("now read the table: analytics.churn_kpi");
        assertThat(db.rows(kpi)).containsExactly("11");
        assertThat(db.rows("SELECT DISTINCT d.refobjid::regclass::text FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid "
                + "WHERE r.ev_class = 'analytics.churn_kpi'::regclass AND d.refobjid <> r.ev_class"))
                .containsExactly("ml_monitoring.model_stats_daily_legacy");
    }

    @Test
    void forcedRetirementNeedsAReasonAndIsRecorded() throws Exception {
        runAs(dashA, DASHBOARD_QUERY);
        assertThat(cli.run("dual-write", "off", "--jdbc", db.jdbcUrl)).as(cli.err()).isZero();
        assertThat(cli.run("legacy", "retire", "--jdbc", db.jdbcUrl, "--force")).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(cli.err()).contains("--force needs --reason");
        assertThat(db.rows("SELECT to_regclass('ml_monitoring.model_stats_daily_legacy') IS NOT NULL")).containsExactly("t");

        assertThat(cli.run("legacy", "retire", "--jdbc", db.jdbcUrl, "--force", "--reason", "the dashboards moved in JIRA-12"))
                .isEqualTo(ExitCodes.PROBLEM);
        assertThat(cli.err()).contains("even with --force, the legacy view is not dropped while views of yours read it:",
                "  - analytics.churn_kpi");
        db.execute("DROP VIEW analytics.churn_kpi");
        assertThat(cli.run("legacy", "retire", "--jdbc", db.jdbcUrl, "--force", "--reason", "the dashboards moved in JIRA-12"))
                .as(cli.err()).isZero();
        assertThat(cli.out()).contains("retired the legacy view", "FORCED: the dashboards moved in JIRA-12");
        assertThat(db.rows("SELECT forced, reason LIKE 'legacy view retired, FORCED — the dashboards moved in JIRA-12 (%' "
                + "FROM ml_monitoring.dual_write_history ORDER BY id DESC LIMIT 1")).containsExactly("t|t");
        assertThat(cli.run("legacy", "retire", "--jdbc", db.jdbcUrl)).isZero();
        assertThat(cli.out()).contains("already retired");
    }

    @Test
    void badQuietPeriodsSincesAndOutputDirectoriesAreRefusedWithExitTwoAndChangeNothing(@TempDir Path temp) throws Exception {
        assertThat(cli.run("dual-write", "off", "--jdbc", db.jdbcUrl)).as(cli.err()).isZero();
        for (String[] args : List.of(new String[] {"readers", "--since", "-3d"}, new String[] {"readers", "--since", "seven days"},
                new String[] {"retire", "--quiet-period", "-1d"}, new String[] {"retire", "--quiet-period", "14x"},
                new String[] {"notices", "-o", temp.toString(), "--since", "P"})) {
            List<String> command = new ArrayList<>(List.of("legacy"));
            command.addAll(List.of(args));
            command.addAll(List.of("--jdbc", db.jdbcUrl));
            assertThat(cli.run(command.toArray(String[]::new))).as(String.join(" ", args)).isEqualTo(ExitCodes.BAD_INPUT);
            assertThat(cli.err()).as(String.join(" ", args)).contains("is not a length of time such as 90s, 15m, 12h or 14d");
        }
        Path file = Files.writeString(temp.resolve("a-file"), "x");
        assertThat(cli.run("legacy", "notices", "--jdbc", db.jdbcUrl, "-o", file.resolve("sub").toString())).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(cli.err()).contains("cannot write notices to " + file.resolve("sub"));
        assertThat(cli.run("legacy", "notices", "--jdbc", db.jdbcUrl)).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(cli.err()).contains("Missing required option: '--output=DIR'");
        assertThat(db.rows("SELECT to_regclass('ml_monitoring.model_stats_daily_legacy') IS NOT NULL")).containsExactly("t");
        assertThat(db.rows("SELECT count(*) FROM ml_monitoring.legacy_readers")).containsExactly("0");
    }
}

package statbridge.tools.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
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

/**
 * A corpus of dashboard queries on the legacy shape, each with the rewrite statbridge must offer,
 * run both ways on real data written by the sink: every rewrite returns the same rows.
 */
@ExtendWith(RealInfrastructure.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LegacyQueryRewriteIT {

    private static final List<CatalogEntry> CATALOG = List.of(CatalogEntry.of("accuracy", MetricType.ONLINE, "accuracy"),
            CatalogEntry.of("churn_rate", MetricType.BUSINESS, "churn_rate"),
            CatalogEntry.of("psi_score", MetricType.DRIFT, "psi"),
            CatalogEntry.of("intent_f1", MetricType.ONLINE, "f1"));

    /** Each original, the rewrite expected of it, and for one with parameters values a dashboard would pass. */
    static final List<String[]> CORPUS = List.of(
            new String[] {"by metric and model, a date range",
                    "SELECT stat_date, slice_key, metric_value FROM ml_monitoring.model_stats_daily_legacy "
                            + "WHERE model_name = 'ChurnPredictor' AND metric_name = 'accuracy' AND stat_date BETWEEN '2025-04-03' AND '2025-04-10'",
                    "SELECT s.stat_date, s.slice_key, s.metric_value"
                            + " FROM ml_monitoring.model_stats_daily s"
                            + " WHERE s.model_name = 'ChurnPredictor' AND (s.metric_type, s.metric_key) = ('ONLINE', 'accuracy') AND s.stat_date BETWEEN '2025-04-03' AND '2025-04-10'"},
            new String[] {"the KPI column",
                    "SELECT l.stat_date, l.metric_value, l.business_metric_value FROM ml_monitoring.model_stats_daily_legacy l "
                            + "WHERE l.metric_name = 'churn_rate' AND l.slice_key = 'ALL' ORDER BY l.stat_date",
                    "SELECT l.stat_date, l.metric_value, b.business_metric_value"
                            + " FROM ml_monitoring.model_stats_daily l"
                            + " LEFT"
                            + " JOIN ml_monitoring.model_business_stats_daily b ON b.model_name = l.model_name AND b.model_version = l.model_version AND b.stat_date = l.stat_date AND b.slice_key = l.slice_key AND b.metric_type = l.metric_type AND b.metric_key = l.metric_key"
                            + " WHERE (l.metric_type, l.metric_key) = ('BUSINESS', 'churn_rate') AND l.slice_key = 'ALL'"
                            + " ORDER BY l.stat_date"},
            new String[] {"an IN list of metric names",
                    "SELECT metric_name, count(*), avg(metric_value) FROM ml_monitoring.model_stats_daily_legacy "
                            + "WHERE metric_name IN ('accuracy', 'psi_score') GROUP BY metric_name ORDER BY metric_name",
                    "SELECT c.metric_name, count(*), avg(s.metric_value)"
                            + " FROM ml_monitoring.model_stats_daily s"
                            + " INNER"
                            + " JOIN ml_monitoring.metric_catalog c ON c.metric_type = s.metric_type AND c.metric_key = s.metric_key"
                            + " WHERE (s.metric_type, s.metric_key) IN (('ONLINE', 'accuracy'), ('DRIFT', 'psi'))"
                            + " GROUP BY c.metric_name"
                            + " ORDER BY c.metric_name"},
            new String[] {"weekly aggregates",
                    "SELECT date_trunc('week', stat_date) AS week, model_name, avg(metric_value) AS avg_value, max(business_metric_value) AS kpi "
                            + "FROM ml_monitoring.model_stats_daily_legacy WHERE metric_name = 'churn_rate' "
                            + "GROUP BY 1, 2 ORDER BY 1, 2",
                    "SELECT date_trunc('week', s.stat_date) AS week, s.model_name, avg(s.metric_value) AS avg_value, max(b.business_metric_value) AS kpi"
                            + " FROM ml_monitoring.model_stats_daily s"
                            + " LEFT"
                            + " JOIN ml_monitoring.model_business_stats_daily b ON b.model_name = s.model_name AND b.model_version = s.model_version AND b.stat_date = s.stat_date AND b.slice_key = s.slice_key AND b.metric_type = s.metric_type AND b.metric_key = s.metric_key"
                            + " WHERE (s.metric_type, s.metric_key) = ('BUSINESS', 'churn_rate')"
                            + " GROUP BY 1, 2"
                            + " ORDER BY 1, 2"},
            new String[] {"a join to another table",
                    "SELECT o.owner, l.model_name, l.stat_date, l.metric_value FROM ml_monitoring.model_stats_daily_legacy l "
                            + "JOIN analytics.model_owners o ON o.model_name = l.model_name "
                            + "WHERE l.metric_name = 'intent_f1' AND l.stat_date >= '2025-04-15'",
                    "SELECT o.owner, l.model_name, l.stat_date, l.metric_value"
                            + " FROM ml_monitoring.model_stats_daily l"
                            + " JOIN analytics.model_owners o ON o.model_name = l.model_name"
                            + " WHERE (l.metric_type, l.metric_key) = ('ONLINE', 'f1') AND l.stat_date >= '2025-04-15'"},
            new String[] {"everything of a model, latest first, limited",
                    "SELECT * FROM ml_monitoring.model_stats_daily_legacy WHERE model_name = 'IntentClassifier' "
                            + "ORDER BY stat_date DESC, slice_key, metric_name LIMIT 7",
                    "SELECT s.model_name, s.model_version, s.stat_date, s.slice_key, c.metric_name, s.metric_value, b.business_metric_value, GREATEST(s.updated_at, b.updated_at) AS updated_at"
                            + " FROM ml_monitoring.model_stats_daily s"
                            + " INNER"
                            + " JOIN ml_monitoring.metric_catalog c ON c.metric_type = s.metric_type AND c.metric_key = s.metric_key"
                            + " LEFT"
                            + " JOIN ml_monitoring.model_business_stats_daily b ON b.model_name = s.model_name AND b.model_version = s.model_version AND b.stat_date = s.stat_date AND b.slice_key = s.slice_key AND b.metric_type = s.metric_type AND b.metric_key = s.metric_key"
                            + " WHERE s.model_name = 'IntentClassifier'"
                            + " ORDER BY s.stat_date DESC, s.slice_key, c.metric_name"
                            + " LIMIT 7"},
            new String[] {"all but one metric",
                    "SELECT model_name, metric_name, min(metric_value) FROM ml_monitoring.model_stats_daily_legacy "
                            + "WHERE metric_name <> 'psi_score' GROUP BY model_name, metric_name",
                    "SELECT s.model_name, c.metric_name, min(s.metric_value)"
                            + " FROM ml_monitoring.model_stats_daily s"
                            + " INNER"
                            + " JOIN ml_monitoring.metric_catalog c ON c.metric_type = s.metric_type AND c.metric_key = s.metric_key"
                            + " WHERE (s.metric_type, s.metric_key) <> ('DRIFT', 'psi')"
                            + " GROUP BY s.model_name, c.metric_name"},
            new String[] {"the latest day by a subquery",
                    "SELECT metric_name, metric_value FROM ml_monitoring.model_stats_daily_legacy "
                            + "WHERE stat_date = (SELECT max(stat_date) FROM ml_monitoring.model_stats_daily_legacy WHERE model_name = 'ChurnPredictor') "
                            + "AND model_name = 'ChurnPredictor' AND slice_key = 'ALL'",
                    "SELECT c.metric_name, s.metric_value"
                            + " FROM ml_monitoring.model_stats_daily s"
                            + " INNER"
                            + " JOIN ml_monitoring.metric_catalog c ON c.metric_type = s.metric_type AND c.metric_key = s.metric_key"
                            + " WHERE s.stat_date = (SELECT max(s2.stat_date)"
                            + " FROM ml_monitoring.model_stats_daily s2"
                            + " WHERE s2.model_name = 'ChurnPredictor') AND s.model_name = 'ChurnPredictor' AND s.slice_key = 'ALL'"},
            new String[] {"parameters, as pg_stat_statements records them",
                    "SELECT stat_date, metric_value FROM ml_monitoring.model_stats_daily_legacy WHERE model_name = $1 AND metric_name = $2 "
                            + "AND stat_date BETWEEN $3 AND $4 ORDER BY stat_date LIMIT $5",
                    "SELECT s.stat_date, s.metric_value"
                            + " FROM ml_monitoring.model_stats_daily s"
                            + " WHERE s.model_name = $1 AND (s.metric_type, s.metric_key) = (SELECT mc.metric_type, mc.metric_key"
                            + " FROM ml_monitoring.metric_catalog mc"
                            + " WHERE mc.metric_name = $2) AND s.stat_date BETWEEN $3 AND $4"
                            + " ORDER BY s.stat_date"
                            + " LIMIT $5", "('ChurnPredictor', 'accuracy', '2025-04-05', '2025-04-12', 10)"},
            new String[] {"an IN list and a lower bound, as parameters",
                    "SELECT metric_name, avg(metric_value) AS mean FROM ml_monitoring.model_stats_daily_legacy "
                            + "WHERE model_name = $1 AND metric_name IN ($2, $3) AND stat_date >= $4 GROUP BY metric_name",
                    "SELECT c.metric_name, avg(s.metric_value) AS mean"
                            + " FROM ml_monitoring.model_stats_daily s"
                            + " INNER JOIN ml_monitoring.metric_catalog c ON c.metric_type = s.metric_type AND c.metric_key = s.metric_key WHERE s.model_name = $1 AND (s.metric_type, s.metric_key) IN (SELECT mc.metric_type, mc.metric_key FROM ml_monitoring.metric_catalog mc WHERE mc.metric_name IN ($2, $3)) AND s.stat_date >= $4"
                            + " GROUP BY c.metric_name", "('ChurnPredictor', 'accuracy', 'psi_score', '2025-04-10')"});

    private PostgresServer postgres;
    private SinkDatabase db;
    private LegacyQueryRewriter rewriter;

    @BeforeAll
    void data(PostgresServer postgres) throws Exception {
        this.postgres = postgres;
        db = SinkDatabase.create(postgres, "rewrite");
        db.addCatalog(CATALOG);
        rewriter = new LegacyQueryRewriter(CATALOG);
        List<Fact> facts = new ArrayList<>();
        long offset = 0;
        for (int d = 0; d < 20; d++) {
            LocalDate day = LocalDate.of(2025, 4, 1).plusDays(d);
            for (String slice : List.of("ALL", "EU")) {
                facts.add(new Fact(Fact.Kind.STAT, "ChurnPredictor", "v3", day, slice, MetricType.ONLINE, "accuracy", 0.9 - d / 100.0, ++offset, "t", 0, offset));
                facts.add(new Fact(Fact.Kind.STAT, "ChurnPredictor", "v3", day, slice, MetricType.BUSINESS, "churn_rate", 0.03 + d / 1000.0, ++offset, "t", 0, offset));
                if (d % 3 != 0) {
                    facts.add(new Fact(Fact.Kind.BUSINESS, "ChurnPredictor", "v3", day, slice, MetricType.BUSINESS, "churn_rate", 1000.0 + d, ++offset, "t", 0, offset));
                }
                facts.add(new Fact(Fact.Kind.STAT, "ChurnPredictor", "v3", day, slice, MetricType.DRIFT, "psi", 0.1 + d / 50.0, ++offset, "t", 0, offset));
                facts.add(new Fact(Fact.Kind.STAT, "IntentClassifier", "v4", day, slice, MetricType.ONLINE, "f1", 0.8 + d / 200.0, ++offset, "t", 0, offset));
                facts.add(new Fact(Fact.Kind.STAT, "IntentClassifier", "v4", day, slice, MetricType.ONLINE, "accuracy", 0.7 + d / 300.0, ++offset, "t", 0, offset));
            }
        }
        new Partitions(db.database.dataSource()).ensureFor(facts.stream().map(Fact::statDate).toList());
        try (Connection connection = db.connection()) {
            new BatchWriter("rewrite-test").write(connection, new Batch(facts, List.of(),
                    Map.of(new TopicPartition("t", 0), new OffsetRange(-1, offset))));
        }
        db.execute("CREATE SCHEMA analytics; CREATE TABLE analytics.model_owners (model_name text PRIMARY KEY, owner text);"
                + "INSERT INTO analytics.model_owners VALUES ('ChurnPredictor', 'retention-team'), ('IntentClassifier', 'nlu-team')");
    }

    @AfterAll
    void close() {
        db.close();
    }

    /** The rows of a query with $n parameters, prepared and executed with {@code values}, sorted. */
    private List<String> executed(String sql, String values) throws Exception {
        db.execute("DEALLOCATE ALL");
        try (Connection connection = db.connection(); java.sql.Statement statement = connection.createStatement()) {
            statement.execute("PREPARE corpus_query AS " + sql);
            List<String> rows = new ArrayList<>();
            try (java.sql.ResultSet result = statement.executeQuery("EXECUTE corpus_query " + values)) {
                while (result.next()) {
                    rows.add(result.getString(1) + "|" + result.getString(2));
                }
            }
            connection.rollback();
            rows.sort(null);
            return rows;
        }
    }

    @Test
    void aRewriteThatReturnsOtherRowsIsShownToDifferAndOneWhoseParametersCannotBeToldIsNotRun() throws Exception {
        LegacyQueryRewriter.Rewrite right = rewriter.rewrite("SELECT stat_date, metric_value FROM ml_monitoring.model_stats_daily_legacy "
                + "WHERE model_name = $1 AND metric_name = $2");
        LegacyQueryRewriter.Rewrite wrong = new LegacyQueryRewriter.Rewrite(right.original(),
                "SELECT s.stat_date, s.metric_value FROM ml_monitoring.model_stats_daily s WHERE s.model_name = $1 AND s.metric_key <> $2",
                null, right.metrics(), right.parameters(), right.roles());
        LegacyQueryRewriter.Rewrite untold = rewriter.rewrite("SELECT date_trunc($1, stat_date), avg(metric_value) "
                + "FROM ml_monitoring.model_stats_daily_legacy GROUP BY 1");
        try (Connection connection = db.connection()) {
            assertThat(RewriteCheck.compare(connection, right, Duration.ofSeconds(30)).verdict()).isEqualTo(RewriteCheck.Verdict.SAME_ROWS);
            RewriteCheck.Result different = RewriteCheck.compare(connection, wrong, Duration.ofSeconds(30));
            assertThat(different.verdict()).isEqualTo(RewriteCheck.Verdict.DIFFERENT);
            assertThat(different.toString()).startsWith("returns different rows: ").contains("with $1='");
            RewriteCheck.Result notRun = RewriteCheck.compare(connection, untold, Duration.ofSeconds(30));
            assertThat(notRun.verdict()).isEqualTo(RewriteCheck.Verdict.NOT_RUN);
            assertThat(notRun.detail()).startsWith("what $1 stands for cannot be told from the query");
        }
    }

    @Test
    void queriesItCannotRewriteWithCertaintyAreRefusedWithTheReason() {
        assertThat(rewriter.rewrite("SELECT * FROM ml_monitoring.model_stats_daily_legacy WHERE metric_name = 'recall'").problem())
                .isEqualTo("metric 'recall' is not in the catalog");
        assertThat(rewriter.rewrite("SELECT * FROM ml_monitoring.model_stats_daily_legacy l JOIN analytics.model_owners o "
                + "ON o.model_name = l.model_name").problem()).isEqualTo("SELECT * over a join is not rewritten: name the columns");
        assertThat(rewriter.rewrite("INSERT INTO ml_monitoring.model_stats_daily_legacy SELECT * FROM x").problem())
                .startsWith("only a SELECT is rewritten");
        assertThat(rewriter.rewrite("SELECT FROM WHERE metric_name").problem()).startsWith("cannot parse it");
        assertThat(rewriter.rewrite("SELECT a.metric_value FROM ml_monitoring.model_stats_daily_legacy a, "
                + "ml_monitoring.model_stats_daily_legacy b WHERE metric_name = 'accuracy'").problem())
                .contains("column metric_name is ambiguous");
        assertThat(rewriter.rewrite("SELECT owner FROM analytics.model_owners").problem())
                .startsWith("it does not read model_stats_daily_legacy itself");
    }

    @Test
    void everyQueryOfTheCorpusIsRewrittenAsExpectedAndReturnsTheSameRows() throws Exception {
        Map<String, String> actual = new HashMap<>();
        try (Connection connection = db.connection()) {
            for (String[] entry : CORPUS) {
                LegacyQueryRewriter.Rewrite rewrite = rewriter.rewrite(entry[1]);
                actual.put(entry[0], rewrite.rewritten());
                assertThat(rewrite.problem()).as(entry[0]).isNull();
                RewriteCheck.Result check = RewriteCheck.compare(connection, rewrite, Duration.ofSeconds(30));
                assertThat(check.verdict()).as(entry[0] + ": " + check).isEqualTo(RewriteCheck.Verdict.SAME_ROWS);
                assertThat(check.rows()).as(entry[0]).isPositive();
                if (rewrite.parameters() > 0) {
                    assertThat(check.toString()).as(entry[0]).contains("set(s) of values from the data, e.g. $1='");
                    assertThat(executed(entry[1], entry[3])).as(entry[0]).isNotEmpty().isEqualTo(executed(rewrite.rewritten(), entry[3]));
                }
            }
        }
        for (String[] entry : CORPUS) {
            assertThat(actual.get(entry[0])).as(entry[0]).isEqualTo(entry[2]);
        }
    }
}

package statbridge.tools.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import statbridge.catalog.CatalogEntry;
import statbridge.v2.MetricType;

/** Query texts as pg_stat_statements may hold them, hostile ones included: each gets a rewrite or a reason. */
class LegacyQueryRewriterTest {

    private final LegacyQueryRewriter rewriter = new LegacyQueryRewriter(List.of(CatalogEntry.of("accuracy", MetricType.ONLINE, "accuracy")));

    @Test
    void hostileTextsAreRefusedWithAReasonNeverAnError() {
        String deep = "SELECT metric_value FROM ml_monitoring.model_stats_daily_legacy WHERE " + "(".repeat(20_000) + "true"
                + ")".repeat(20_000);
        assertThat(rewriter.rewrite(deep).problem()).isNotBlank();
        String huge = "SELECT metric_value FROM ml_monitoring.model_stats_daily_legacy WHERE metric_name IN ("
                + "'accuracy', ".repeat(20_000) + "'accuracy')";
        assertThat(rewriter.rewrite(huge).problem()).isEqualTo("it is longer than 100000 characters");
        byte[] noise = new byte[4096];
        new Random(7).nextBytes(noise);
        assertThat(rewriter.rewrite(new String(noise, java.nio.charset.StandardCharsets.ISO_8859_1)).problem()).isNotBlank();
        assertThat(rewriter.rewrite("").problem()).isNotBlank();
        assertThat(rewriter.rewrite("SELECT 1; DROP TABLE ml_monitoring.model_stats_daily_legacy").problem()).isNotBlank();
    }

    @Test
    void aNameQuotedInTheQueryIsLookedUpAndWrittenBackQuoted() {
        LegacyQueryRewriter quoted = new LegacyQueryRewriter(List.of(CatalogEntry.of("o'brien score", MetricType.BUSINESS, "o'brien")));
        assertThat(quoted.rewrite("SELECT metric_value FROM ml_monitoring.model_stats_daily_legacy WHERE metric_name = 'o''brien score'")
                .rewritten()).isEqualTo("SELECT s.metric_value FROM ml_monitoring.model_stats_daily s "
                        + "WHERE (s.metric_type, s.metric_key) = ('BUSINESS', 'o''brien')");
    }

    @Test
    void aRewriteIsLaidOutOneClauseALineWithoutChangingTheQuery() {
        String sql = "SELECT l.stat_date, (SELECT max(x) FROM t WHERE a = 'x FROM y') FROM ml_monitoring.model_stats_daily l "
                + "LEFT JOIN ml_monitoring.model_business_stats_daily b ON b.k = l.k AND b.j = l.j "
                + "WHERE l.model_name = 'A' AND (l.metric_type, l.metric_key) = ('ONLINE', 'accuracy') ORDER BY l.stat_date LIMIT 5";
        assertThat(SqlLayout.lines(sql)).isEqualTo("SELECT l.stat_date, (SELECT max(x) FROM t WHERE a = 'x FROM y')\n"
                + "FROM ml_monitoring.model_stats_daily l\n"
                + "LEFT JOIN ml_monitoring.model_business_stats_daily b ON b.k = l.k AND b.j = l.j\n"
                + "WHERE l.model_name = 'A'\n AND (l.metric_type, l.metric_key) = ('ONLINE', 'accuracy')\n"
                + "ORDER BY l.stat_date\n"
                + "LIMIT 5");
        assertThat(SqlLayout.lines(sql).replace("\n ", " ").replace("\n", " ")).isEqualTo(sql);
    }

    @Test
    void anInListFollowedByMoreConditionsStaysAnInList() {
        LegacyQueryRewriter.Rewrite rewrite = rewriter.rewrite("SELECT metric_value FROM ml_monitoring.model_stats_daily_legacy "
                + "WHERE metric_name IN ($1, $2) AND stat_date >= $3");
        assertThat(rewrite.rewritten()).isEqualTo("SELECT s.metric_value FROM ml_monitoring.model_stats_daily s "
                + "WHERE (s.metric_type, s.metric_key) IN (SELECT mc.metric_type, mc.metric_key FROM ml_monitoring.metric_catalog mc "
                + "WHERE mc.metric_name IN ($1, $2)) AND s.stat_date >= $3");
        assertThat(rewrite.roles()).containsOnlyKeys(1, 2, 3);
        assertThat(rewrite.roles().get(2)).isEqualTo(new ParameterRole("metric_name", ParameterRole.Kind.EQUAL, 1));
        assertThat(rewrite.roles().get(3)).isEqualTo(new ParameterRole("stat_date", ParameterRole.Kind.LOWER, 0));
    }
}

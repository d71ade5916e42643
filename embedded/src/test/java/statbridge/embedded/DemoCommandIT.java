package statbridge.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import org.junit.jupiter.api.Test;
import statbridge.cli.CliRunner;

/** {@code statbridge demo} runs to the end: both shapes, parity equal, the bad records dead-lettered. */
class DemoCommandIT {

    @Test
    void theDemoRunsToTheEndAndShowsBothShapesEqual() throws Exception {
        System.setProperty("statbridge.home", Files.createTempDirectory("statbridge-home").toString());
        CliRunner cli = new CliRunner();

        assertThat(cli.run("demo")).as(cli.err()).isZero();

        assertThat(cli.out()).containsPattern("READY kafka=\\S+ registry=\\S+ jdbc=\\S+ console=http://127\\.0\\.0\\.1:\\d+/\n");
        assertThat(cli.out()).contains("READY kafka=", "published 2,536 events", "model_stats_daily_legacy, IntentClassifier v4",
                "kpi_deflection_rate", "BUSINESS     deflection_rate", "Parity between the two shapes: EQUAL — legacy 1,792 rows",
                "Dead letters (model-stats.dlq): 18 {bad-wire-format=1, unknown-schema-id=1, unmapped-metric-key=16}", "Try next:",
                "ChurnPredictor v3's churn rate with its KPI", "and the same facts in the new shape",
                "1 silent series, 0 silent models", "ChurnPredictor v3  ONLINE/auc_roc  silent since " + java.time.LocalDate.now().minusDays(2));
        assertThat(cli.out()).as("the silence the demo caused, explained in one line")
                .containsPattern("dead letters: unmapped-metric-key x16 since \\S+, e\\.g\\. \\(ONLINE, AUC_roc\\)");
        java.util.regex.Matcher log = java.util.regex.Pattern.compile("logs: (\\S+) \\(--verbose shows them here\\)").matcher(cli.out());
        assertThat(log.find()).as(cli.out()).isTrue();
        assertThat(java.nio.file.Path.of(log.group(1))).as("the components' logs, kept after the demo").content()
                .contains("statbridge.sink.SinkApp - starting the sink");
    }
}

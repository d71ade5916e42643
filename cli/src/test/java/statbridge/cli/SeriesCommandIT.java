package statbridge.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import statbridge.catalog.CatalogEntry;
import statbridge.registry.server.SchemaRegistryServer;
import statbridge.sink.SinkApp;
import statbridge.sink.SinkFixture;
import statbridge.tools.SinkWatches;
import statbridge.testing.KafkaBroker;
import statbridge.testing.PostgresServer;
import statbridge.testing.RealInfrastructure;
import statbridge.v2.MetricType;
import statbridge.v2.ModelStat;

/**
 * The silent series of the seed thread, end to end: a model's job moves to v2 and publishes
 * {@code Accuracy} instead of {@code accuracy}; the sink dead-letters those events and the accuracy
 * series stops. {@code series silent} names it with the dead-letter reason and an example in one
 * line, counts it in the sink's metrics, and reports a model that stopped entirely once. Adding the
 * key to the catalog and replaying the dead letters takes it off the silent list (it moved to the
 * other key). {@code series list} and {@code catalog list} read the same table.
 */
@ExtendWith(RealInfrastructure.class)
class SeriesCommandIT {

    private final CliRunner cli = new CliRunner();
    private final ObjectMapper json = new ObjectMapper();

    @Test
    void aMisspeltKeyIsReportedSilentWithItsDeadLettersAndAStoppedModelOnce(KafkaBroker kafka, SchemaRegistryServer registry,
            PostgresServer postgres) throws Exception {
        SinkFixture fixture = new SinkFixture(kafka, registry, postgres, "series-cli");
        fixture.settings.put("sink.series.silent.interval", "1s");
        fixture.seedCatalog(List.of(CatalogEntry.of("accuracy", MetricType.ONLINE, "accuracy"),
                CatalogEntry.of("f1_score", MetricType.ONLINE, "f1_score")));
        Path config = fixture.writeConfig();
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        SimpleMeterRegistry metrics = new SimpleMeterRegistry();
        try (SinkApp sink = new SinkApp(fixture.config(), metrics);
                SinkWatches watches = SinkWatches.start(fixture.configuration(), metrics);
                KafkaProducer<byte[], byte[]> producer = fixture.producer()) {
            sink.start();
            long at = System.currentTimeMillis();
            for (int d = 9; d >= 2; d--) {
                LocalDate day = today.minusDays(d);
                for (String model : List.of("IntentClassifier", "ChurnPredictor")) {
                    fixture.send(producer, new ModelStat(model, "v4", day, "ALL", MetricType.ONLINE, "accuracy", 0.9 - d / 100.0), at++);
                    fixture.send(producer, new ModelStat(model, "v4", day, "ALL", MetricType.ONLINE, "f1_score", 0.8), at++);
                }
            }
            for (int d = 1; d >= 0; d--) {
                LocalDate day = today.minusDays(d);
                fixture.send(producer, new ModelStat("IntentClassifier", "v4", day, "ALL", MetricType.ONLINE, "Accuracy", 0.91), at++);
                fixture.send(producer, new ModelStat("IntentClassifier", "v4", day, "ALL", MetricType.ONLINE, "f1_score", 0.81), at++);
            }
            producer.flush();
            fixture.awaitCaughtUp(Duration.ofMinutes(2));
            await("the two misspelt events dead-lettered").atMost(Duration.ofMinutes(2)).until(() -> fixture.deadLetters().size() == 2);

            assertThat(cli.run("series", "silent", "--config", config.toString(), "--json")).as(cli.err()).isZero();
            JsonNode report = json.readTree(cli.out());
            assertThat(report.get("series")).hasSize(1);
            JsonNode accuracy = report.get("series").get(0);
            assertThat(accuracy.get("model_name").asText()).isEqualTo("IntentClassifier");
            assertThat(accuracy.get("metric_key").asText()).isEqualTo("accuracy");
            assertThat(accuracy.get("silent_since").asText()).isEqualTo(today.minusDays(1).toString());
            assertThat(accuracy.get("days_in_window").asInt()).isEqualTo(8);
            assertThat(accuracy.get("last_path").asText()).isEqualTo("v2");
            assertThat(accuracy.get("dead_letters")).hasSize(1);
            assertThat(accuracy.get("dead_letters").get(0).get("reason").asText()).isEqualTo("unmapped-metric-key");
            assertThat(accuracy.get("dead_letters").get(0).get("count").asLong()).isEqualTo(2);
            assertThat(accuracy.get("dead_letters").get(0).get("example").asText()).isEqualTo("(ONLINE, Accuracy)");
            assertThat(report.get("models")).as("a model that stopped entirely is one entry").hasSize(1);
            assertThat(report.get("models").get(0).get("model_name").asText()).isEqualTo("ChurnPredictor");
            assertThat(report.get("models").get(0).get("series").asInt()).isEqualTo(2);
            assertThat(report.get("models").get(0).get("dead_letters")).isEmpty();

            assertThat(cli.run("series", "silent", "--config", config.toString())).isZero();
            assertThat(cli.out()).as("explained in one line").containsPattern(
                    "dead letters: unmapped-metric-key x2 since \\S+, e\\.g\\. \\(ONLINE, Accuracy\\)")
                    .contains("IntentClassifier v4  ONLINE/accuracy  silent since " + today.minusDays(1),
                            "model ChurnPredictor v4: all 2 of its series silent since " + today.minusDays(1));
            await("the sink process's metrics count one silent series and one silent model").atMost(Duration.ofMinutes(2))
                    .until(() -> gauge(sink, "statbridge.series.silent", "ONLINE") == 1 && gauge(sink, "statbridge.models.silent", null) == 1);
            assertThat(gauge(sink, "statbridge.series.silent", "DRIFT")).isZero();

            // the fix: the key the job publishes goes into the catalog, and its dead letters are replayed
            assertThat(cli.run("catalog", "add", "accuracy_v2", "ONLINE", "Accuracy", "--config", config.toString())).as(cli.err()).isZero();
            assertThat(cli.run("dlq", "replay", "--reason", "unmapped-metric-key", "--config", config.toString())).as(cli.err()).isZero();
            await("the replayed events written").atMost(Duration.ofMinutes(2))
                    .until(() -> rows(fixture, "SELECT count(*) FROM ml_monitoring.model_stats_daily WHERE metric_key = 'Accuracy'") == 2);
            assertThat(cli.run("series", "silent", "--config", config.toString(), "--json")).isZero();
            JsonNode fixed = json.readTree(cli.out());
            assertThat(fixed.get("series")).as("no longer silent").isEmpty();
            assertThat(fixed.get("moved")).hasSize(1);
            assertThat(fixed.get("moved").get(0).get("to_metric_key").asText()).isEqualTo("Accuracy");
            assertThat(fixed.get("models")).hasSize(1);
            await("the metric clears").atMost(Duration.ofMinutes(2)).until(() -> gauge(sink, "statbridge.series.silent", "ONLINE") == 0);

            assertThat(cli.run("series", "list", "--model", "IntentClassifier", "--config", config.toString())).isZero();
            assertThat(cli.out()).contains("3 series of IntentClassifier").containsPattern("ONLINE\\s+accuracy\\s+8\\s");
            assertThat(cli.run("catalog", "list", "--config", config.toString())).isZero();
            assertThat(cli.out()).containsPattern("accuracy\\s+ONLINE\\s+accuracy\\s+\\S+\\s+2\\s+" + today.minusDays(9) + " \\.\\. "
                    + today.minusDays(2));
            assertThat(cli.out()).containsPattern("accuracy_v2\\s+ONLINE\\s+Accuracy\\s+\\S+\\s+1\\s+" + today.minusDays(1));
        } finally {
            fixture.close();
        }
    }

    private static double gauge(SinkApp sink, String name, String type) {
        var search = sink.metrics().registry().find(name);
        var gauge = type == null ? search.gauge() : search.tag("metric_type", type).gauge();
        return gauge == null ? Double.NaN : gauge.value();
    }

    private static long rows(SinkFixture fixture, String sql) {
        try {
            return Long.parseLong(fixture.db.rows(sql).get(0));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}

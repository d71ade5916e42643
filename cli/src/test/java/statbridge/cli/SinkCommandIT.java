package statbridge.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.File;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import statbridge.registry.server.SchemaRegistryServer;
import statbridge.sink.SinkFixture;
import statbridge.sink.SinkIT;
import statbridge.testing.KafkaBroker;
import statbridge.testing.PostgresServer;
import statbridge.testing.RealInfrastructure;
import statbridge.v2.BusinessStat;
import statbridge.v2.MetricType;
import statbridge.v2.ModelStat;

/** {@code statbridge sink} as an operator runs it: the packaged jar, health and metrics over HTTP, rows landing, SIGTERM. */
@ExtendWith(RealInfrastructure.class)
class SinkCommandIT {

    @Test
    void theSinkCommandWritesServesHealthAndMetricsAndStopsOnSigterm(KafkaBroker kafka, SchemaRegistryServer registry,
            PostgresServer postgres) throws Exception {
        try (SinkFixture fixture = new SinkFixture(kafka, registry, postgres, "sink-cmd")) {
            fixture.seedCatalog(SinkIT.CATALOG);
            int port;
            try (ServerSocket socket = new ServerSocket(0)) {
                port = socket.getLocalPort();
            }
            Path config = fixture.writeConfig();
            File log = Path.of("target", "sink-command.log").toFile();
            Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
                    "target/statbridge.jar", "sink", "--config", config.toString(), "--metrics-port", Integer.toString(port))
                    .redirectErrorStream(true).redirectOutput(log).start();
            HttpClient http = HttpClient.newHttpClient();
            try {
                try (KafkaProducer<byte[], byte[]> producer = fixture.producer()) {
                    LocalDate day = LocalDate.of(2025, 4, 26);
                    fixture.send(producer, new ModelStat("IntentClassifier", "v4", day, "ALL", MetricType.ONLINE, "accuracy", 0.91), 1_000L);
                    fixture.send(producer, new BusinessStat("IntentClassifier", "v4", day, "ALL", MetricType.ONLINE, "accuracy", 12.5), 1_000L);
                }
                fixture.awaitCaughtUp(Duration.ofMinutes(2));
                assertThat(fixture.db.legacy()).containsExactly("IntentClassifier|v4|2025-04-26|ALL|accuracy|0.91|12.5");

                assertThat(get(http, port, "/health")).startsWith("UP RUNNING");
                String metrics = get(http, port, "/metrics");
                assertThat(metrics).contains("statbridge_sink_rows_written_total{table=\"model_stats_daily_legacy\"} 1.0")
                        .contains("statbridge_sink_batch_latency_seconds").contains("kafka_consumer");

                process.destroy();
                assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("stopped after SIGTERM").isTrue();
                assertThat(process.exitValue()).as("0, or 128+SIGTERM after the shutdown hook ran").isIn(0, 143);
            } finally {
                process.destroyForcibly();
            }
            assertThat(Files.readString(log.toPath())).doesNotContain("ERROR");
        }
    }

    private static String get(HttpClient http, int port, String path) throws Exception {
        return await(path + " answers").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .ignoreExceptionsInstanceOf(java.io.IOException.class)
                .until(() -> http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                        HttpResponse.BodyHandlers.ofString()).body(), body -> true);
    }
}

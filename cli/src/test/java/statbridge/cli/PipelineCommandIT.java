package statbridge.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.File;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import statbridge.contract.StatKey;
import statbridge.registry.server.SchemaRegistryServer;
import statbridge.serde.AvroSerializer;
import statbridge.testing.KafkaBroker;
import statbridge.testing.RealInfrastructure;
import statbridge.v1.ModelStat;

/** {@code statbridge pipeline} as an operator runs it: the packaged jar, metrics and health over HTTP, SIGTERM. */
@ExtendWith(RealInfrastructure.class)
class PipelineCommandIT {

    @Test
    void thePipelineCommandServesHealthAndMetricsAndStopsCleanlyOnSigterm(KafkaBroker kafka, SchemaRegistryServer registry)
            throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        String prefix = "cmd-" + System.nanoTime();
        ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", "target/statbridge.jar", "pipeline", "--kafka", kafka.bootstrapServers(), "--registry", registry.url(),
                "--metrics-port", Integer.toString(port));
        Map<String, String> env = builder.environment();
        env.put("STATBRIDGE_TOPIC_V1", prefix + ".v1");
        env.put("STATBRIDGE_TOPIC_V2", prefix + ".v2");
        env.put("STATBRIDGE_TOPIC_BUSINESS_V2", prefix + ".business");
        env.put("STATBRIDGE_TOPIC_DLQ", prefix + ".dlq");
        env.put("STATBRIDGE_TOPIC_CATALOG", prefix + ".catalog");
        env.put("STATBRIDGE_PIPELINE_APPLICATION_ID", prefix);
        env.put("STATBRIDGE_PIPELINE_STATE_DIR", java.nio.file.Files.createTempDirectory("cmd-state").toString());
        File log = Path.of("target", "pipeline-command.log").toFile();
        Process process = builder.redirectErrorStream(true).redirectOutput(log).start();
        HttpClient http = HttpClient.newHttpClient();
        try {
            await("the pipeline's health UP RUNNING; log in " + log).atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250))
                    .ignoreExceptionsInstanceOf(java.io.IOException.class)
                    .until(() -> http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health")).build(),
                            HttpResponse.BodyHandlers.ofString()).body(), health -> health.startsWith("UP RUNNING"));

            Map<String, Object> producerConfig = kafka.producerConfig();
            producerConfig.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
            producerConfig.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, AvroSerializer.class.getName());
            producerConfig.put("schema.registry.url", registry.url());
            ModelStat stat = ModelStat.newBuilder().setModelName("IntentClassifier").setModelVersion("v4")
                    .setStatDate(LocalDate.of(2025, 4, 26)).setSliceKey("ALL").setMetricName("accuracy")
                    .setMetricValue(0.9).setBusinessMetricValue(null).build();
            try (KafkaProducer<String, ModelStat> producer = new KafkaProducer<>(producerConfig)) {
                producer.send(new ProducerRecord<>(prefix + ".v1", StatKey.of(stat).render(), stat));
                producer.send(new ProducerRecord<>(prefix + ".v1", "garbage", null));
            }
            // The two records have different keys, so they may land on different partitions and be processed in either order.
            String metrics = await("one event upcast and one dead-lettered").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250))
                    .until(() -> http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
                            HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8)).body(),
                            m -> m.contains("statbridge_pipeline_events_upcast_total 1.0")
                                    && m.contains("statbridge_pipeline_dead_letters_total{reason=\"invalid-field\"} 1.0"));
            assertThat(metrics).contains("statbridge_pipeline_events_upcast_total 1.0")
                    .contains("statbridge_pipeline_dead_letters_total{reason=\"invalid-field\"} 1.0")
                    .contains("kafka_stream");

            process.destroy();
            assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("stopped after SIGTERM").isTrue();
            assertThat(process.exitValue()).as("0, or 128+SIGTERM after the shutdown hook ran").isIn(0, 143);
            assertThat(java.nio.file.Files.readString(log.toPath())).contains("PENDING_SHUTDOWN -> NOT_RUNNING");
        } finally {
            process.destroyForcibly();
        }
    }
}

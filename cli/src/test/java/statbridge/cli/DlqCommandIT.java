package statbridge.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.time.Duration;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import statbridge.catalog.CatalogEntry;
import statbridge.catalog.CatalogTopic;
import statbridge.config.Configuration;
import statbridge.pipeline.runner.PipelineApp;
import statbridge.pipeline.PipelineConfig;
import statbridge.registry.server.SchemaRegistryServer;
import statbridge.serde.AvroSerializer;
import statbridge.testing.KafkaBroker;
import statbridge.testing.RealInfrastructure;
import statbridge.topics.TopicReader;
import statbridge.v1.ModelStat;
import statbridge.v2.MetricType;

/** {@code statbridge dlq list} and {@code dlq replay} after a catalog fix, against a running pipeline. */
@ExtendWith(RealInfrastructure.class)
class DlqCommandIT {

    @Test
    void aDeadLetteredEventUpcastsAfterItsMappingIsAddedAndItIsReplayed(KafkaBroker kafka, SchemaRegistryServer registry)
            throws Exception {
        String prefix = "dlq-cli-" + System.nanoTime();
        Map<String, String> settings = Map.of("kafka.bootstrap.servers", kafka.bootstrapServers(), "schema.registry.url", registry.url(),
                "topic.v1", prefix + ".v1", "topic.v2", prefix + ".v2", "topic.business.v2", prefix + ".business",
                "topic.dlq", prefix + ".dlq", "topic.catalog", prefix + ".catalog", "pipeline.application.id", prefix,
                "pipeline.unmapped.policy", "DLQ", "pipeline.state.dir", Files.createTempDirectory("dlq-cli").toString());
        java.nio.file.Path config = Files.createTempFile("dlq", ".properties");
        StringBuilder text = new StringBuilder();
        settings.forEach((k, v) -> text.append(k).append('=').append(v.replace("\\", "\\\\")).append('\n'));
        Files.writeString(config, text);
        CliRunner cli = new CliRunner();

        try (PipelineApp pipeline = new PipelineApp(PipelineConfig.from(Configuration.load(null, Map.of(), settings)),
                new SimpleMeterRegistry())) {
            pipeline.start();
            assertThat(pipeline.awaitRunning(Duration.ofMinutes(1))).isTrue();
            ModelStat stat = new ModelStat("IntentClassifier", "v4", LocalDate.of(2025, 4, 26), "ALL", "intent_coverage", 0.77, null);
            Map<String, Object> producerConfig = kafka.producerConfig();
            producerConfig.put("key.serializer", "org.apache.kafka.common.serialization.StringSerializer");
            producerConfig.put("value.serializer", AvroSerializer.class.getName());
            producerConfig.put("schema.registry.url", registry.url());
            try (KafkaProducer<String, ModelStat> producer = new KafkaProducer<>(producerConfig)) {
                producer.send(new ProducerRecord<>(prefix + ".v1", "IntentClassifier/v4/2025-04-26/ALL", stat));
            }
            await("the event dead-lettered").atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(200))
                    .until(() -> count(kafka, prefix + ".dlq") > 0);

            assertThat(cli.run("dlq", "list", "--config", config.toString())).isZero();
            assertThat(cli.out()).contains("unmapped-metric-name", "from:    " + prefix + ".v1/", "(pipeline)",
                    "\"metric_name\": \"intent_coverage\"", "1 dead letter(s)");

            long entries = pipeline.metrics().catalogSize();
            new CatalogTopic(Map.of("bootstrap.servers", kafka.bootstrapServers()), prefix + ".catalog")
                    .add(List.of(CatalogEntry.of("intent_coverage", MetricType.ONLINE, "intent_coverage")));
            // the pipeline's store has the new entry before the replay reaches it
            await("the pipeline's store holds the new entry").atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(50))
                    .until(() -> pipeline.metrics().catalogSize() != entries);
            assertThat(pipeline.metrics().catalogSize()).isEqualTo(entries + 1);
            assertThat(cli.run("dlq", "replay", "--reason", "unmapped-metric-name", "--config", config.toString())).isZero();
            assertThat(cli.out()).contains("replayed 1 of 1 dead letter(s): {unmapped-metric-name=1}");

            await("the replayed event upcast").atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(200))
                    .until(() -> count(kafka, prefix + ".v2") > 0);
            assertThat(count(kafka, prefix + ".v2")).as("the replayed event upcast").isEqualTo(1);
            assertThat(cli.run("dlq", "list", "--config", config.toString())).isZero();
            assertThat(cli.out()).as("not dead-lettered again; the replay is marked").contains("1 dead letter(s)", "(replayed)",
                    "; 1 replayed");

            assertThat(cli.run("dlq", "replay", "--reason", "unmapped-metric-name", "--config", config.toString())).isZero();
            assertThat(cli.out()).as("a second replay re-drives nothing")
                    .contains("replayed 0 of 1 dead letter(s): {}; 1 replayed before were left");
            long v1Records = count(kafka, prefix + ".v1");
            assertThat(v1Records).as("the original and one replay, not two").isEqualTo(2);
            assertThat(cli.run("dlq", "replay", "--from-offset", "5", "--to-offset", "2", "--config", config.toString())).isEqualTo(2);
        }
    }

    private static long count(KafkaBroker kafka, String topic) {
        return TopicReader.readAll(Map.of("bootstrap.servers", kafka.bootstrapServers()), topic, Duration.ofSeconds(30), r -> { });
    }
}

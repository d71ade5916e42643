package statbridge.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import statbridge.catalog.CatalogEntry;
import statbridge.deadletter.DeadLetter;
import statbridge.deadletter.Reasons;
import statbridge.pipeline.runner.PipelineApp;
import statbridge.registry.server.SchemaRegistryServer;
import statbridge.replay.DeadLetterReplayer;
import statbridge.serde.AvroDeserializer;
import statbridge.testing.KafkaBroker;
import statbridge.testing.RealInfrastructure;
import statbridge.v1.ModelStat;
import statbridge.v2.MetricType;

/** Catalog changes reach a running pipeline, and dead letters upcast once their mapping exists and are replayed. */
@ExtendWith(RealInfrastructure.class)
class CatalogLiveIT {

    @Test
    void aMappingAddedWhileRunningAppliesToLaterEventsAndReplayedDeadLettersUpcast(KafkaBroker kafka,
            SchemaRegistryServer registryServer) throws Exception {
        PipelineFixture fixture = new PipelineFixture(kafka, registryServer, "live-catalog");
        fixture.settings.put("pipeline.unmapped.policy", "DLQ");
        fixture.createTopics();
        fixture.catalog().add(fixture.seed());
        AvroDeserializer<statbridge.v2.ModelStat> v2Reader = AvroDeserializer.forType(fixture.registry, statbridge.v2.ModelStat.class);

        try (PipelineApp app = new PipelineApp(fixture.config(), new SimpleMeterRegistry());
                KafkaProducer<byte[], byte[]> producer = fixture.rawProducer()) {
            app.start();
            assertThat(app.awaitRunning(Duration.ofMinutes(1))).isTrue();

            ModelStat early = Stats.v1("ChurnPredictor", "v3", Stats.DAY, "ALL", "uplift_auc", 0.71, null);
            fixture.sendV1(producer, early);
            producer.flush();
            List<ConsumerRecord<byte[], byte[]>> dead = fixture.awaitRecords("topic.dlq", 1, Duration.ofMinutes(1));
            assertThat(dead).hasSize(1);
            assertThat(DeadLetter.header(dead.get(0).headers(), DeadLetter.REASON)).isEqualTo(Reasons.UNMAPPED_METRIC_NAME);

            assertThat(fixture.catalog().add(List.of(CatalogEntry.of("uplift_auc", MetricType.ONLINE, "uplift_auc"))))
                    .hasSize(1);
            ModelStat later = Stats.v1("ChurnPredictor", "v3", Stats.DAY.plusDays(1), "ALL", "uplift_auc", 0.73, null);
            // The global store picks the entry up within moments; resend until it has.
            List<ConsumerRecord<byte[], byte[]>> v2 = await("the new catalog entry upcasts a later event").atMost(Duration.ofMinutes(1))
                    .pollInterval(Duration.ofMillis(500)).until(() -> {
                        fixture.sendV1(producer, later);
                        producer.flush();
                        return fixture.read("topic.v2");
                    }, records -> !records.isEmpty());
            assertThat(v2).isNotEmpty();
            assertThat(v2Reader.deserialize("t", v2.get(0).value())).isEqualTo(Stats.v2(later, MetricType.ONLINE, "uplift_auc"));
            int deadBeforeReplay = fixture.read("topic.dlq").size();

            DeadLetterReplayer.Summary summary = DeadLetterReplayer.replay(
                    java.util.Map.of("bootstrap.servers", kafka.bootstrapServers()), fixture.topic("topic.dlq"),
                    DeadLetterReplayer.Selection.reason(Reasons.UNMAPPED_METRIC_NAME), false);

            assertThat(summary.replayedByReason()).containsEntry(Reasons.UNMAPPED_METRIC_NAME, (long) deadBeforeReplay);
            List<ConsumerRecord<byte[], byte[]>> after = fixture.awaitRecords("topic.v2", v2.size() + 1, Duration.ofMinutes(1));
            assertThat(after.stream().map(r -> v2Reader.deserialize("t", r.value())))
                    .contains(Stats.v2(early, MetricType.ONLINE, "uplift_auc"));
            ConsumerRecord<byte[], byte[]> replayed = after.stream()
                    .filter(r -> v2Reader.deserialize("t", r.value()).getStatDate().equals(Stats.DAY)).findFirst().orElseThrow();
            assertThat(replayed.timestamp()).as("a replayed event keeps its original time").isEqualTo(dead.get(0).timestamp());
            assertThat(DeadLetter.header(replayed.headers(), DeadLetter.REPLAY_OF)).startsWith(fixture.topic("topic.dlq") + "/");
            assertThat(fixture.read("topic.dlq").stream().filter(r -> !DeadLetterReplayer.isMarker(r)))
                    .as("the replayed event was not dead-lettered again").hasSize(deadBeforeReplay);
            assertThat(fixture.read("topic.dlq").stream().filter(DeadLetterReplayer::isMarker))
                    .as("one replay marker per replayed dead letter").hasSize(deadBeforeReplay);
        }
    }
}

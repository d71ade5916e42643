package statbridge.sink;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import statbridge.registry.server.SchemaRegistryServer;
import statbridge.serde.AvroSerializer;
import statbridge.testing.KafkaBroker;
import statbridge.testing.PostgresServer;
import statbridge.testing.RealInfrastructure;
import statbridge.v2.MetricType;
import statbridge.v2.ModelStat;

/**
 * Retention deletes records of a partition while the sink is stopped, so the offset stored with
 * the rows is below the partition's log start. The sink does not skip silently: that partition
 * stops, with the reason on its health and a metric, the others go on, and it continues from the
 * log start only when an operator accepts the loss for it.
 */
@ExtendWith(RealInfrastructure.class)
class LogStartIT {

    @Test
    void aStoredOffsetBelowTheLogStartStopsThatPartitionUntilAnOperatorAcceptsTheLoss(KafkaBroker kafka,
            SchemaRegistryServer registry, PostgresServer postgres) throws Exception {
        try (SinkFixture fixture = new SinkFixture(kafka, registry, postgres, "sink-log-start")) {
            fixture.seedCatalog(SinkIT.CATALOG);
            String topic = fixture.topic("topic.v2");
            TopicPartition lossy = new TopicPartition(topic, 0);
            publish(fixture, 0, 0, 10);
            publish(fixture, 1, 0, 5);
            try (SinkApp sink = new SinkApp(fixture.config(), new SimpleMeterRegistry())) {
                sink.start();
                fixture.awaitCaughtUp(Duration.ofMinutes(1));
            }

            publish(fixture, 0, 10, 20);
            publish(fixture, 1, 5, 10);
            kafka.admin().deleteRecords(Map.of(lossy, RecordsToDelete.beforeOffset(15))).all().get();

            try (SinkApp sink = new SinkApp(fixture.config(), new SimpleMeterRegistry())) {
                sink.start();
                await(() -> slices(fixture, "p1-").size() == 10, "partition 1 goes on");
                await(() -> !sink.health().up(), "the health says a partition stopped");
                assertThat(sink.health().detail()).contains(lossy.toString())
                        .contains("the offset stored with the rows is 10 but the log starts at 15")
                        .contains("retention deleted 5 record(s) the sink never wrote");
                assertThat(sink.metrics().registry().get("statbridge.sink.partitions.stopped").gauge().value()).isEqualTo(1.0);
                assertThat(slices(fixture, "p0-")).as("nothing after the gap, and nothing skipped silently")
                        .isEqualTo(expected("p0-", 0, 10));
                assertThat(fixture.db.offsets(fixture.settings.get("sink.group.id"))).containsEntry(topic + "/0", 10L);
            }

            fixture.settings.put("sink.accept.data.loss", lossy.toString());
            try (SinkApp sink = new SinkApp(fixture.config(), new SimpleMeterRegistry())) {
                sink.start();
                // Not awaitCaughtUp: its reader would itself jump from the stored offset to the log start.
                await(() -> slices(fixture, "p0-").size() == 15, "partition 0 goes on from the log start");
                List<String> expected = expected("p0-", 0, 10);
                expected.addAll(expected("p0-", 15, 20));
                expected.sort(null);
                assertThat(slices(fixture, "p0-")).isEqualTo(expected);
                await(() -> sink.health().up(), "healthy once the loss is accepted");
                assertThat(sink.metrics().registry().get("statbridge.sink.offsets.skipped").counter().count()).isEqualTo(5.0);
                assertThat(sink.metrics().registry().get("statbridge.sink.partitions.stopped").gauge().value()).isZero();
            }
        }
    }

    private static void publish(SinkFixture fixture, int partition, int from, int to) throws Exception {
        String topic = fixture.topic("topic.v2");
        AvroSerializer<ModelStat> serializer = new AvroSerializer<>(fixture.registry, false, Map.of());
        try (KafkaProducer<byte[], byte[]> producer = fixture.producer()) {
            for (int i = from; i < to; i++) {
                ModelStat stat = new ModelStat("Model0", "v1", LocalDate.of(2025, 6, 1), "p" + partition + "-" + i, MetricType.ONLINE,
                        "accuracy", i / 100.0);
                byte[] key = ("Model0/v1/2025-06-01/p" + partition + "-" + i).getBytes(StandardCharsets.UTF_8);
                producer.send(new ProducerRecord<>(topic, partition, key, serializer.serialize(topic, stat))).get();
            }
        }
    }

    private static List<String> slices(SinkFixture fixture, String prefix) {
        try {
            return fixture.db.rows("SELECT slice_key FROM ml_monitoring.model_stats_daily WHERE slice_key LIKE '" + prefix + "%'");
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<String> expected(String prefix, int from, int to) {
        List<String> slices = new ArrayList<>();
        for (int i = from; i < to; i++) {
            slices.add(prefix + i);
        }
        slices.sort(null);
        return slices;
    }

    private static void await(BooleanSupplier condition, String what) {
        Awaitility.await(what).atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(100)).until(condition::getAsBoolean);
    }
}

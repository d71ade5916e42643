package statbridge.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import statbridge.catalog.MetricCatalog;
import statbridge.deadletter.DeadLetter;
import statbridge.deadletter.Reasons;
import statbridge.registry.server.SchemaRegistryServer;
import statbridge.serde.WireFormat;
import statbridge.testing.KafkaBroker;
import statbridge.testing.PostgresServer;
import statbridge.testing.RealInfrastructure;
import statbridge.v2.MetricType;
import statbridge.v2.ModelStat;

/**
 * Two sink processes (128 MB heaps) share the partitions. PostgreSQL refuses connections for a
 * minute while events and bad records arrive; meanwhile one instance is killed and another joins
 * and leaves, so partitions are revoked and assigned while every instance is retrying. When the
 * database answers again, every partition is consumed: all rows arrive exactly once, and each bad
 * record is dead-lettered exactly once, however many times its batch was retried.
 */
@ExtendWith(RealInfrastructure.class)
class RebalanceDuringOutageIT {

    private static final Duration OUTAGE = Duration.ofSeconds(60);

    @Test
    void partitionsRevokedAndAssignedDuringAnOutageAreAllConsumedAfterItAndBadRecordsAreDeadLetteredOnce(KafkaBroker kafka,
            SchemaRegistryServer registry, PostgresServer postgres) throws Exception {
        try (SinkFixture fixture = new SinkFixture(kafka, registry, postgres, "sink-rebalance")) {
            fixture.seedCatalog(SinkIT.CATALOG);
            fixture.settings.put("sink.batch.max.records", "200");
            PublishedModel model = new PublishedModel();
            SinkIT.publish(fixture, model, 300, 21);
            Path config = fixture.writeConfig();
            String group = fixture.settings.get("sink.group.id");

            try (SinkProcess a = SinkProcess.start(config, "rebalance-a"); SinkProcess b = SinkProcess.start(config, "rebalance-b")) {
                a.awaitOutput("SINK RUNNING", Duration.ofMinutes(2));
                b.awaitOutput("SINK RUNNING", Duration.ofMinutes(2));
                awaitGroup(kafka, group, g -> g.members().size() == 2);
                fixture.awaitCaughtUp(Duration.ofMinutes(2));

                List<RecordMetadata> bad;
                long outageStarted = System.nanoTime();
                try (PostgresServer.Outage outage = postgres.outage(fixture.db.jdbcUrl)) {
                    SinkIT.publish(fixture, model, 300, 22);
                    bad = publishBadRecords(fixture);
                    // It notices the outage writing a batch, or seeking partitions a rebalance just gave it.
                    a.awaitOutput("retrying", Duration.ofMinutes(1));

                    b.kill();
                    awaitGroup(kafka, group, g -> g.members().size() == 1);
                    try (SinkProcess c = SinkProcess.start(config, "rebalance-c")) {
                        awaitGroup(kafka, group, g -> g.members().size() == 2 && g.members().stream()
                                .allMatch(m -> !m.assignment().topicPartitions().isEmpty()));
                        c.stop();
                    }
                    awaitGroup(kafka, group, g -> g.members().size() == 1
                            && g.members().iterator().next().assignment().topicPartitions().size() == 8);
                    long left = OUTAGE.toNanos() - (System.nanoTime() - outageStarted);
                    if (left > 0) {
                        Thread.sleep(left / 1_000_000); // the outage lasts its minute: many retries of the same batch
                    }
                    assertThat(a.isAlive()).isTrue();
                }

                fixture.awaitCaughtUp(Duration.ofMinutes(3));
                PublishedModel.assertSameRows("model_stats_daily", fixture.db.stats(), model.stats());
                PublishedModel.assertSameRows("model_business_stats_daily", fixture.db.business(), model.business());
                PublishedModel.assertSameRows("model_stats_daily_legacy", fixture.db.legacy(),
                        model.legacy(MetricCatalog.of(SinkIT.CATALOG)));
                assertThat(a.output()).as("the survivor took every partition over and resumed them").contains("assigned 8 partition(s); resuming");

                Map<String, String> deadLetters = new TreeMap<>();
                for (ConsumerRecord<byte[], byte[]> letter : fixture.deadLetters()) {
                    String at = DeadLetter.header(letter.headers(), DeadLetter.SOURCE_TOPIC) + "/"
                            + DeadLetter.header(letter.headers(), DeadLetter.SOURCE_PARTITION) + "/"
                            + DeadLetter.header(letter.headers(), DeadLetter.SOURCE_OFFSET);
                    assertThat(deadLetters.put(at, DeadLetter.header(letter.headers(), DeadLetter.REASON)))
                            .as("a second dead letter for %s", at).isNull();
                }
                Map<String, String> expected = new TreeMap<>();
                List<String> reasons = List.of(Reasons.BAD_WIRE_FORMAT, Reasons.KEY_MISMATCH, Reasons.INVALID_FIELD);
                for (int i = 0; i < bad.size(); i++) {
                    expected.put(bad.get(i).topic() + "/" + bad.get(i).partition() + "/" + bad.get(i).offset(), reasons.get(i));
                }
                assertThat(deadLetters).isEqualTo(expected);
                assertThat(fixture.db.rows("SELECT count(*) FROM ml_monitoring.sink_dead_letters"))
                        .as("the outbox is empty once the letters are sent").containsExactly("0");
            }
        }
    }

    /** A 13-byte message declaring a 1.5 GB string, a key of another row, a NaN value. */
    private static List<RecordMetadata> publishBadRecords(SinkFixture fixture) throws Exception {
        String topic = fixture.topic("topic.v2");
        int id = fixture.registry.register(topic + "-value", ModelStat.getClassSchema());
        byte[] poison = {0, 0, 0, 0, 0, (byte) 0x80, (byte) 0xbc, (byte) 0xc1, (byte) 0x96, 0x0b, 'a', 'b', 'c'};
        WireFormat.writeHeader(poison, id);
        ModelStat stat = new ModelStat("Model9", "v1", LocalDate.of(2025, 5, 1), "ALL", MetricType.ONLINE, "accuracy", 0.5);
        ModelStat nan = new ModelStat("Model9", "v1", LocalDate.of(2025, 5, 2), "ALL", MetricType.ONLINE, "accuracy", Double.NaN);
        statbridge.serde.AvroSerializer<ModelStat> serializer = new statbridge.serde.AvroSerializer<>(fixture.registry, false, Map.of());
        List<RecordMetadata> sent = new ArrayList<>();
        try (KafkaProducer<byte[], byte[]> producer = fixture.producer()) {
            sent.add(producer.send(new ProducerRecord<>(topic, bytes("Model9/v1/2025-05-01/ALL"), poison)).get());
            sent.add(producer.send(new ProducerRecord<>(topic, bytes("Other/v1/2025-05-01/ALL"), serializer.serialize(topic, stat))).get());
            sent.add(producer.send(new ProducerRecord<>(topic, bytes("Model9/v1/2025-05-02/ALL"), serializer.serialize(topic, nan))).get());
        }
        return sent;
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static void awaitGroup(KafkaBroker kafka, String group, Predicate<ConsumerGroupDescription> condition)
            throws Exception {
        await("the group reaches the expected membership").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(200))
                .until(() -> kafka.admin().describeConsumerGroups(List.of(group)).all().get().get(group), condition::test);
    }
}

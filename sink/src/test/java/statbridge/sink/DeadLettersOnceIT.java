package statbridge.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import statbridge.catalog.MetricCatalog;
import statbridge.deadletter.DeadLetter;
import statbridge.registry.server.SchemaRegistryServer;
import statbridge.testing.KafkaBroker;
import statbridge.testing.PostgresServer;
import statbridge.testing.RealInfrastructure;
import statbridge.v2.MetricType;
import statbridge.v2.ModelStat;

/**
 * A sink process killed with SIGKILL after its batch committed but before Kafka took the batch's
 * dead letters (the dead-letter topic does not exist until then), and a restart that finds an
 * outbox entry whose letter had already been sent: each bad record is in the dead-letter topic
 * exactly once, with its original bytes.
 */
@ExtendWith(RealInfrastructure.class)
class DeadLettersOnceIT {

    @Test
    void aKillBetweenTheCommitAndTheSendStillGivesEachBadRecordOneDeadLetter(KafkaBroker kafka, SchemaRegistryServer registry,
            PostgresServer postgres) throws Exception {
        try (SinkFixture fixture = new SinkFixture(kafka, registry, postgres, "sink-dlq-once")) {
            fixture.seedCatalog(SinkIT.CATALOG);
            PublishedModel model = new PublishedModel();
            SinkIT.publish(fixture, model, 200, 31);
            List<ProducerRecord<byte[], byte[]>> badRecords = new ArrayList<>();
            List<RecordMetadata> bad = publishBadRecords(fixture, badRecords);
            // The dead-letter topic does not exist yet (and the broker creates none by itself): each send waits for it.
            fixture.settings.put("topic.dlq", fixture.prefix + ".dead-letters-later");
            Path config = fixture.writeConfig();

            try (SinkProcess first = SinkProcess.start(config, "dlq-once-first")) {
                awaitCount(fixture, "SELECT count(*) FROM ml_monitoring.sink_dead_letters", 2);
                fixture.awaitCaughtUp(Duration.ofMinutes(1));
                first.kill();
            }
            kafka.createTopics(4, fixture.topic("topic.dlq"));
            try (SinkProcess second = SinkProcess.start(config, "dlq-once-second")) {
                second.awaitOutput("SINK RUNNING", Duration.ofMinutes(2));
                awaitCount(fixture, "SELECT count(*) FROM ml_monitoring.sink_dead_letters", 0);
                second.stop();
            }
            assertOncePerBadRecord(fixture, bad, badRecords);

            // An entry whose letter was sent, but not forgotten before a crash: the next owner finds it in the topic.
            RecordMetadata first = bad.get(0);
            fixture.db.execute("INSERT INTO ml_monitoring.sink_dead_letters (consumer_group, topic, partition, \"offset\", reason, message) "
                    + "VALUES ('" + fixture.settings.get("sink.group.id") + "', '" + first.topic() + "', " + first.partition() + ", "
                    + first.offset() + ", 'bad-wire-format', 'sent before the crash')");
            try (SinkProcess third = SinkProcess.start(config, "dlq-once-third")) {
                third.awaitOutput("SINK RUNNING", Duration.ofMinutes(2));
                awaitCount(fixture, "SELECT count(*) FROM ml_monitoring.sink_dead_letters", 0);
                third.stop();
                assertThat(third.output()).contains("sent 0 dead letter(s) an earlier owner");
            }
            assertOncePerBadRecord(fixture, bad, badRecords);
            PublishedModel.assertSameRows("model_stats_daily", fixture.db.stats(), model.stats());
            PublishedModel.assertSameRows("model_stats_daily_legacy", fixture.db.legacy(), model.legacy(MetricCatalog.of(SinkIT.CATALOG)));
        }
    }

    private static void assertOncePerBadRecord(SinkFixture fixture, List<RecordMetadata> bad, List<ProducerRecord<byte[], byte[]>> records) {
        Map<String, ConsumerRecord<byte[], byte[]>> letters = new TreeMap<>();
        for (ConsumerRecord<byte[], byte[]> letter : fixture.deadLetters()) {
            String at = DeadLetter.header(letter.headers(), DeadLetter.SOURCE_TOPIC) + "/"
                    + DeadLetter.header(letter.headers(), DeadLetter.SOURCE_PARTITION) + "/"
                    + DeadLetter.header(letter.headers(), DeadLetter.SOURCE_OFFSET);
            assertThat(letters.put(at, letter)).as("a second dead letter for %s", at).isNull();
        }
        assertThat(letters).hasSize(bad.size());
        for (int i = 0; i < bad.size(); i++) {
            ConsumerRecord<byte[], byte[]> letter = letters.get(bad.get(i).topic() + "/" + bad.get(i).partition() + "/" + bad.get(i).offset());
            assertThat(letter).as("the dead letter of bad record %d", i).isNotNull();
            assertThat(letter.value()).as("original bytes").isEqualTo(records.get(i).value());
            assertThat(letter.key()).isEqualTo(records.get(i).key());
        }
        assertThat(DeadLetter.header(letters.values().iterator().next().headers(), DeadLetter.STAGE)).isEqualTo("sink");
    }

    private static List<RecordMetadata> publishBadRecords(SinkFixture fixture, Collection<ProducerRecord<byte[], byte[]>> records)
            throws Exception {
        String topic = fixture.topic("topic.v2");
        ModelStat stat = new ModelStat("Model9", "v1", LocalDate.of(2025, 5, 1), "ALL", MetricType.ONLINE, "accuracy", 0.5);
        records.add(new ProducerRecord<>(topic, "Model9/v1/2025-05-01/ALL".getBytes(StandardCharsets.UTF_8), new byte[] {7, 7, 7}));
        records.add(new ProducerRecord<>(topic, "Other/v1/2025-05-01/ALL".getBytes(StandardCharsets.UTF_8),
                new statbridge.serde.AvroSerializer<ModelStat>(fixture.registry, false, Map.of()).serialize(topic, stat)));
        List<RecordMetadata> sent = new ArrayList<>();
        try (KafkaProducer<byte[], byte[]> producer = fixture.producer()) {
            for (ProducerRecord<byte[], byte[]> record : records) {
                sent.add(producer.send(record).get());
            }
        }
        return sent;
    }

    private static void awaitCount(SinkFixture fixture, String query, int expected) throws Exception {
        await(query + " gives " + expected).atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(100))
                .until(() -> fixture.db.rows(query), List.of(Integer.toString(expected))::equals);
    }
}

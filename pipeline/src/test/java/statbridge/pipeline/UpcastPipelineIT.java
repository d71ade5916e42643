package statbridge.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import statbridge.catalog.CatalogEntry;
import statbridge.catalog.MetricCatalog;
import statbridge.deadletter.DeadLetter;
import statbridge.deadletter.Reasons;
import statbridge.pipeline.runner.PipelineApp;
import statbridge.registry.server.SchemaRegistryServer;
import statbridge.serde.AvroDeserializer;
import statbridge.testing.KafkaBroker;
import statbridge.testing.RealInfrastructure;
import statbridge.v1.ModelStat;
import statbridge.v2.BusinessStat;
import statbridge.v2.MetricType;

/** The pipeline on a real broker: a mixed stream in, exactly the expected records out, read_committed. */
@ExtendWith(RealInfrastructure.class)
class UpcastPipelineIT {

    @Test
    void aMixedStreamWithGarbageGivesExactlyTheExpectedV2BusinessAndDeadLetterRecords(KafkaBroker kafka,
            SchemaRegistryServer registryServer) throws Exception {
        PipelineFixture fixture = new PipelineFixture(kafka, registryServer, "mixed");
        fixture.createTopics();
        List<CatalogEntry> seed = fixture.seed();
        fixture.catalog().add(seed);
        MetricCatalog catalog = MetricCatalog.of(seed);
        List<String> names = seed.stream().map(CatalogEntry::metricName).toList();

        Random random = new Random(42);
        Map<String, String> expectedV2 = new TreeMap<>();
        Map<String, Double> expectedKpi = new HashMap<>();
        Map<String, Integer> expectedDead = new TreeMap<>();
        List<byte[]> garbage = List.of(new byte[] {1, 2, 3}, new byte[] {0, 0, 0, 0x7f, 0x7f, 2, 'x'},
                "{\"model_name\":\"x\"}".getBytes(StandardCharsets.UTF_8));
        int events = 3000;
        try (KafkaProducer<byte[], byte[]> producer = fixture.rawProducer()) {
            for (int i = 0; i < events; i++) {
                String model = "Model" + (i % 5);
                LocalDate day = LocalDate.of(2025, 3, 1).plusDays(i % 30);
                String slice = "slice=" + (i % 7);
                String name = names.get(i % names.size());
                ModelStat stat = Stats.v1(model, "v" + (i % 2), day, slice + "/" + i, name, i / 10.0,
                        i % 3 == 0 ? null : i * 2.0);
                fixture.sendV1(producer, stat);
                CatalogEntry entry = catalog.byName(name).orElseThrow();
                String id = Stats.key(stat) + "|" + entry.metricType() + "|" + entry.metricKey();
                expectedV2.put(id, Double.toString(stat.getMetricValue()));
                expectedKpi.put(id, stat.getBusinessMetricValue());
                if (i % 97 == 0) {
                    producer.send(new ProducerRecord<>(fixture.topic("topic.v1"), "junk".getBytes(StandardCharsets.UTF_8),
                            garbage.get(random.nextInt(garbage.size()))));
                    expectedDead.merge("garbage", 1, Integer::sum);
                }
                if (i % 211 == 0) {
                    ModelStat nan = Stats.v1(model, "v1", day, "nan/" + i, "accuracy", Double.NaN, null);
                    fixture.sendV1(producer, nan);
                    expectedDead.merge(Reasons.INVALID_FIELD, 1, Integer::sum);
                }
            }
        }
        int deadTotal = expectedDead.values().stream().mapToInt(Integer::intValue).sum();

        try (PipelineApp app = new PipelineApp(fixture.config(), new SimpleMeterRegistry())) {
            app.start();
            List<ConsumerRecord<byte[], byte[]>> v2 = fixture.awaitRecords("topic.v2", events, Duration.ofMinutes(2));
            List<ConsumerRecord<byte[], byte[]>> business = fixture.awaitRecords("topic.business.v2", events, Duration.ofMinutes(1));
            List<ConsumerRecord<byte[], byte[]>> dead = fixture.awaitRecords("topic.dlq", deadTotal, Duration.ofMinutes(1));

            AvroDeserializer<statbridge.v2.ModelStat> v2Reader = AvroDeserializer.forType(fixture.registry, statbridge.v2.ModelStat.class);
            AvroDeserializer<BusinessStat> businessReader = AvroDeserializer.forType(fixture.registry, BusinessStat.class);
            Map<String, String> actualV2 = new TreeMap<>();
            for (ConsumerRecord<byte[], byte[]> record : v2) {
                statbridge.v2.ModelStat stat = v2Reader.deserialize("t", record.value());
                assertThat(new String(record.key(), StandardCharsets.UTF_8)).isEqualTo(statbridge.contract.StatKey.of(stat).render());
                String previous = actualV2.put(statbridge.contract.StatKey.of(stat).render() + "|" + stat.getMetricType() + "|"
                        + stat.getMetricKey(), Double.toString(stat.getMetricValue()));
                assertThat(previous).as("duplicate v2 record").isNull();
            }
            Map<String, Double> actualKpi = new HashMap<>();
            for (ConsumerRecord<byte[], byte[]> record : business) {
                BusinessStat stat = businessReader.deserialize("t", record.value());
                actualKpi.put(statbridge.contract.StatKey.of(stat).render() + "|" + stat.getMetricType() + "|" + stat.getMetricKey(),
                        stat.getBusinessMetricValue());
            }
            Map<String, Integer> actualDead = new TreeMap<>();
            for (ConsumerRecord<byte[], byte[]> record : dead) {
                String reason = DeadLetter.header(record.headers(), DeadLetter.REASON);
                actualDead.merge(Reasons.INVALID_FIELD.equals(reason) ? reason : "garbage", 1, Integer::sum);
                assertThat(DeadLetter.header(record.headers(), DeadLetter.SOURCE_TOPIC)).isEqualTo(fixture.topic("topic.v1"));
            }

            assertThat(actualV2).isEqualTo(expectedV2);
            assertThat(business).hasSize(events);
            assertThat(actualKpi).isEqualTo(expectedKpi);
            assertThat(actualDead).isEqualTo(expectedDead);
            assertThat(app.metrics().upcastCount()).isGreaterThanOrEqualTo(events);
        }
    }
}

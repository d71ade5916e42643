package statbridge.sink.catalog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import statbridge.catalog.CatalogEntry;
import statbridge.catalog.CatalogEntryCodec;
import statbridge.registry.server.SchemaRegistryServer;
import statbridge.sink.SinkApp;
import statbridge.sink.SinkFixture;
import statbridge.sink.SinkIT;
import statbridge.testing.KafkaBroker;
import statbridge.testing.PostgresServer;
import statbridge.testing.RealInfrastructure;
import statbridge.v2.MetricType;
import statbridge.v2.ModelStat;

/**
 * The database is the catalog's durable copy: a deleted catalog topic is published again from it
 * when the sink starts, and a topic that maps a name differently stops the sink with the
 * disagreement spelled out instead of writing legacy rows under the wrong names.
 */
@ExtendWith(RealInfrastructure.class)
class CatalogAuthorityIT {

    @Test
    void aLostCatalogTopicIsRestoredFromTheDatabaseAndADivergentOneStopsTheSink(KafkaBroker kafka, SchemaRegistryServer registry,
            PostgresServer postgres) throws Exception {
        try (SinkFixture fixture = new SinkFixture(kafka, registry, postgres, "sink-catalog-authority")) {
            fixture.seedCatalog(SinkIT.CATALOG);
            try (SinkApp sink = new SinkApp(fixture.config(), new SimpleMeterRegistry())) {
                sink.start();
                awaitTableSize(fixture, SinkIT.CATALOG.size());
            }

            String topic = fixture.topic("topic.catalog");
            recreate(kafka, topic);
            assertThat(fixture.catalog().read().entries()).as("the topic starts empty").isEmpty();

            try (SinkApp sink = new SinkApp(fixture.config(), new SimpleMeterRegistry())) {
                sink.start();
                assertThat(sink.awaitAssignment(Duration.ofMinutes(1))).isTrue();
                assertThat(fixture.catalog().read().entries()).containsExactlyInAnyOrderElementsOf(SinkIT.CATALOG);
                try (KafkaProducer<byte[], byte[]> producer = fixture.producer()) {
                    fixture.send(producer, new ModelStat("IntentClassifier", "v4", LocalDate.of(2025, 4, 26), "ALL", MetricType.BUSINESS,
                            "revenue", 12.5), 1_000L);
                }
                fixture.awaitCaughtUp(Duration.ofMinutes(1));
                assertThat(fixture.db.legacy()).containsExactly("IntentClassifier|v4|2025-04-26|ALL|kpi_revenue|12.5|null");
            }

            // Someone writes the topic by hand: 'kpi_revenue' now says (ONLINE, kpi_revenue), after the record that said otherwise.
            CatalogEntry wrong = CatalogEntry.of("kpi_revenue", MetricType.ONLINE, "kpi_revenue");
            write(fixture, topic, wrong);
            try (SinkApp sink = new SinkApp(fixture.config(), new SimpleMeterRegistry())) {
                sink.start();
                awaitFailed(sink);
                assertThat(sink.health().detail()).contains("changed a mapping")
                        .contains("'kpi_revenue' already maps to (BUSINESS, revenue)");
            }

            // The topic lost again, and restored by hand with the wrong mapping only: the table says otherwise.
            recreate(kafka, topic);
            write(fixture, topic, wrong);
            try (SinkApp sink = new SinkApp(fixture.config(), new SimpleMeterRegistry())) {
                sink.start();
                awaitFailed(sink);
                assertThat(sink.health().detail()).contains("disagree")
                        .contains("'kpi_revenue' is (BUSINESS, revenue) in the table but (ONLINE, kpi_revenue) in the topic");
            }
        }
    }

    private static void recreate(KafkaBroker kafka, String topic) throws Exception {
        kafka.admin().deleteTopics(List.of(topic)).all().get();
        await(topic + " deleted").atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(100))
                .until(() -> !kafka.admin().listTopics().names().get().contains(topic));
        kafka.createTopics(1, Map.of("cleanup.policy", "compact"), topic);
    }

    private static void write(SinkFixture fixture, String topic, CatalogEntry entry) throws Exception {
        try (KafkaProducer<byte[], byte[]> producer = fixture.producer()) {
            producer.send(new ProducerRecord<>(topic, entry.metricName().getBytes(StandardCharsets.UTF_8),
                    CatalogEntryCodec.encode(entry))).get();
        }
    }

    @Test
    void aCatalogTopicThatIsNotCompactedIsRefused(KafkaBroker kafka, SchemaRegistryServer registry, PostgresServer postgres)
            throws Exception {
        try (SinkFixture fixture = new SinkFixture(kafka, registry, postgres, "sink-catalog-delete")) {
            String topic = fixture.prefix + ".catalog-with-retention";
            kafka.createTopics(1, Map.of("cleanup.policy", "delete"), topic);
            fixture.settings.put("topic.catalog", topic);
            try (SinkApp sink = new SinkApp(fixture.config(), new SimpleMeterRegistry())) {
                sink.start();
                awaitFailed(sink);
                assertThat(sink.health().detail()).contains("is not compacted").contains("cleanup.policy=compact");
            }
        }
    }

    private static void awaitFailed(SinkApp sink) {
        await("the sink stops").atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(100)).until(sink::failed);
        assertThat(sink.failed()).as("the sink stops: %s", sink.health()).isTrue();
        assertThat(sink.liveness().up()).as("not alive, so a supervisor restarts it and someone looks").isFalse();
    }

    private static void awaitTableSize(SinkFixture fixture, int size) throws Exception {
        await("metric_catalog holds " + size + " rows").atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(100))
                .until(() -> fixture.db.rows("SELECT count(*) FROM ml_monitoring.metric_catalog"), List.of(Integer.toString(size))::equals);
    }
}

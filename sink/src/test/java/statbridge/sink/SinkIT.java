package statbridge.sink;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import statbridge.catalog.CatalogEntry;
import statbridge.catalog.MetricCatalog;
import statbridge.deadletter.DeadLetter;
import statbridge.deadletter.Reasons;
import statbridge.registry.server.SchemaRegistryServer;
import statbridge.testing.KafkaBroker;
import statbridge.testing.PostgresServer;
import statbridge.testing.RealInfrastructure;
import statbridge.v2.BusinessStat;
import statbridge.v2.MetricType;
import statbridge.v2.ModelStat;

/** The sink on a real broker and a real PostgreSQL: exactly the expected rows in all three tables. */
@ExtendWith(RealInfrastructure.class)
public class SinkIT {

    public static final List<CatalogEntry> CATALOG = List.of(
            CatalogEntry.of("accuracy", MetricType.ONLINE, "accuracy"),
            CatalogEntry.of("churn_rate", MetricType.BUSINESS, "churn_rate"),
            CatalogEntry.of("psi_country", MetricType.DRIFT, "psi_country"),
            CatalogEntry.of("kpi_revenue", MetricType.BUSINESS, "revenue"));

    /** Publishes a realistic mixed stream and records it in the model; returns how many events. */
    static int publish(SinkFixture fixture, PublishedModel model, int rows, long seed) {
        return publish(fixture, model, rows, seed, producer -> { });
    }

    /** As {@link #publish(SinkFixture, PublishedModel, int, long)}, calling {@code pace} after every 50 rows. */
    static int publish(SinkFixture fixture, PublishedModel model, int rows, long seed,
            java.util.function.Consumer<KafkaProducer<byte[], byte[]>> pace) {
        Random random = new Random(seed);
        long time = 1_745_000_000_000L;
        int events = 0;
        try (KafkaProducer<byte[], byte[]> producer = fixture.producer()) {
            for (int i = 0; i < rows; i++) {
                CatalogEntry metric = CATALOG.get(i % CATALOG.size());
                PublishedModel.Row row = new PublishedModel.Row("Model" + (i % 3), "v" + (i % 2),
                        LocalDate.of(2025, 3, 1).plusDays(i % 45), "slice=" + (i / 4), metric.metricType(), metric.metricKey());
                int versions = 1 + random.nextInt(3);
                for (int v = 0; v < versions; v++) {
                    // Later versions sometimes carry an earlier timestamp: a late, older event that must not win.
                    long at = time + (v == 2 && random.nextBoolean() ? -500 : v * 1_000L) + i;
                    double value = Math.round(random.nextDouble() * 1_000_000) / 1000.0;
                    Double kpi = random.nextInt(4) == 0 ? null : Math.round(random.nextDouble() * 100_000) / 100.0;
                    ModelStat stat = new ModelStat(row.model(), row.version(), row.day(), row.slice(), row.type(), row.key(), value);
                    BusinessStat business = new BusinessStat(row.model(), row.version(), row.day(), row.slice(), row.type(),
                            row.key(), kpi);
                    fixture.send(producer, stat, at);
                    fixture.send(producer, business, at);
                    model.stat(row, value, at);
                    model.business(row, kpi, at);
                    events += 2;
                }
                if (i % 50 == 49) {
                    pace.accept(producer);
                }
            }
            producer.flush();
        }
        return events;
    }

    @Test
    void aMixedStreamWithCorrectionsLateEventsAndWithdrawalsGivesExactlyTheExpectedRows(KafkaBroker kafka,
            SchemaRegistryServer registry, PostgresServer postgres) throws Exception {
        try (SinkFixture fixture = new SinkFixture(kafka, registry, postgres, "sink-mixed")) {
            fixture.seedCatalog(CATALOG);
            PublishedModel model = new PublishedModel();
            publish(fixture, model, 600, 7);
            try (KafkaProducer<byte[], byte[]> producer = fixture.producer()) {
                fixture.sendRaw(producer, "topic.v2", "k".getBytes(StandardCharsets.UTF_8), new byte[] {9, 9, 9});
                fixture.send(producer, new ModelStat("Model0", "v0", LocalDate.of(2025, 3, 1), "ALL", MetricType.ONLINE,
                        "unheard_of_metric", 0.5), 1L);
                fixture.send(producer, new ModelStat("Model0", "v0", LocalDate.of(2025, 3, 1), "ALL", MetricType.ONLINE,
                        "accuracy", Double.NaN), 1L);
                fixture.sendRaw(producer, "topic.business.v2", "wrong/key".getBytes(StandardCharsets.UTF_8),
                        new AvroBytes(fixture).business(new BusinessStat("Model0", "v0", LocalDate.of(2025, 3, 1), "ALL",
                                MetricType.ONLINE, "accuracy", 1.0)));
            }

            try (SinkApp sink = new SinkApp(fixture.config(), new SimpleMeterRegistry())) {
                sink.start();
                fixture.awaitCaughtUp(Duration.ofMinutes(2));

                PublishedModel.assertSameRows("model_stats_daily", fixture.db.stats(), model.stats());
                PublishedModel.assertSameRows("model_business_stats_daily", fixture.db.business(), model.business());
                PublishedModel.assertSameRows("model_stats_daily_legacy", fixture.db.legacy(), model.legacy(MetricCatalog.of(CATALOG)));
                assertThat(fixture.db.rows("SELECT metric_name FROM ml_monitoring.metric_catalog"))
                        .containsExactlyInAnyOrder("accuracy", "churn_rate", "psi_country", "kpi_revenue");
                Map<String, Integer> reasons = new TreeMap<>();
                for (ConsumerRecord<byte[], byte[]> dead : fixture.deadLetters()) {
                    reasons.merge(DeadLetter.header(dead.headers(), DeadLetter.REASON), 1, Integer::sum);
                    assertThat(DeadLetter.header(dead.headers(), DeadLetter.STAGE)).isEqualTo("sink");
                }
                assertThat(reasons).isEqualTo(Map.of(Reasons.BAD_WIRE_FORMAT, 1, Reasons.UNMAPPED_METRIC_KEY, 1,
                        Reasons.INVALID_FIELD, 1, Reasons.KEY_MISMATCH, 1));
                assertThat(sink.metrics().rowsWritten("model_stats_daily_legacy")).isPositive();
            }
        }
    }

    /** Wire-format bytes for records sent with a hand-made key. */
    record AvroBytes(SinkFixture fixture) {
        byte[] business(BusinessStat stat) {
            return new statbridge.serde.AvroSerializer<BusinessStat>(fixture.registry, false, Map.of())
                    .serialize(fixture.topic("topic.business.v2"), stat);
        }
    }
}

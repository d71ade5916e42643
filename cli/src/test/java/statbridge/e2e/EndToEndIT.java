package statbridge.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import statbridge.catalog.CatalogEntry;
import statbridge.catalog.CatalogFile;
import statbridge.catalog.MetricCatalog;
import statbridge.config.Configuration;
import statbridge.contract.StatKey;
import statbridge.pipeline.runner.PipelineApp;
import statbridge.pipeline.PipelineConfig;
import statbridge.registry.server.SchemaRegistryServer;
import statbridge.serde.AvroSerializer;
import statbridge.sink.PublishedModel;
import statbridge.sink.SinkApp;
import statbridge.sink.SinkFixture;
import statbridge.testing.KafkaBroker;
import statbridge.testing.PostgresServer;
import statbridge.testing.RealInfrastructure;
import statbridge.v2.BusinessStat;
import statbridge.v2.MetricType;
import statbridge.v2.ModelStat;

/**
 * Publisher to both table shapes: legacy jobs publish v1, migrated jobs v2, one job both while it
 * migrates; the real pipeline and sink run; the tables hold exactly what an independent model of
 * the publications says, the event published later winning whichever path it took.
 */
@ExtendWith(RealInfrastructure.class)
class EndToEndIT {

    /** Waits until the pipeline's committed offsets cover the whole v1 topic. */
    static void awaitPipelineDrained(SinkFixture fixture, KafkaBroker kafka) throws Exception {
        String topic = fixture.topic("topic.v1");
        await("the pipeline drains " + topic).atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(250)).until(() -> {
            var committed = kafka.admin().listConsumerGroupOffsets(fixture.settings.get("pipeline.application.id"))
                    .partitionsToOffsetAndMetadata().get();
            var partitions = kafka.admin().describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().stream()
                    .map(p -> new org.apache.kafka.common.TopicPartition(topic, p.partition())).toList();
            var end = kafka.admin().listOffsets(partitions.stream().collect(java.util.stream.Collectors.toMap(p -> p,
                    p -> org.apache.kafka.clients.admin.OffsetSpec.latest()))).all().get();
            return partitions.stream().allMatch(p -> committed.get(p) != null && committed.get(p).offset() >= end.get(p).offset());
        });
    }

    @Test
    void v1AndV2PublishersSideBySideGiveTheSameFactsInBothShapes(KafkaBroker kafka, SchemaRegistryServer registry,
            PostgresServer postgres) throws Exception {
        try (SinkFixture fixture = new SinkFixture(kafka, registry, postgres, "e2e")) {
            fixture.settings.put("topic.v1", fixture.prefix + ".model-stats.v1");
            fixture.settings.put("pipeline.application.id", fixture.prefix + "-pipeline");
            fixture.settings.put("pipeline.state.dir", Files.createTempDirectory("e2e-streams").toString());
            fixture.settings.put("pipeline.commit.interval.ms", "100");
            List<CatalogEntry> seed;
            try (var reader = Files.newBufferedReader(Path.of("../deploy/catalog/metric-catalog.csv"))) {
                seed = CatalogFile.read(reader, "seed", CatalogEntry.Origin.SEED);
            }
            fixture.seedCatalog(seed);
            MetricCatalog catalog = MetricCatalog.of(seed).with(
                    new CatalogEntry("psi_region", MetricType.DRIFT, "psi_region", CatalogEntry.Origin.INFERRED));
            Configuration configuration = Configuration.load(null, Map.of(), fixture.settings);

            PublishedModel model = new PublishedModel();
            Random random = new Random(3);
            AvroSerializer<Object> serializer = new AvroSerializer<>(fixture.registry, false, Map.of());
            List<String> names = List.of("accuracy", "churn_rate", "psi_country", "kpi_revenue", "drift_embedding_cosine",
                    "psi_region");
            long time = 1_745_700_000_000L;
            try (PipelineApp pipeline = new PipelineApp(PipelineConfig.from(configuration), new SimpleMeterRegistry());
                    SinkApp sink = new SinkApp(fixture.config(), new SimpleMeterRegistry());
                    KafkaProducer<byte[], byte[]> producer = fixture.producer()) {
                pipeline.start();
                sink.start();
                List<Integer> paths = new ArrayList<>();
                for (int i = 0; i < 900; i++) {
                    String model1 = i % 3 == 0 ? "IntentClassifier" : i % 3 == 1 ? "ChurnPredictor" : "FraudScorer";
                    // Only the legacy job introduces the uncatalogued psi_region: the pipeline infers and records it.
                    // A v2 publisher can only use keys the catalog has (else the sink dead-letters them until it does).
                    String name = model1.equals("IntentClassifier") ? names.get((i / 3) % names.size()) : names.get((i / 3) % (names.size() - 1));
                    CatalogEntry entry = catalog.byName(name).orElseThrow();
                    String version = model1.equals("IntentClassifier") ? "v4" : "v3";
                    LocalDate day = LocalDate.of(2025, 4, 1).plusDays(i % 30);
                    String slice = "country=" + List.of("PL", "DE", "FR").get((i / 6) % 3) + "/" + i / 18;
                    PublishedModel.Row row = new PublishedModel.Row(model1, version, day, slice, entry.metricType(), entry.metricKey());
                    // 0: a legacy job (v1); 1: a migrated job (v2); 2: a job publishing both while it migrates.
                    int path = model1.equals("IntentClassifier") ? 0 : model1.equals("ChurnPredictor") ? 1 : 2;
                    paths.add(path);
                    int versions = 1 + random.nextInt(2);
                    for (int v = 0; v < versions; v++) {
                        double value = Math.round(random.nextDouble() * 100_000) / 1000.0;
                        Double kpi = random.nextInt(3) == 0 ? null : Math.round(random.nextDouble() * 100_000) / 100.0;
                        long at = time + i * 10L + v * 100_000L + (path == 2 ? random.nextInt(2) * 5 : 0);
                        boolean viaV1 = path == 0 || (path == 2 && random.nextBoolean());
                        if (viaV1) {
                            statbridge.v1.ModelStat stat = new statbridge.v1.ModelStat(model1, version, day, slice, name, value, kpi);
                            String topic = fixture.topic("topic.v1");
                            producer.send(new ProducerRecord<>(topic, null, at, StatKey.of(stat).render().getBytes(StandardCharsets.UTF_8),
                                    serializer.serialize(topic, stat)));
                        } else {
                            fixture.send(producer, new ModelStat(model1, version, day, slice, entry.metricType(), entry.metricKey(), value), at);
                            fixture.send(producer, new BusinessStat(model1, version, day, slice, entry.metricType(), entry.metricKey(), kpi), at);
                        }
                        model.stat(row, value, at);
                        model.business(row, kpi, at);
                    }
                }
                producer.flush();
                assertThat(paths).contains(0, 1, 2);

                awaitPipelineDrained(fixture, kafka);
                fixture.awaitCaughtUp(Duration.ofMinutes(2));
                List<String> actual = fixture.db.stats();
                List<String> expected = model.stats();
                assertThat(actual.stream().filter(r -> !expected.contains(r)).limit(5).toList()).as("rows not expected").isEmpty();
                assertThat(expected.stream().filter(r -> !actual.contains(r)).limit(5).toList()).as("rows missing").isEmpty();
                PublishedModel.assertSameRows("model_business_stats_daily", fixture.db.business(), model.business());
                PublishedModel.assertSameRows("model_stats_daily_legacy", fixture.db.legacy(), model.legacy(catalog));
                assertThat(fixture.db.legacy()).filteredOn(r -> r.contains("|psi_region|")).hasSizeGreaterThan(10);
                assertThat(fixture.db.rows("SELECT origin FROM ml_monitoring.metric_catalog WHERE metric_name = 'psi_region'"))
                        .containsExactly("INFERRED");
                assertThat(fixture.deadLetters()).isEmpty();
            }
        }
    }
}

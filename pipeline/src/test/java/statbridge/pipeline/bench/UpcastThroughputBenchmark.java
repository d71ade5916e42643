package statbridge.pipeline.bench;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsResult;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import statbridge.contract.StatKey;
import statbridge.pipeline.runner.PipelineApp;
import statbridge.pipeline.PipelineConfig;
import statbridge.pipeline.PipelineFixture;
import statbridge.registry.server.SchemaRegistryServer;
import statbridge.serde.AvroSerializer;
import statbridge.testing.KafkaBroker;
import statbridge.testing.RealInfrastructure;
import statbridge.v1.ModelStat;

/**
 * P1: v1 events per second through the real upcast topology, against the ceiling of a trivial
 * {@code mapValues -> to} topology with the same Streams settings, on the same broker and the
 * same input, in the same run. Each is run three times ({@code -Dbench.rounds}), alternating, and
 * its best run counts.
 *
 * <p>Run: {@code mvn -B -Pbench -pl pipeline -am verify -Dit.test=UpcastThroughputBenchmark}
 * ({@code -Dbench.events=N} to change the 1,000,000 events; {@code -Dbench.streams=k=v,...} and
 * {@code -Dbench.commit.interval.ms} to try other settings, applied to both topologies alike).
 */
@ExtendWith(RealInfrastructure.class)
class UpcastThroughputBenchmark {

    private static final int EVENTS = Integer.getInteger("bench.events", 1_000_000);
    /** Rounds of all three topologies; each figure is the best of its rounds (this machine is noisy). */
    private static final int ROUNDS = Integer.getInteger("bench.rounds", 3);

    @Test
    void upcastAgainstTrivialTopology(KafkaBroker kafka, SchemaRegistryServer registryServer) throws Exception {
        PipelineFixture fixture = new PipelineFixture(kafka, registryServer, "bench");
        // -Dbench.streams=key=value,... applies the same Streams settings to both topologies.
        for (String pair : System.getProperty("bench.streams", "").split(",")) {
            if (pair.contains("=")) {
                fixture.settings.put("pipeline.streams." + pair.substring(0, pair.indexOf('=')).trim(),
                        pair.substring(pair.indexOf('=') + 1).trim());
            }
        }
        fixture.settings.put("pipeline.commit.interval.ms", System.getProperty("bench.commit.interval.ms", "200"));
        fixture.createTopics();
        fixture.catalog().add(fixture.seed());
        long produceStart = System.nanoTime();
        produce(fixture);
        double produceSeconds = (System.nanoTime() - produceStart) / 1e9;
        System.out.printf(Locale.ROOT, "P1 input: %,d v1 events produced in %.1f s (%,.0f/s)%n", EVENTS, produceSeconds,
                EVENTS / produceSeconds);

        double bestTrivial = 0;
        double bestFanOut = 0;
        double bestUpcast = 0;
        for (int round = 1; round <= ROUNDS; round++) {
            double trivial = runTrivial(fixture, round, 1);
            double fanOut = runTrivial(fixture, round, 2);
            double upcast = runUpcast(fixture, round);
            System.out.printf(Locale.ROOT, "P1 round %d: trivial %,.0f events/s, trivial fan-out to 2 topics %,.0f events/s, "
                    + "upcast %,.0f events/s%n", round, trivial, fanOut, upcast);
            bestTrivial = Math.max(bestTrivial, trivial);
            bestFanOut = Math.max(bestFanOut, fanOut);
            bestUpcast = Math.max(bestUpcast, upcast);
        }
        String line = String.format(Locale.ROOT,
                "P1 pipeline upcast | %,.0f events/s | trivial mapValues->to ceiling %,.0f events/s | ratio %.2f | target >= 0.80%n"
                        + "P1 pipeline upcast vs equal-output ceiling | %,.0f events/s | trivial mapValues->to x2 topics %,.0f events/s | ratio %.2f | (information)",
                bestUpcast, bestTrivial, bestUpcast / bestTrivial, bestUpcast, bestFanOut, bestUpcast / bestFanOut);
        System.out.println(line);
        Path out = Path.of("target", "bench", "P1-pipeline.txt");
        Files.createDirectories(out.getParent());
        Files.writeString(out, line + System.lineSeparator());
    }

    private static void produce(PipelineFixture fixture) {
        Map<String, Object> config = fixture.kafka.producerConfig();
        config.put(ProducerConfig.LINGER_MS_CONFIG, 20);
        config.put(ProducerConfig.BATCH_SIZE_CONFIG, 262_144);
        config.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, org.apache.kafka.common.serialization.ByteArraySerializer.class);
        config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, org.apache.kafka.common.serialization.ByteArraySerializer.class);
        AvroSerializer<ModelStat> serializer = new AvroSerializer<>(fixture.registry, false, Map.of());
        List<String> names = List.of("accuracy", "churn_rate", "psi_country", "recall", "kpi_revenue", "auc_roc",
                "ks_tenure_days", "conversion_rate");
        String topic = fixture.topic("topic.v1");
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(config)) {
            for (int i = 0; i < EVENTS; i++) {
                ModelStat stat = ModelStat.newBuilder().setModelName("Model" + (i % 12)).setModelVersion("v" + (i % 3))
                        .setStatDate(LocalDate.of(2024, 1, 1).plusDays(i % 365)).setSliceKey("country=" + (i % 40))
                        .setMetricName(names.get(i % names.size())).setMetricValue(i * 0.001)
                        .setBusinessMetricValue(i % 4 == 0 ? null : i * 0.5).build();
                producer.send(new ProducerRecord<>(topic, StatKey.of(stat).render().getBytes(StandardCharsets.UTF_8),
                        serializer.serialize(topic, stat)));
            }
            producer.flush();
        }
    }

    /** The ceiling: {@code mapValues -> to}, writing each event to {@code outputs} topics (1 is the ceiling). */
    private static double runTrivial(PipelineFixture fixture, int round, int outputs) throws Exception {
        String appId = fixture.prefix + "-trivial-" + outputs + "-" + round;
        StreamsBuilder builder = new StreamsBuilder();
        var mapped = builder.stream(fixture.topic("topic.v1"), Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()))
                .mapValues(value -> value);
        for (int o = 0; o < outputs; o++) {
            String output = appId + ".out-" + o;
            fixture.kafka.createTopics(4, output);
            mapped.to(output, Produced.with(Serdes.ByteArray(), Serdes.ByteArray()));
        }
        PipelineConfig pipeline = fixture.config();
        Properties properties = new Properties();
        properties.putAll(pipeline.streams());
        properties.put("application.id", appId);
        properties.put("state.dir", Files.createTempDirectory("bench-trivial").toString());
        try (KafkaStreams streams = new KafkaStreams(builder.build(), properties)) {
            streams.start();
            return timeUntilConsumed(fixture, appId, () -> streams.state() == KafkaStreams.State.RUNNING);
        }
    }

    private static double runUpcast(PipelineFixture fixture, int round) throws Exception {
        String appId = fixture.prefix + "-upcast-" + round;
        fixture.settings.put("pipeline.application.id", appId);
        fixture.settings.put("topic.v2", fixture.prefix + ".v2-out-" + round);
        fixture.settings.put("topic.business.v2", fixture.prefix + ".business-out-" + round);
        fixture.settings.put("pipeline.state.dir", Files.createTempDirectory("bench-upcast").toString());
        try (PipelineApp app = new PipelineApp(fixture.config(), new SimpleMeterRegistry())) {
            app.start();
            return timeUntilConsumed(fixture, appId, () -> app.state() == KafkaStreams.State.RUNNING);
        }
    }

    /** Events per second from the moment the app is RUNNING until its committed offsets cover every event. */
    private static double timeUntilConsumed(PipelineFixture fixture, String appId, java.util.function.BooleanSupplier running)
            throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
        while (!running.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(appId + " never reached RUNNING");
            }
            Thread.sleep(10);
        }
        long start = System.nanoTime();
        while (committed(fixture, appId) < EVENTS) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(appId + " did not finish in time");
            }
            Thread.sleep(50);
        }
        return EVENTS / ((System.nanoTime() - start) / 1e9);
    }

    private static long committed(PipelineFixture fixture, String appId) throws Exception {
        ListConsumerGroupOffsetsResult result = fixture.kafka.admin().listConsumerGroupOffsets(appId);
        Map<org.apache.kafka.common.TopicPartition, OffsetAndMetadata> offsets = result.partitionsToOffsetAndMetadata()
                .get(Duration.ofSeconds(10).toMillis(), TimeUnit.MILLISECONDS);
        return offsets.values().stream().filter(o -> o != null).mapToLong(OffsetAndMetadata::offset).sum();
    }
}

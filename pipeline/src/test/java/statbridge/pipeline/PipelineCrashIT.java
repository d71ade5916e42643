package statbridge.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.File;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import statbridge.pipeline.runner.PipelineMain;
import statbridge.registry.server.SchemaRegistryServer;
import statbridge.serde.AvroDeserializer;
import statbridge.testing.KafkaBroker;
import statbridge.testing.RealInfrastructure;
import statbridge.v1.ModelStat;

/**
 * The pipeline as a separate process, killed with SIGKILL at random moments while input flows;
 * once a last instance has drained the input, every expected record is in the output exactly once.
 */
@ExtendWith(RealInfrastructure.class)
class PipelineCrashIT {

    private static final int EVENTS = 12_000;
    private static final int KILLS = 3;

    @Test
    void killingThePipelineAtRandomMomentsLosesAndDuplicatesNothing(KafkaBroker kafka, SchemaRegistryServer registryServer)
            throws Exception {
        PipelineFixture fixture = new PipelineFixture(kafka, registryServer, "crash");
        fixture.createTopics();
        fixture.catalog().add(fixture.seed());
        Path config = fixture.writeConfig();
        Random random = new Random(Long.getLong("statbridge.crash.seed", System.nanoTime()));
        List<String> names = List.of("accuracy", "churn_rate", "psi_country", "recall", "kpi_revenue");

        AtomicInteger sent = new AtomicInteger();
        java.util.concurrent.atomic.AtomicBoolean killsDone = new java.util.concurrent.atomic.AtomicBoolean();
        Thread publisher = new Thread(() -> {
            // A steady trickle (about 300 events/s) while the kills happen, then the rest at full speed.
            try (KafkaProducer<byte[], byte[]> producer = fixture.rawProducer()) {
                for (int i = 0; i < EVENTS; i++) {
                    fixture.sendV1(producer, event(i, names));
                    sent.incrementAndGet();
                    if (i % 30 == 29 && !killsDone.get()) {
                        producer.flush();
                        Thread.sleep(100);
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "crash-publisher");
        publisher.start();

        int[] sentAtKill = new int[KILLS];
        for (int kill = 0; kill < KILLS; kill++) {
            Process pipeline = start(config, kill);
            awaitRunning(kill);
            Thread.sleep(500 + random.nextInt(2_500));
            pipeline.destroyForcibly();
            sentAtKill[kill] = sent.get();
            assertThat(pipeline.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(pipeline.exitValue()).as("SIGKILL").isEqualTo(137);
        }
        int committedByKilledInstances = fixture.read("topic.v2").size();
        killsDone.set(true);
        publisher.join();
        assertThat(sent).hasValue(EVENTS);
        assertThat(java.util.Arrays.stream(sentAtKill).max().orElseThrow()).as("input was still flowing at every kill").isLessThan(EVENTS);
        assertThat(committedByKilledInstances).as("the killed instances had committed work").isPositive();

        Process last = start(config, KILLS);
        try {
            List<ConsumerRecord<byte[], byte[]>> v2 = fixture.awaitRecords("topic.v2", EVENTS, Duration.ofMinutes(3));
            List<ConsumerRecord<byte[], byte[]>> business = fixture.awaitRecords("topic.business.v2", EVENTS, Duration.ofMinutes(1));

            AvroDeserializer<statbridge.v2.ModelStat> reader = AvroDeserializer.forType(fixture.registry, statbridge.v2.ModelStat.class);
            Map<String, Integer> seen = new HashMap<>();
            for (ConsumerRecord<byte[], byte[]> record : v2) {
                statbridge.v2.ModelStat stat = reader.deserialize("t", record.value());
                seen.merge(stat.getSliceKey() + "|" + stat.getMetricKey(), 1, Integer::sum);
            }
            assertThat(v2).hasSize(EVENTS);
            assertThat(business).hasSize(EVENTS);
            assertThat(seen).hasSize(EVENTS).allSatisfy((id, count) -> assertThat(count).as(id).isEqualTo(1));
            assertThat(fixture.read("topic.dlq")).isEmpty();
        } finally {
            last.destroy();
            last.waitFor(60, TimeUnit.SECONDS);
        }
    }

    private static void awaitRunning(int run) throws Exception {
        Path log = logOf(run);
        await("pipeline run " + run + " reaches RUNNING; see " + log).atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(100))
                .until(() -> java.nio.file.Files.exists(log) && java.nio.file.Files.readString(log).contains("PIPELINE RUNNING"));
    }

    private static Path logOf(int run) {
        return Path.of("target", "pipeline-crash-run-" + run + ".log");
    }

    private static ModelStat event(int i, List<String> names) {
        return Stats.v1("Model" + (i % 3), "v1", LocalDate.of(2025, 1, 1).plusDays(i % 90), "slice=" + i,
                names.get(i % names.size()), i / 7.0, i % 2 == 0 ? null : (double) i);
    }

    private static Process start(Path config, int run) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        File log = logOf(run).toFile();
        return new ProcessBuilder(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                PipelineMain.class.getName(), config.toString())
                .redirectErrorStream(true).redirectOutput(log).start();
    }
}

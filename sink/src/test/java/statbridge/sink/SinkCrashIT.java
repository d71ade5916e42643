package statbridge.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import statbridge.catalog.MetricCatalog;
import statbridge.registry.server.SchemaRegistryServer;
import statbridge.testing.KafkaBroker;
import statbridge.testing.PostgresServer;
import statbridge.testing.RealInfrastructure;

/**
 * The sink as a separate process, killed with SIGKILL at random moments while it writes; once a
 * last instance has drained the topics, the tables are exact and the stored offsets are the ends
 * of the topics.
 */
@ExtendWith(RealInfrastructure.class)
class SinkCrashIT {

    private static final int KILLS = 3;

    @Test
    void killingTheSinkAtRandomMomentsLeavesExactTablesAndConsistentOffsets(KafkaBroker kafka, SchemaRegistryServer registry,
            PostgresServer postgres) throws Exception {
        try (SinkFixture fixture = new SinkFixture(kafka, registry, postgres, "sink-crash")) {
            fixture.seedCatalog(SinkIT.CATALOG);
            fixture.settings.put("sink.batch.max.records", "500");
            PublishedModel model = new PublishedModel();
            Path config = fixture.writeConfig();
            Random random = new Random(Long.getLong("statbridge.crash.seed", System.nanoTime()));
            CountDownLatch killsDone = new CountDownLatch(1);
            AtomicLong published = new AtomicLong();
            Thread publisher = new Thread(() -> SinkIT.publish(fixture, model, 4_000, 11, producer -> {
                // A trickle while the kills happen (about 200 rows a second), then the rest at full speed.
                // The last chunk waits for the last kill, so input is still flowing then however slowly the sinks start.
                producer.flush();
                try {
                    if (published.addAndGet(50) >= 4_000 - 50) {
                        killsDone.await();
                    } else if (killsDone.getCount() > 0) {
                        Thread.sleep(250);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }), "sink-crash-publisher");
            publisher.start();

            long[] publishedAtKill = new long[KILLS];
            for (int kill = 0; kill < KILLS; kill++) {
                Process sink = start(config, kill);
                awaitLine(kill, "SINK RUNNING");
                Thread.sleep(300 + random.nextInt(1_500));
                sink.destroyForcibly();
                publishedAtKill[kill] = published.get();
                assertThat(sink.waitFor(30, TimeUnit.SECONDS)).isTrue();
                assertThat(sink.exitValue()).as("SIGKILL").isEqualTo(137);
            }
            long storedBeforeLastRun = fixture.db.offsets(fixture.settings.get("sink.group.id")).values().stream()
                    .mapToLong(Long::longValue).sum();
            killsDone.countDown();
            publisher.join();
            assertThat(storedBeforeLastRun).as("the killed instances committed some batches").isPositive();
            assertThat(publishedAtKill[KILLS - 1]).as("input was still flowing at the last kill").isLessThan(4_000);

            Process last = start(config, KILLS);
            try {
                fixture.awaitCaughtUp(Duration.ofMinutes(3));
                PublishedModel.assertSameRows("model_stats_daily", fixture.db.stats(), model.stats());
                PublishedModel.assertSameRows("model_business_stats_daily", fixture.db.business(), model.business());
                PublishedModel.assertSameRows("model_stats_daily_legacy", fixture.db.legacy(), model.legacy(MetricCatalog.of(SinkIT.CATALOG)));
                assertThat(fixture.db.offsets(fixture.settings.get("sink.group.id"))).isEqualTo(fixture.endOffsets());
                assertThat(fixture.deadLetters()).isEmpty();
                assertThat(fixture.db.series()).as("metric_series, kept in the killed batches' transactions")
                        .isNotEmpty().isEqualTo(fixture.db.seriesAggregate());
            } finally {
                last.destroy();
                last.waitFor(60, TimeUnit.SECONDS);
            }
        }
    }

    private static Process start(Path config, int run) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        File log = logOf(run).toFile();
        return new ProcessBuilder(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"), SinkMain.class.getName(),
                config.toString()).redirectErrorStream(true).redirectOutput(log).start();
    }

    private static Path logOf(int run) {
        return Path.of("target", "sink-crash-run-" + run + ".log");
    }

    private static void awaitLine(int run, String line) throws Exception {
        await("sink run " + run + " prints " + line + "; see " + logOf(run)).atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(100))
                .until(() -> Files.exists(logOf(run)) && Files.readString(logOf(run)).contains(line));
    }
}

package statbridge.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import statbridge.catalog.MetricCatalog;
import statbridge.registry.server.SchemaRegistryServer;
import statbridge.testing.KafkaBroker;
import statbridge.testing.PostgresServer;
import statbridge.testing.RealInfrastructure;

/** PostgreSQL stopped and restarted while the sink writes: it retries, resumes, and the tables are exact. */
@ExtendWith(RealInfrastructure.class)
class PostgresOutageIT {

    @Test
    void theSinkRidesOutAPostgresRestartMidStream(KafkaBroker kafka, SchemaRegistryServer registry, PostgresServer postgres)
            throws Exception {
        try (SinkFixture fixture = new SinkFixture(kafka, registry, postgres, "sink-outage")) {
            fixture.seedCatalog(SinkIT.CATALOG);
            fixture.settings.put("sink.batch.max.records", "300");
            PublishedModel model = new PublishedModel();
            SinkIT.publish(fixture, model, 1_500, 5);

            try (SinkApp sink = new SinkApp(fixture.config(), new SimpleMeterRegistry())) {
                sink.start();
                assertThat(sink.awaitAssignment(Duration.ofMinutes(1))).isTrue();
                await("the sink's first offsets stored").atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(20))
                        .until(() -> !fixture.db.offsets(fixture.settings.get("sink.group.id")).isEmpty());

                postgres.stop();
                SinkIT.publish(fixture, model, 1_500, 6);
                await("the sink notices the outage").atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(50))
                        .until(sink::state, SinkState.RETRYING::equals);
                Thread.sleep(3_000);
                postgres.restart();

                fixture.awaitCaughtUp(Duration.ofMinutes(2));
                assertThat(sink.state()).isEqualTo(SinkState.RUNNING);
                assertThat(sink.metrics().retryCount()).isPositive();
                PublishedModel.assertSameRows("model_stats_daily", fixture.db.stats(), model.stats());
                PublishedModel.assertSameRows("model_business_stats_daily", fixture.db.business(), model.business());
                PublishedModel.assertSameRows("model_stats_daily_legacy", fixture.db.legacy(), model.legacy(MetricCatalog.of(SinkIT.CATALOG)));
            }
        }
    }
}

package statbridge.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import statbridge.catalog.MetricCatalog;
import statbridge.registry.server.SchemaRegistryServer;
import statbridge.sink.dualwrite.DualWriteSwitch;
import statbridge.sink.dualwrite.ParityCheck;
import statbridge.sink.dualwrite.ParityResult;
import statbridge.sink.dualwrite.ParitySelection;
import statbridge.testing.KafkaBroker;
import statbridge.testing.PostgresServer;
import statbridge.testing.RealInfrastructure;

/** Dual-write switched off and on while events flow. */
@ExtendWith(RealInfrastructure.class)
class SwitchWhileFlowingIT {

    @Test
    void everyBatchIsWhollyDualWrittenOrNotAndSwitchingBackOnLeavesNoGap(KafkaBroker kafka, SchemaRegistryServer registry,
            PostgresServer postgres) throws Exception {
        try (SinkFixture fixture = new SinkFixture(kafka, registry, postgres, "sink-switch")) {
            fixture.seedCatalog(SinkIT.CATALOG);
            fixture.settings.put("sink.batch.max.records", "200");
            PublishedModel model = new PublishedModel();
            AtomicBoolean done = new AtomicBoolean();
            Thread publisher = new Thread(() -> {
                SinkIT.publish(fixture, model, 3_000, 21, producer -> {
                    producer.flush();
                    try {
                        Thread.sleep(60);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
                done.set(true);
            }, "switch-publisher");

            try (SinkApp sink = new SinkApp(fixture.config(), new SimpleMeterRegistry())) {
                sink.start();
                assertThat(sink.awaitAssignment(Duration.ofMinutes(1))).isTrue();
                publisher.start();
                DualWriteSwitch dualWrite = new DualWriteSwitch(fixture.db.database.dataSource());
                int cycles = 0;
                int paritySnapshots = 0;
                while (!done.get() || cycles < 2) {
                    // While on, any snapshot sees both shapes equal: a batch is never half dual-written.
                    for (int i = 0; i < 5; i++) {
                        assertThat(parity(fixture)).as("parity while on and flowing").satisfies(p -> assertThat(p.ok()).isTrue());
                        paritySnapshots++;
                        Thread.sleep(50);
                    }
                    List<String> archivedAtOff;
                    dualWrite.off("test", "cycle " + cycles, false);
                    archivedAtOff = fixture.db.rows("SELECT * FROM ml_monitoring.model_stats_daily_legacy_archive");
                    long writtenAtOff = lastWriteSeq(fixture);
                    await("a batch committed after the switch, or nothing left to write").atMost(Duration.ofMinutes(1))
                            .until(() -> lastWriteSeq(fixture) > writtenAtOff || (done.get() && fixture.unconsumed() == 0));
                    assertThat(fixture.db.rows("SELECT * FROM ml_monitoring.model_stats_daily_legacy_archive"))
                            .as("no batch writes the legacy table while dual-write is off").isEqualTo(archivedAtOff);
                    // One statement, one snapshot: the legacy name answers with exactly the rebuild while off.
                    assertThat(fixture.db.rows("""
                            (SELECT * FROM ml_monitoring.model_stats_daily_legacy
                             EXCEPT SELECT model_name, model_version, stat_date, slice_key, metric_name, metric_value,
                                           business_metric_value, updated_at FROM ml_monitoring.model_stats_daily_legacy_rebuilt)
                            UNION ALL
                            (SELECT model_name, model_version, stat_date, slice_key, metric_name, metric_value,
                                    business_metric_value, updated_at FROM ml_monitoring.model_stats_daily_legacy_rebuilt
                             EXCEPT SELECT * FROM ml_monitoring.model_stats_daily_legacy)
                            """)).as("the legacy name answers with the rebuild while off").isEmpty();
                    assertThat(fixture.db.rows("SELECT count(*) > 0 FROM ml_monitoring.model_stats_daily_legacy")).containsExactly("t");
                    dualWrite.on("test", "cycle " + cycles);
                    cycles++;
                }
                publisher.join();
                fixture.awaitCaughtUp(Duration.ofMinutes(2));

                assertThat(cycles).isGreaterThanOrEqualTo(2);
                assertThat(paritySnapshots).isGreaterThanOrEqualTo(10);
                assertThat(parity(fixture).ok()).isTrue();
                PublishedModel.assertSameRows("model_stats_daily", fixture.db.stats(), model.stats());
                PublishedModel.assertSameRows("model_stats_daily_legacy (no gap after switching back on)", fixture.db.legacy(), model.legacy(MetricCatalog.of(SinkIT.CATALOG)));
            }
        }
    }

    /** The write sequence number of the newest batch that wrote a stat. */
    private static long lastWriteSeq(SinkFixture fixture) throws Exception {
        return Long.parseLong(fixture.db.rows("SELECT coalesce(max(write_seq), 0) FROM ml_monitoring.model_stats_daily").get(0));
    }

    private static ParityResult parity(SinkFixture fixture) throws Exception {
        try (Connection connection = fixture.db.connection()) {
            ParityResult result = ParityCheck.run(connection, ParitySelection.all());
            connection.rollback();
            return result;
        }
    }
}

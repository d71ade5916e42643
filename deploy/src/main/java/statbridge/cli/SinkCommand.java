package statbridge.cli;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import statbridge.operations.OperationsServer;
import statbridge.sink.SinkApp;
import statbridge.sink.SinkConfig;

/** {@code statbridge sink}: runs the PostgreSQL sink against an existing Kafka, registry and database until stopped. */
@Command(name = "sink", mixinStandardHelpOptions = true,
        description = {
            "Runs the sink: writes ModelStat v2 and BusinessStat v2 events into the new split tables and, while dual-write "
                    + "is on, the legacy-shaped table, in one transaction per batch with the consumed offsets (exactly once). "
                    + "Applies the database migrations first unless sink.migrate.on.start=false. Runs until SIGTERM or Ctrl-C; "
                    + "run more instances with the same sink.group.id to share the partitions.",
            "Every sink.consumer.* key passes to the Kafka consumer, sink.hikari.* to the connection pool, kafka.* to every Kafka client."
        })
final class SinkCommand implements Callable<Integer> {

    @Mixin
    ConnectionOptions connection;

    @Option(names = "--metrics-port", paramLabel = "PORT", defaultValue = "9402",
            description = "Port for /metrics (Prometheus) and /health; 0 picks a free one, -1 turns it off (default: ${DEFAULT-VALUE}).")
    int metricsPort;

    @Override
    public Integer call() throws Exception {
        SinkConfig config = SinkConfig.from(connection.resolve());
        PrometheusMeterRegistry registry = OperationsServer.newRegistry();
        SinkApp app = new SinkApp(config, registry);
        OperationsServer operations = metricsPort < 0 ? null : OperationsServer.start("0.0.0.0", metricsPort, registry, () ->
                app.state() == SinkApp.State.RUNNING
                        ? OperationsServer.Health.up(app.state().name())
                        : OperationsServer.Health.down(app.state() + (app.stateDetail().isEmpty() ? "" : ": " + app.stateDetail())));
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            app.close();
            if (operations != null) {
                operations.close();
            }
        }, "sink-shutdown"));
        app.start();
        app.awaitStopped();
        return app.state() == SinkApp.State.FAILED ? ExitCodes.PROBLEM : ExitCodes.OK;
    }
}

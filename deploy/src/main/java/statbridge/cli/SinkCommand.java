package statbridge.cli;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import statbridge.operations.ComponentRunner;
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
        PrometheusMeterRegistry registry = OperationsServer.newRegistry();
        SinkApp app = new SinkApp(SinkConfig.from(connection.resolve()), registry);
        return ComponentRunner.run(app, registry, metricsPort) ? ExitCodes.OK : ExitCodes.PROBLEM;
    }
}

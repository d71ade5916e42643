package statbridge.cli;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import statbridge.operations.ComponentRunner;
import statbridge.operations.OperationsServer;
import statbridge.operations.OperationsSettings;
import statbridge.sink.SinkApp;
import statbridge.sink.SinkConfig;
import statbridge.sink.SinkSettings;
import statbridge.tools.SinkWatches;
import statbridge.config.Configuration;

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

    @Option(names = "--accept-data-loss", paramLabel = "PARTITION", split = ",",
            description = "Partitions (as the sink names them when it stops one, e.g. model-stats.v2-3; or 'all') that may continue "
                    + "from the log start although retention deleted records the sink never wrote. Adds to sink.accept.data.loss.")
    List<String> acceptDataLoss = List.of();

    @Override
    public Integer call() throws Exception {
        PrometheusMeterRegistry registry = OperationsServer.newRegistry();
        Configuration configuration = connection.resolve();
        if (!acceptDataLoss.isEmpty()) {
            List<String> accepted = new ArrayList<>(configuration.getList(SinkSettings.ACCEPT_DATA_LOSS));
            accepted.addAll(acceptDataLoss);
            configuration = configuration.with(Map.of(SinkSettings.ACCEPT_DATA_LOSS.key(), String.join(",", accepted)));
        }
        SinkApp app = new SinkApp(SinkConfig.from(configuration), registry);
        try (SinkWatches watches = SinkWatches.start(configuration, registry)) {
            return ComponentRunner.run(app, registry, configuration.get(OperationsSettings.BIND_ADDRESS), metricsPort)
                    ? ExitCodes.OK : ExitCodes.PROBLEM;
        }
    }
}

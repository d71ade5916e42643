package statbridge.cli;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import statbridge.operations.ComponentRunner;
import statbridge.operations.OperationsServer;
import statbridge.operations.OperationsSettings;
import statbridge.pipeline.PipelineApp;
import statbridge.pipeline.PipelineConfig;

/** {@code statbridge pipeline}: runs the upcaster against an existing Kafka and registry until stopped. */
@Command(name = "pipeline", mixinStandardHelpOptions = true,
        description = {
            "Runs the Kafka Streams pipeline that upcasts ModelStat v1 events into ModelStat v2 and BusinessStat v2 "
                    + "events (exactly once), dead-lettering what it cannot upcast. Runs until SIGTERM or Ctrl-C; "
                    + "run more instances with the same pipeline.application.id to share the partitions.",
            "Every pipeline.streams.* key passes to Kafka Streams and every kafka.* key to the Kafka clients."
        })
final class PipelineCommand implements Callable<Integer> {

    @Mixin
    ConnectionOptions connection;

    @Option(names = "--metrics-port", paramLabel = "PORT", defaultValue = "9401",
            description = "Port for /metrics (Prometheus) and /health; 0 picks a free one, -1 turns it off (default: ${DEFAULT-VALUE}).")
    int metricsPort;

    @Override
    public Integer call() throws Exception {
        PrometheusMeterRegistry registry = OperationsServer.newRegistry();
        statbridge.config.Configuration configuration = connection.resolve();
        PipelineApp app = new PipelineApp(PipelineConfig.from(configuration), registry);
        return ComponentRunner.run(app, registry, configuration.get(OperationsSettings.BIND_ADDRESS), metricsPort)
                ? ExitCodes.OK : ExitCodes.PROBLEM;
    }
}

package statbridge.embedded;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import statbridge.cli.ConnectionOptions;
import statbridge.console.ConsoleServer;
import statbridge.console.ConsoleSettings;
import statbridge.cli.ExitCodes;
import statbridge.embedded.EmbeddedStack;
import statbridge.logging.LogFiles;
import statbridge.operations.OperationsServer;

/** {@code statbridge up}: the whole stack embedded on this machine, until interrupted. */
@Command(name = "up", mixinStandardHelpOptions = true,
        description = "Starts the whole stack on this machine, no Docker: a real Kafka broker (KRaft, in this process), a schema "
                + "registry speaking the Confluent REST API, a real PostgreSQL, the pipeline and the sink; data is kept in "
                + "--data-dir, so a restart keeps it. Prints one line READY kafka=HOST:PORT registry=URL jdbc=URL console=URL "
                + "once everything accepts work (the console is the read-only web page of the migration, 'statbridge console'), and runs until Ctrl-C or SIGTERM. Other statbridge commands on this machine find it "
                + "without flags. It is for one machine: every service listens on 127.0.0.1, the registry keeps no replicas and "
                + "has no authentication; in production, run 'statbridge pipeline' and 'statbridge sink' against your own "
                + "Kafka, schema registry and PostgreSQL.")
final class UpCommand implements Callable<Integer> {

    @Mixin
    ConnectionOptions connection;

    @Option(names = "--kafka-port", defaultValue = "9092", description = "Kafka port, or the next free one (default: ${DEFAULT-VALUE}).")
    int kafkaPort;

    @Option(names = "--registry-port", defaultValue = "8081", description = "Schema registry port, or the next free one (default: ${DEFAULT-VALUE}).")
    int registryPort;

    @Option(names = "--pg-port", defaultValue = "5432", description = "PostgreSQL port, or the next free one (default: ${DEFAULT-VALUE}).")
    int pgPort;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "Where the data lives (default: ~/.statbridge/data).")
    Path dataDir;

    @Option(names = "--infra-only", description = "Start only Kafka, the registry and PostgreSQL (run the pipeline and the sink apart).")
    boolean infraOnly;

    @Option(names = "--metrics-port", defaultValue = "9400", description = "Port for /metrics and /health; -1 turns it off (default: ${DEFAULT-VALUE}).")
    int metricsPort;

    @Option(names = "--console-port", defaultValue = "8088",
            description = "Port of the console (the read-only web page), or the next free one (default: ${DEFAULT-VALUE}).")
    int consolePort;

    @Option(names = "--registry-read-only", description = "Once the contract's schemas are registered, the embedded registry "
            + "serves reads only: a producer can no longer register a schema of its own (auto.register.schemas).")
    boolean registryReadOnly;

    @Option(names = "--verbose", description = "Show the components' logs (Kafka, PostgreSQL migrations, Kafka Streams) here "
            + "instead of only in DATA-DIR/statbridge.log.")
    boolean verbose;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Path data = dataDir != null ? dataDir : Path.of(System.getProperty("user.home"), ".statbridge", "data");
        if (!verbose) {
            Path log = data.resolve("statbridge.log");
            java.nio.file.Files.createDirectories(data);
            LogFiles.divertTo(log);
            spec.commandLine().getErr().println("logs: " + log + " (--verbose shows them here)");
            spec.commandLine().getErr().flush();
        }
        PrometheusMeterRegistry registry = OperationsServer.newRegistry();
        CountDownLatch stopped = new CountDownLatch(1);
        EmbeddedStack stack = EmbeddedStack.start(data, kafkaPort, registryPort, pgPort, infraOnly,
                connection.resolveWithoutLocalEndpoints(), registry, spec.commandLine().getErr());
        OperationsServer operations = metricsPort < 0 ? null : OperationsServer.start("127.0.0.1", metricsPort, registry,
                stack::liveness, stack::health);
        ConsoleServer console = ConsoleServer.start(ConsoleSettings.withFlags(stack.configuration(), consolePort, null));
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            console.close();
            stack.close();
            if (operations != null) {
                operations.close();
            }
            stopped.countDown();
        }, "statbridge-up-shutdown"));
        // SIGUSR2 restarts the embedded PostgreSQL: a fault drill for the components (and the chaos soak).
        sun.misc.Signal.handle(new sun.misc.Signal("USR2"), signal -> {
            try {
                stack.restartPostgres();
                spec.commandLine().getErr().println("restarted PostgreSQL");
            } catch (Exception e) {
                spec.commandLine().getErr().println("could not restart PostgreSQL: " + e.getMessage());
            }
            spec.commandLine().getErr().flush();
        });
        if (registryReadOnly) {
            stack.registryReadOnly();
        }
        EmbeddedStack.Endpoints endpoints = stack.endpoints();
        out.println("READY kafka=" + endpoints.kafka() + " registry=" + endpoints.registry() + " jdbc=" + endpoints.jdbc()
                + " console=" + console.url());
        out.flush();
        stopped.await();
        return ExitCodes.OK;
    }
}

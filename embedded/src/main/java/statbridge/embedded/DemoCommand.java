package statbridge.embedded;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import statbridge.cli.ConnectionOptions;
import statbridge.logging.LogFiles;
import statbridge.cli.ExitCodes;
import statbridge.config.CommonSettings;
import statbridge.console.ConsoleServer;
import statbridge.console.ConsoleSettings;
import statbridge.deadletter.DeadLetter;
import statbridge.registry.RegistrySettings;
import statbridge.sink.db.Database;
import statbridge.sink.db.DatabaseConfig;
import statbridge.sink.dualwrite.ParitySelection;
import statbridge.tools.migration.Verify;
import statbridge.topics.TopicReader;

/** {@code statbridge demo}: the stack, a realistic month of statistics from old and new jobs, and both table shapes. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Starts the embedded stack (as 'statbridge up' does, in a fresh data directory), publishes a realistic "
                + "month of model statistics — legacy jobs in v1, migrated jobs in v2, one job publishing both while it migrates, "
                + "and two bad records — waits until it has landed, then shows the legacy shape and the new shape side by side, "
                + "the parity report and the dead letters, and stops.")
final class DemoCommand implements Callable<Integer> {

    @Mixin
    ConnectionOptions connection;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "Keep the demo's data here (default: a temporary directory, removed at the end).")
    Path dataDir;

    @Option(names = "--verbose", description = "Show the components' logs here instead of only in the log file the demo names.")
    boolean verbose;

    @Option(names = "--console-port", defaultValue = "8088",
            description = "Port of the console (the read-only web page), or the next free one (default: ${DEFAULT-VALUE}).")
    int consolePort;

    @Option(names = "--keep-running", description = "After the demo, keep the stack and the console running until Ctrl-C, "
            + "to look around in the console and with the other commands.")
    boolean keepRunning;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        long started = System.nanoTime();
        Path data = dataDir != null ? dataDir : Files.createTempDirectory("statbridge-demo-");
        out.println("statbridge demo: starting the embedded stack in " + data + " ...");
        // the log outlives a temporary data directory, which the demo removes at the end
        Path log = dataDir != null ? data.resolve("statbridge.log") : data.resolveSibling(data.getFileName() + ".log");
        AutoCloseable logs = verbose ? () -> { } : LogFiles.divertTo(log);
        if (!verbose) {
            out.println("logs: " + log + " (--verbose shows them here)");
        }
        out.flush();
        try (logs; EmbeddedStack stack = EmbeddedStack.start(data, 9092, 8081, 5432, false, connection.resolveWithoutLocalEndpoints(),
                new SimpleMeterRegistry(), spec.commandLine().getErr());
                ConsoleServer console = ConsoleServer.start(ConsoleSettings.withFlags(stack.configuration(), consolePort, null))) {
            EmbeddedStack.Endpoints endpoints = stack.endpoints();
            out.println("READY kafka=" + endpoints.kafka() + " registry=" + endpoints.registry() + " jdbc=" + endpoints.jdbc()
                    + " console=" + console.url());
            DemoSample.Published counts = DemoSample.publish(stack);
            long expectedRows = counts.rows();
            out.printf(Locale.ROOT, "published %,d events: %,d v1 (legacy jobs), %,d v2 (migrated jobs), for %d jobs x %d slices x 30 days, "
                    + "and 2 bad records%n", counts.v1() + counts.v2(), counts.v1(), counts.v2(), DemoSample.JOBS.size(), DemoSample.SLICES.size());
            out.print("waiting for them to land in PostgreSQL ...");
            out.flush();
            try (Database database = Database.open(DatabaseConfig.from(stack.configuration()), "statbridge-demo")) {
                long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
                while (DemoTables.count(database, "SELECT count(*) FROM ml_monitoring.model_stats_daily_legacy") < expectedRows) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("the sample did not land within 2 minutes");
                    }
                    Thread.sleep(250);
                }
                Thread.sleep(1000);
                out.println(" done.");
                DemoTables.show(database, out);
                Verify.Report parity = new Verify(database.dataSource()).run(ParitySelection.all(), 3);
                out.printf(Locale.ROOT, "%nParity between the two shapes: %s — legacy %,d rows, rebuilt from the new tables %,d rows, "
                        + "missing %d / %d, differing %d%n", parity.counts().ok() ? "EQUAL" : "DIFFERENT", parity.counts().legacyRows(),
                        parity.counts().rebuiltRows(), parity.counts().missingInLegacy(), parity.counts().missingInNew(),
                        parity.counts().differing());
            }
            Map<String, Integer> dead = deadLetters(stack);
            long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
            // the sink sends its dead letters once their batch has committed
            while (dead.getOrDefault(statbridge.deadletter.Reasons.UNMAPPED_METRIC_KEY, 0) < 2 * DemoSample.MISSPELT_DAYS * DemoSample.SLICES.size()
                    && System.nanoTime() < deadline) {
                Thread.sleep(250);
                dead = deadLetters(stack);
            }
            out.println("Dead letters (model-stats.dlq): " + dead.values().stream().mapToInt(Integer::intValue).sum() + " " + dead
                    + " — nothing is dropped silently");
            showSilence(stack, out);
            out.printf(Locale.ROOT, "%nDone in %.0f s. Try next:%n", (System.nanoTime() - started) / 1e9);
            out.println("  ./statbridge up                          keep a stack running (data in ~/.statbridge/data)");
            out.println("  ./statbridge dual-write status           in another terminal: no flags needed");
            out.println("  ./statbridge publish --version v1 FILE   publish your own stats from CSV or JSON lines ('-' for stdin)");
            out.println("  ./statbridge verify                      parity between the shapes, as a report or --json");
            out.println("  ./statbridge dual-write off / on         switch the legacy table to a view and back, no gap");
            out.println("  ./statbridge catalog list                the metric catalog; catalog add/import change it");
            out.println("  ./statbridge catalog guide               the migration guide for dashboard owners");
            out.println("  ./statbridge series silent               the series gone silent, and why; series list shows them all");
            out.println("  ./statbridge demo --keep-running         and open the console: the migration, and both shapes' charts");
            if (keepRunning) {
                out.println();
                out.println("The stack and the console keep running: open " + console.url() + " (Ctrl-C stops them).");
                out.flush();
                CountDownLatch interrupted = new CountDownLatch(1);
                Runtime.getRuntime().addShutdownHook(new Thread(interrupted::countDown, "statbridge-demo-stop"));
                interrupted.await();
            }
            out.flush();
        } finally {
            if (dataDir == null) {
                deleteRecursively(data);
            }
        }
        return ExitCodes.OK;
    }

    private static Map<String, Integer> deadLetters(EmbeddedStack stack) {
        Map<String, Integer> dead = new TreeMap<>();
        TopicReader.readAll(CommonSettings.kafkaClientConfig(stack.configuration()), stack.configuration().get(CommonSettings.TOPIC_DLQ),
                Duration.ofSeconds(30), r -> dead.merge(String.valueOf(DeadLetter.header(r.headers(), DeadLetter.REASON)), 1, Integer::sum));
        return dead;
    }

    /** The silence the demo caused, as 'statbridge series silent' reports it. */
    private static void showSilence(EmbeddedStack stack, PrintWriter out) throws Exception {
        statbridge.tools.series.SilentSeries.Report report;
        try (Database database = Database.open(DatabaseConfig.from(stack.configuration()), "statbridge-demo")) {
            report = new statbridge.tools.series.SilentSeries(database.dataSource()).report(null,
                    statbridge.tools.series.SeriesSettings.rule(stack.configuration()));
        }
        statbridge.tools.series.DeadLetterEvidence evidence;
        try (statbridge.registry.SchemaRegistryClient registry = statbridge.registry.SchemaRegistryClients.create(
                RegistrySettings.clientConfig(stack.configuration()))) {
            evidence = statbridge.tools.series.DeadLetterEvidence.read(CommonSettings.kafkaClientConfig(stack.configuration()), registry,
                    stack.configuration().get(CommonSettings.TOPIC_DLQ), statbridge.cli.SilentSeriesText.since(report), Duration.ofSeconds(30));
        }
        out.println();
        out.println("A chart that went blank — " + DemoSample.SILENCED_MODEL + "'s job published " + DemoSample.SILENCED_METRIC + " as '" + DemoSample.MISSPELT_KEY
                + "' on the last " + DemoSample.MISSPELT_DAYS + " days ('statbridge series silent'):");
        statbridge.cli.SilentSeriesText.print(out, report, evidence);
        out.println("The fix: the job publishes '" + DemoSample.SILENCED_METRIC + "' again and re-sends those days. (Adding '" + DemoSample.MISSPELT_KEY
                + "' to the catalog and replaying the dead letters would move the series to that key instead: 'statbridge series silent' "
                + "then lists it as moved.)");
    }

    private static void deleteRecursively(Path root) {
        try (var paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (Exception ignored) {
            // a temporary directory
        }
    }
}

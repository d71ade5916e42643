package statbridge.embedded;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import statbridge.catalog.CatalogEntry;
import statbridge.catalog.MetricCatalog;
import statbridge.cli.ConnectionOptions;
import statbridge.logging.LogFiles;
import statbridge.cli.ExitCodes;
import statbridge.config.CommonSettings;
import statbridge.console.ConsoleServer;
import statbridge.console.ConsoleSettings;
import statbridge.deadletter.DeadLetter;
import statbridge.embedded.EmbeddedStack;
import statbridge.publish.StatPublisher;
import statbridge.sink.db.Database;
import statbridge.sink.db.DatabaseConfig;
import statbridge.sink.dualwrite.ParitySelection;
import statbridge.tools.migration.Verify;
import statbridge.topics.TopicReader;
import statbridge.v2.BusinessStat;
import statbridge.v2.MetricType;

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

    private record Job(String model, String version, int path, List<String> metrics) {
        // path: 0 = a legacy job (v1), 1 = a migrated job (v2), 2 = a job that migrates half-way and publishes both for a while
    }

    private static final List<Job> JOBS = List.of(
            new Job("IntentClassifier", "v4", 0, List.of("accuracy", "psi_country", "latency_p99_ms", "kpi_deflection_rate")),
            new Job("ChurnPredictor", "v3", 1, List.of("accuracy", "churn_rate", "psi_country", "auc_roc")),
            new Job("FraudScorer", "v2", 2, List.of("auc_roc", "precision", "recall", "ks_basket_value")),
            new Job("RecommenderRanker", "v7", 0, List.of("precision", "conversion_rate", "drift_embedding_cosine")));
    private static final List<String> SLICES = List.of("ALL", "country=PL", "country=DE", "device=mobile");
    /**
     * The silent series the demo causes on purpose, as in the seed thread: on its last two days,
     * ChurnPredictor's v2 job publishes its AUC as {@code AUC_roc}, a key the catalog lacks, so the
     * sink dead-letters those events and the auc_roc chart stops while the model's other metrics go on.
     */
    private static final String SILENCED_MODEL = "ChurnPredictor";
    private static final String SILENCED_METRIC = "auc_roc";
    private static final String MISSPELT_KEY = "AUC_roc";
    private static final int MISSPELT_DAYS = 2;
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
            Published counts = publish(stack);
            long expectedRows = counts.rows();
            out.printf(Locale.ROOT, "published %,d events: %,d v1 (legacy jobs), %,d v2 (migrated jobs), for %d jobs x %d slices x 30 days, "
                    + "and 2 bad records%n", counts.v1() + counts.v2(), counts.v1(), counts.v2(), JOBS.size(), SLICES.size());
            out.print("waiting for them to land in PostgreSQL ...");
            out.flush();
            try (Database database = Database.open(DatabaseConfig.from(stack.configuration()), "statbridge-demo")) {
                long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
                while (count(database, "SELECT count(*) FROM ml_monitoring.model_stats_daily_legacy") < expectedRows) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("the sample did not land within 2 minutes");
                    }
                    Thread.sleep(250);
                }
                Thread.sleep(1000);
                out.println(" done.");
                show(database, out);
                Verify.Report parity = new Verify(database.dataSource()).run(ParitySelection.all(), 3);
                out.printf(Locale.ROOT, "%nParity between the two shapes: %s — legacy %,d rows, rebuilt from the new tables %,d rows, "
                        + "missing %d / %d, differing %d%n", parity.counts().ok() ? "EQUAL" : "DIFFERENT", parity.counts().legacyRows(),
                        parity.counts().rebuiltRows(), parity.counts().missingInLegacy(), parity.counts().missingInNew(),
                        parity.counts().differing());
            }
            Map<String, Integer> dead = deadLetters(stack);
            long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
            // the sink sends its dead letters once their batch has committed
            while (dead.getOrDefault(statbridge.deadletter.Reasons.UNMAPPED_METRIC_KEY, 0) < 2 * MISSPELT_DAYS * SLICES.size()
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
                stack.configuration().registryClientConfig())) {
            evidence = statbridge.tools.series.DeadLetterEvidence.read(CommonSettings.kafkaClientConfig(stack.configuration()), registry,
                    stack.configuration().get(CommonSettings.TOPIC_DLQ), statbridge.cli.SilentSeriesText.since(report), Duration.ofSeconds(30));
        }
        out.println();
        out.println("A chart that went blank — " + SILENCED_MODEL + "'s job published " + SILENCED_METRIC + " as '" + MISSPELT_KEY
                + "' on the last " + MISSPELT_DAYS + " days ('statbridge series silent'):");
        statbridge.cli.SilentSeriesText.print(out, report, evidence);
        out.println("The fix: the job publishes '" + SILENCED_METRIC + "' again and re-sends those days. (Adding '" + MISSPELT_KEY
                + "' to the catalog and replaying the dead letters would move the series to that key instead: 'statbridge series silent' "
                + "then lists it as moved.)");
    }

    /** What the demo published: v1 events, v2 events, and the distinct rows they make. */
    private record Published(int v1, int v2, int rows) {
    }

    /** Publishes the sample. */
    private static Published publish(EmbeddedStack stack) throws Exception {
        Map<String, Object> producer = Map.of("bootstrap.servers", stack.endpoints().kafka());
        MetricCatalog catalog = MetricCatalog.of(EmbeddedStack.seedCatalog());
        int v1 = 0;
        int v2 = 0;
        LocalDate today = LocalDate.now();
        try (StatPublisher publisher = StatPublisher.create(producer, stack.configuration().registryClientConfig(), Map.of())) {
            for (Job job : JOBS) {
                for (int day = 30; day >= 1; day--) {
                    LocalDate date = today.minusDays(day);
                    int age = 30 - day;
                    for (String slice : SLICES) {
                        double sliceShift = SLICES.indexOf(slice) * 0.01;
                        for (String metric : job.metrics()) {
                            CatalogEntry entry = catalog.byName(metric).orElseThrow();
                            double value = value(metric, age, sliceShift);
                            Double kpi = entry.metricType() == MetricType.BUSINESS ? Math.round((1200 - age * 9 + sliceShift * 500) * 100) / 100.0 : null;
                            boolean viaV1 = job.path() == 0 || (job.path() == 2 && age < 20);
                            boolean viaV2 = job.path() == 1 || (job.path() == 2 && age >= 17);
                            if (viaV1) {
                                publisher.publish(new statbridge.v1.ModelStat(job.model(), job.version(), date, slice, metric, value, kpi));
                                v1++;
                            }
                            if (viaV2) {
                                boolean misspelt = job.model().equals(SILENCED_MODEL) && metric.equals(SILENCED_METRIC) && day <= MISSPELT_DAYS;
                                String key = misspelt ? MISSPELT_KEY : entry.metricKey();
                                publisher.publish(new statbridge.v2.ModelStat(job.model(), job.version(), date, slice,
                                        entry.metricType(), key, value));
                                publisher.publish(new BusinessStat(job.model(), job.version(), date, slice, entry.metricType(),
                                        key, kpi));
                                v2 += 2;
                            }
                        }
                    }
                }
            }
            publisher.flush();
        }
        Map<String, Object> raw = Map.of("bootstrap.servers", stack.endpoints().kafka(),
                "key.serializer", ByteArraySerializer.class.getName(), "value.serializer", ByteArraySerializer.class.getName());
        try (KafkaProducer<byte[], byte[]> bad = new KafkaProducer<>(raw)) {
            String v1Topic = stack.configuration().get(CommonSettings.TOPIC_V1);
            bad.send(new ProducerRecord<>(v1Topic, "IntentClassifier/v4/?/ALL".getBytes(StandardCharsets.UTF_8),
                    "{\"metric_name\": \"accuracy\", \"metric_value\": 0.9}".getBytes(StandardCharsets.UTF_8)));
            bad.send(new ProducerRecord<>(v1Topic, null, new byte[] {0, 0, 0, 0x7f, 0x7f, 1, 2}));
            bad.flush();
        }
        int rows = JOBS.stream().mapToInt(j -> j.metrics().size()).sum() * SLICES.size() * 30 - MISSPELT_DAYS * SLICES.size();
        return new Published(v1, v2, rows);
    }

    private static double value(String metric, int age, double shift) {
        double v = switch (metric) {
            case "accuracy" -> 0.935 - age * 0.0018 - shift;
            case "psi_country" -> 0.04 + age * 0.006 + shift;
            case "latency_p99_ms" -> 180 + age * 1.5;
            case "kpi_deflection_rate", "conversion_rate" -> 0.31 - age * 0.001 + shift;
            case "churn_rate" -> 0.052 + age * 0.0004 + shift / 10;
            case "auc_roc" -> 0.91 - age * 0.001;
            case "precision" -> 0.88 - age * 0.0012 + shift;
            case "recall" -> 0.79 + shift;
            default -> 0.08 + age * 0.003 + shift;
        };
        return Math.round(v * 10_000) / 10_000.0;
    }

    /** A dashboard's rows in the legacy shape: the table (or view) old dashboards read, filtered by {@code where}. */
    private static final String LEGACY_SHAPE = """
            SELECT stat_date, metric_name, metric_value, business_metric_value FROM ml_monitoring.model_stats_daily_legacy
            WHERE %s ORDER BY 1, 2
            """;
    /** The same rows in the new shape: the stats with their KPI joined, filtered by {@code where} (on {@code s}). */
    private static final String NEW_SHAPE = """
            SELECT s.stat_date, s.metric_type, s.metric_key, s.metric_value, b.business_metric_value
            FROM ml_monitoring.model_stats_daily s LEFT JOIN ml_monitoring.model_business_stats_daily b
              ON b.model_name = s.model_name AND b.model_version = s.model_version AND b.stat_date = s.stat_date
             AND b.slice_key = s.slice_key AND b.metric_type = s.metric_type AND b.metric_key = s.metric_key
            WHERE %s ORDER BY 1, 2, 3
            """;

    private static void show(Database database, PrintWriter out) throws Exception {
        out.println();
        out.println("The legacy shape, as old dashboards read it — model_stats_daily_legacy, IntentClassifier v4, slice ALL, last 2 days:");
        table(database, out, LEGACY_SHAPE.formatted("model_name = 'IntentClassifier' AND slice_key = 'ALL' AND stat_date >= current_date - 2"));
        out.println();
        out.println("The new shape — model_stats_daily joined with model_business_stats_daily, the same rows:");
        table(database, out, NEW_SHAPE.formatted("s.model_name = 'IntentClassifier' AND s.slice_key = 'ALL' AND s.stat_date >= current_date - 2"));
        out.println();
        out.println("ChurnPredictor v3's churn rate with its KPI, the other broken dashboard — legacy shape, slice ALL, last 3 days:");
        table(database, out, LEGACY_SHAPE.formatted("model_name = 'ChurnPredictor' AND model_version = 'v3' AND metric_name = 'churn_rate' "
                + "AND slice_key = 'ALL' AND stat_date >= current_date - 3"));
        out.println();
        out.println("... and the same facts in the new shape, the KPI from model_business_stats_daily:");
        table(database, out, NEW_SHAPE.formatted("s.model_name = 'ChurnPredictor' AND s.model_version = 'v3' AND s.metric_type = 'BUSINESS' "
                + "AND s.metric_key = 'churn_rate' AND s.slice_key = 'ALL' AND s.stat_date >= current_date - 3"));
    }

    private static void table(Database database, PrintWriter out, String sql) throws Exception {
        List<String[]> rows = new ArrayList<>();
        String[] header;
        try (Connection connection = database.dataSource().getConnection();
                PreparedStatement query = connection.prepareStatement(sql); ResultSet result = query.executeQuery()) {
            ResultSetMetaData meta = result.getMetaData();
            header = new String[meta.getColumnCount()];
            for (int c = 0; c < header.length; c++) {
                header[c] = meta.getColumnLabel(c + 1);
            }
            while (result.next()) {
                String[] row = new String[header.length];
                for (int c = 0; c < header.length; c++) {
                    row[c] = String.valueOf(result.getString(c + 1));
                }
                rows.add(row);
            }
            connection.rollback();
        }
        int[] widths = new int[header.length];
        for (int c = 0; c < header.length; c++) {
            final int column = c;
            widths[c] = Math.max(header[c].length(), rows.stream().map(r -> r[column].length()).max(Comparator.naturalOrder()).orElse(0));
        }
        StringBuilder format = new StringBuilder("  ");
        for (int width : widths) {
            format.append("%-").append(width).append("s  ");
        }
        out.println(String.format(Locale.ROOT, format.toString(), (Object[]) header).stripTrailing());
        rows.forEach(row -> out.println(String.format(Locale.ROOT, format.toString(), (Object[]) row).stripTrailing()));
    }

    private static long count(Database database, String sql) throws Exception {
        try (Connection connection = database.dataSource().getConnection();
                PreparedStatement query = connection.prepareStatement(sql); ResultSet result = query.executeQuery()) {
            result.next();
            long value = result.getLong(1);
            connection.rollback();
            return value;
        }
    }

    private static void deleteRecursively(Path root) {
        try (var paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (Exception ignored) {
            // a temporary directory
        }
    }
}

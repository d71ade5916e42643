package statbridge.cli;

import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import statbridge.catalog.CatalogConflictException;
import statbridge.catalog.CatalogEntry;
import statbridge.contract.CsvLine;
import statbridge.catalog.CatalogFile;
import statbridge.catalog.CatalogTopic;
import statbridge.config.CommonSettings;
import statbridge.config.Configuration;
import statbridge.contract.MetricTypes;
import statbridge.sink.catalog.CatalogTable;
import statbridge.sink.db.Database;
import statbridge.sink.db.DatabaseConfig;
import statbridge.tools.migration.MigrationGuide;
import statbridge.topics.TopicCreator;
import statbridge.v2.MetricType;

/**
 * {@code statbridge catalog list|add|import|guide}: the metric catalog for people. The catalog
 * lives in the compacted {@code metric-catalog} topic; the pipeline and the sink follow it live.
 */
@Command(name = "catalog", mixinStandardHelpOptions = true,
        description = "Read and change the metric catalog (metric_name <-> (metric_type, metric_key), kept bijective), "
                + "and write the migration guide for dashboard owners.",
        subcommands = {CatalogCommand.ListEntries.class, CatalogCommand.Add.class, CatalogCommand.Import.class,
            CatalogCommand.Guide.class})
final class CatalogCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "Lists the catalog as the metric-catalog topic holds it now: name, type, key and origin "
                    + "(SEED, MANUAL or INFERRED by the pipeline), and per metric how many models publish it and over which "
                    + "stat_dates (from ml_monitoring.metric_series).")
    static final class ListEntries implements Callable<Integer> {
        @Mixin
        ConnectionOptions connection;

        @Option(names = "--type", paramLabel = "TYPE", description = "Only this metric_type (ONLINE, BUSINESS, DRIFT).")
        MetricType type;

        @Option(names = "--csv", description = "Print a catalog file (metric_name,metric_type,metric_key) that "
                + "'catalog import' reads.")
        boolean csv;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            Configuration config = connection.resolve();
            List<CatalogEntry> entries = topic(config).read().entries().stream()
                    .filter(e -> type == null || e.metricType() == type)
                    .sorted(Comparator.comparing(CatalogEntry::metricName)).toList();
            if (csv) {
                out.println(CsvLine.render("metric_name", "metric_type", "metric_key"));
                entries.forEach(e -> out.println(CsvLine.render(e.metricName(), e.metricType().name(), e.metricKey())));
            } else {
                int width = Math.max(11, entries.stream().mapToInt(e -> e.metricName().length()).max().orElse(0));
                int keyWidth = Math.max(10, entries.stream().mapToInt(e -> e.metricKey().length()).max().orElse(0));
                java.util.Map<String, statbridge.tools.series.MetricSeriesReader.Usage> usage = usage(config, spec.commandLine().getErr());
                String row = "%-" + width + "s  %-8s  %-" + keyWidth + "s  %-8s  %6s  %s%n";
                out.printf(Locale.ROOT, row, "metric_name", "type", "metric_key", "origin", "models", "stat_dates");
                entries.forEach(e -> {
                    statbridge.tools.series.MetricSeriesReader.Usage used = usage == null ? null : usage.get(e.metricType() + "/" + e.metricKey());
                    out.printf(Locale.ROOT, row, e.metricName(), e.metricType(), e.metricKey(), e.origin().name().toLowerCase(Locale.ROOT),
                            usage == null ? "?" : used == null ? "0" : String.valueOf(used.models()),
                            used == null ? "-" : used.firstDate() + " .. " + used.lastDate());
                });
                out.printf(Locale.ROOT, "%,d entr%s%s%n", entries.size(), entries.size() == 1 ? "y" : "ies",
                        type == null ? "" : " of type " + type);
            }
            out.flush();
            return ExitCodes.OK;
        }
    }

    /**
     * Per metric, the models that publish it and their dates, from metric_series (never the stat
     * tables); null, with a warning, when the database cannot be read.
     */
    static java.util.Map<String, statbridge.tools.series.MetricSeriesReader.Usage> usage(Configuration config, PrintWriter err) {
        try (statbridge.sink.db.Database database = statbridge.sink.db.Database.open(statbridge.sink.db.DatabaseConfig.from(config),
                "statbridge-catalog")) {
            return new statbridge.tools.series.MetricSeriesReader(database.dataSource()).usage();
        } catch (java.sql.SQLException | RuntimeException e) {
            err.println("warning: no models or dates per metric: ml_monitoring.metric_series could not be read (" + e.getMessage() + ")");
            return null;
        }
    }

    @Command(name = "add", mixinStandardHelpOptions = true,
            description = "Adds one mapping. Refused (exit 2, nothing written) when the name is already mapped to another "
                    + "pair or the pair already belongs to another name; adding an existing mapping again changes nothing.",
            footer = {"", "Example:", "  statbridge catalog add f1_score ONLINE f1_score"})
    static final class Add implements Callable<Integer> {
        @Mixin
        ConnectionOptions connection;

        @Parameters(index = "0", paramLabel = "METRIC_NAME", description = "The legacy (v1) metric_name.")
        String metricName;

        @Parameters(index = "1", paramLabel = "METRIC_TYPE", description = "ONLINE, BUSINESS or DRIFT.")
        String metricType;

        @Parameters(index = "2", paramLabel = "METRIC_KEY", description = "The v2 metric_key.")
        String metricKey;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            CatalogEntry entry;
            try {
                entry = CatalogEntry.of(metricName, parseType(metricType), metricKey);
            } catch (IllegalArgumentException e) {
                throw new BadInputException(e.getMessage());
            }
            return change(connection.resolve(), List.of(entry), false, spec.commandLine().getOut());
        }
    }

    @Command(name = "import", mixinStandardHelpOptions = true,
            description = "Adds every mapping of a catalog file (CSV with the header metric_name,metric_type,metric_key; "
                    + "'#' comments). All or nothing: a file with any bad line or any entry that conflicts with the catalog "
                    + "writes nothing (exit 2) and names every problem. Entries already present are skipped.")
    static final class Import implements Callable<Integer> {
        @Mixin
        ConnectionOptions connection;

        @Parameters(index = "0", paramLabel = "FILE", description = "The catalog file, or '-' for standard input.")
        String file;

        @Option(names = "--dry-run", description = "Check the file against the catalog; write nothing.")
        boolean dryRun;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            List<CatalogEntry> entries;
            try (Reader reader = file.equals("-") ? new InputStreamReader(System.in, StandardCharsets.UTF_8)
                    : Files.newBufferedReader(Path.of(file), StandardCharsets.UTF_8)) {
                entries = CatalogFile.read(reader, file, CatalogEntry.Origin.MANUAL);
            } catch (java.nio.file.NoSuchFileException e) {
                throw new BadInputException("no such file: " + file);
            } catch (java.nio.charset.MalformedInputException e) {
                throw new BadInputException(file + ": not valid UTF-8");
            } catch (CatalogFile.BadCatalogFileException e) {
                throw new BadInputException(e.getMessage() + "\nnothing was imported");
            }
            return change(connection.resolve(), entries, dryRun, spec.commandLine().getOut());
        }
    }

    private static MetricType parseType(String text) {
        try {
            return MetricTypes.parse(text);
        } catch (IllegalArgumentException e) {
            throw new BadInputException(e.getMessage());
        }
    }

    private static CatalogTopic topic(Configuration config) {
        return new CatalogTopic(CommonSettings.kafkaClientConfig(config), config.get(CommonSettings.TOPIC_CATALOG));
    }

    private static int change(Configuration config, List<CatalogEntry> entries, boolean dryRun, PrintWriter out) {
        String topicName = config.get(CommonSettings.TOPIC_CATALOG);
        CatalogTopic topic = topic(config);
        List<CatalogEntry> added;
        try {
            if (dryRun) {
                added = topic.read().missing(entries);
            } else {
                TopicCreator.ensure(CommonSettings.kafkaClientConfig(config),
                        List.of(new TopicCreator.Spec(topicName, TopicCreator.COMPACTED)), 1, (short) -1);
                added = topic.add(entries);
            }
        } catch (CatalogConflictException e) {
            throw new BadInputException("refused, the catalog must stay one-to-one: " + e.getMessage() + "; nothing was written");
        }
        for (CatalogEntry entry : added) {
            out.printf(Locale.ROOT, "%s %s -> (%s, %s)%n", dryRun ? "would add" : "added", entry.metricName(), entry.metricType(),
                    entry.metricKey());
        }
        out.printf(Locale.ROOT, "%s %d entr%s to %s; %d already present%n", dryRun ? "would add" : "added", added.size(),
                added.size() == 1 ? "y" : "ies", topicName, entries.size() - added.size());
        out.flush();
        return ExitCodes.OK;
    }

    @Command(name = "guide", mixinStandardHelpOptions = true,
            description = "Writes the migration guide for dashboard owners (Markdown): every legacy metric_name with its "
                    + "(metric_type, metric_key), and for each the old query and the rewritten query on the new tables.")
    static final class Guide implements Callable<Integer> {
        @Mixin
        ConnectionOptions connection;

        @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Write to FILE instead of standard output.")
        Path output;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            String guide;
            try (Database database = Database.open(DatabaseConfig.from(connection.resolve()), "statbridge-catalog");
                    Connection db = database.dataSource().getConnection()) {
                guide = MigrationGuide.render(CatalogTable.all(db));
                db.rollback();
            }
            if (output == null) {
                spec.commandLine().getOut().print(guide);
                spec.commandLine().getOut().flush();
            } else {
                Files.writeString(output, guide, StandardCharsets.UTF_8);
                spec.commandLine().getOut().println("wrote the migration guide to " + output);
            }
            return ExitCodes.OK;
        }
    }
}

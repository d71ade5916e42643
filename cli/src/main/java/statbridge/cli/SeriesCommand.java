package statbridge.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;
import statbridge.config.CommonSettings;
import statbridge.config.Configuration;
import statbridge.registry.RegistrySettings;
import statbridge.registry.SchemaRegistryClient;
import statbridge.registry.SchemaRegistryClients;
import statbridge.sink.db.Database;
import statbridge.sink.db.DatabaseConfig;
import statbridge.tools.migration.Backfill;
import statbridge.tools.series.DeadLetterEvidence;
import statbridge.tools.series.MetricSeriesReader;
import statbridge.tools.series.SeriesRebuild;
import statbridge.tools.series.SeriesSettings;
import statbridge.tools.series.SilentSeries;

/** {@code statbridge series list|silent|rebuild}: the metric series the sink keeps beside the data. */
@Command(name = "series", mixinStandardHelpOptions = true,
        description = "The metric series (model, version, metric type and key) as ml_monitoring.metric_series holds them: "
                + "rows, dates, values, slices and how they last came; the series gone silent, explained by their dead letters; "
                + "and the rebuild of the table from the stat rows.",
        subcommands = {SeriesCommand.ListSeries.class, SeriesCommand.Silent.class, SeriesCommand.Rebuild.class})
final class SeriesCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    private static ObjectMapper json() {
        return new ObjectMapper().findAndRegisterModules().disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
                .enable(SerializationFeature.INDENT_OUTPUT);
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "Lists the series: rows (all slices), first and last stat_date, least and greatest metric_value, "
                    + "slices, when last written and by which path (v1 upcast by the pipeline, v2 published as v2).")
    static final class ListSeries implements Callable<Integer> {
        @Mixin
        ConnectionOptions connection;

        @Option(names = "--model", paramLabel = "NAME", description = "Only this model_name.")
        String model;

        @Option(names = "--json", description = "Print them as JSON.")
        boolean asJson;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            Configuration config = connection.resolve();
            try (Database database = Database.open(DatabaseConfig.from(config), "statbridge-series")) {
                List<MetricSeriesReader.Row> rows = new MetricSeriesReader(database.dataSource()).list(model);
                if (asJson) {
                    List<Map<String, Object>> document = new ArrayList<>();
                    for (MetricSeriesReader.Row r : rows) {
                        Map<String, Object> row = new LinkedHashMap<>();
                        row.put("model_name", r.series().modelName());
                        row.put("model_version", r.series().modelVersion());
                        row.put("metric_type", r.series().metricType());
                        row.put("metric_key", r.series().metricKey());
                        row.put("rows", r.rows());
                        row.put("first_date", r.firstDate().toString());
                        row.put("last_date", r.lastDate().toString());
                        row.put("min_value", r.minValue());
                        row.put("max_value", r.maxValue());
                        row.put("slices", r.slices());
                        row.put("last_written_at", r.lastWrittenAt().toString());
                        row.put("last_path", r.lastPath());
                        document.add(row);
                    }
                    out.println(json().writeValueAsString(document));
                } else {
                    String format = "%-24s %-8s %-8s %-24s %10s  %-10s  %-10s  %12s  %12s  %6s  %-4s%n";
                    out.printf(Locale.ROOT, format, "model_name", "version", "type", "metric_key", "rows", "first_date", "last_date",
                            "min_value", "max_value", "slices", "path");
                    for (MetricSeriesReader.Row r : rows) {
                        out.printf(Locale.ROOT, format, r.series().modelName(), r.series().modelVersion(), r.series().metricType(),
                                r.series().metricKey(), String.format(Locale.ROOT, "%,d", r.rows()), r.firstDate(), r.lastDate(),
                                number(r.minValue()), number(r.maxValue()), r.slices(), r.lastPath() == null ? "-" : r.lastPath());
                    }
                    out.printf(Locale.ROOT, "%,d series%s%n", rows.size(), model == null ? "" : " of " + model);
                    if (rows.isEmpty()) {
                        out.println("(none yet: the sink fills ml_monitoring.metric_series as it writes; for history written before, "
                                + "or by backfill or import, run 'statbridge series rebuild')");
                    }
                }
            }
            out.flush();
            return ExitCodes.OK;
        }
    }

    static String number(double value) {
        return String.format(Locale.ROOT, "%.6g", value);
    }

    @Command(name = "silent", mixinStandardHelpOptions = true,
            description = "Lists the series gone silent: published on most days of a recent window, then nothing for the last "
                    + "days while other series of the same model still arrive; a model whose series all stopped is one entry. "
                    + "Each comes with what explains it: the model's dead letters since, by reason with an example, the path "
                    + "that last wrote it, and the catalog entries added since.",
            footer = {"", "Example: a v2 job publishing 'Accuracy' instead of 'accuracy':",
                "  IntentClassifier v4  ONLINE/accuracy  silent since 2026-11-30 ...",
                "    dead letters: unmapped-metric-key x96 since 2026-11-30T06:00:00Z, e.g. (ONLINE, Accuracy)"})
    static final class Silent implements Callable<Integer> {
        @Mixin
        ConnectionOptions connection;

        @Option(names = "--as-of", paramLabel = "DATE", description = "The day to judge from (YYYY-MM-DD; default: today in PostgreSQL).")
        String asOf;

        @Option(names = "--window-days", paramLabel = "N", description = "Override series.silent.window.days.")
        Integer windowDays;

        @Option(names = "--min-days", paramLabel = "N", description = "Override series.silent.min.days.")
        Integer minDays;

        @Option(names = "--after-days", paramLabel = "N", description = "Override series.silent.after.days.")
        Integer afterDays;

        @Option(names = "--no-dead-letters", description = "Do not read the dead-letter topic (only the database).")
        boolean noDeadLetters;

        @Option(names = "--json", description = "Print the report as JSON.")
        boolean asJson;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            Configuration config = connection.resolve();
            SilentSeries.Rule configured = SeriesSettings.rule(config);
            SilentSeries.Rule rule;
            try {
                rule = new SilentSeries.Rule(windowDays != null ? windowDays : configured.windowDays(),
                        minDays != null ? minDays : configured.minDays(), afterDays != null ? afterDays : configured.afterDays());
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
            }
            LocalDate day = null;
            if (asOf != null) {
                try {
                    day = LocalDate.parse(asOf.trim());
                } catch (DateTimeParseException e) {
                    throw new CommandLine.ParameterException(spec.commandLine(), "--as-of must be a date such as 2026-12-01, not '" + asOf + "'");
                }
            }
            SilentSeries.Report report;
            try (Database database = Database.open(DatabaseConfig.from(config), "statbridge-series")) {
                report = new SilentSeries(database.dataSource()).report(day, rule);
            }
            DeadLetterEvidence evidence = null;
            if (!report.isEmpty() && !noDeadLetters) {
                try (SchemaRegistryClient registry = SchemaRegistryClients.create(RegistrySettings.clientConfig(config))) {
                    evidence = DeadLetterEvidence.read(CommonSettings.kafkaClientConfig(config), registry, config.get(CommonSettings.TOPIC_DLQ),
                            SilentSeriesText.since(report), Duration.ofSeconds(60));
                } catch (RuntimeException e) {
                    err.println("warning: could not read the dead-letter topic " + config.get(CommonSettings.TOPIC_DLQ) + " (" + e.getMessage()
                            + "); showing the silence without its dead letters");
                }
            }
            if (asJson) {
                out.println(json().writeValueAsString(SilentSeriesText.document(report, evidence)));
            } else {
                SilentSeriesText.print(out, report, evidence);
            }
            out.flush();
            return ExitCodes.OK;
        }

    }

    @Command(name = "rebuild", mixinStandardHelpOptions = true,
            description = "Computes ml_monitoring.metric_series from the stat rows, month by month, for history written before it "
                    + "existed or by backfill and import. Safe while the sink writes (each month waits for the sink's batches of "
                    + "that month and holds new ones back until it is replaced); resumable after a crash or a kill (a rerun "
                    + "carries on with the months not done); running it again gives the same table.")
    static final class Rebuild implements Callable<Integer> {
        @Mixin
        ConnectionOptions connection;

        @Option(names = "--parallel", paramLabel = "N", defaultValue = "2",
                description = "Months rebuilt side by side, one connection each (default: ${DEFAULT-VALUE}).")
        int parallel;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            if (parallel < 1 || parallel > 16) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--parallel must be between 1 and 16, not " + parallel);
            }
            PrintWriter out = spec.commandLine().getOut();
            Configuration config = connection.resolve();
            try (Database database = Database.open(DatabaseConfig.from(config), "statbridge-series")) {
                ProgressReporter progress = new ProgressReporter(spec.commandLine().getErr(), ProgressReporter.isTerminal());
                SeriesRebuild.Result result = new SeriesRebuild(database.dataSource()).run(parallel,
                        p -> progress.accept(new Backfill.Progress(p.read(), p.read(), 0, p.total())));
                progress.done();
                double seconds = Math.max(result.seconds(), 0.001);
                out.printf(Locale.ROOT, "rebuilt %d month(s)%s: %,d stat rows into %,d series-month rows in %s (%,.0f rows/s)%n",
                        result.months(), result.resumed() ? " (carrying on an interrupted run: " + result.monthsSkipped() + " already done)" : "",
                        result.rows(), result.series(), ProgressReporter.format(Duration.ofMillis((long) (seconds * 1000))),
                        result.rows() / seconds);
            }
            out.flush();
            return ExitCodes.OK;
        }
    }
}

package statbridge.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
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
import statbridge.registry.SchemaRegistryClient;
import statbridge.registry.SchemaRegistryClients;
import statbridge.sink.db.Database;
import statbridge.sink.db.DatabaseConfig;
import statbridge.sink.migration.Backfill;
import statbridge.sink.series.DeadLetterEvidence;
import statbridge.sink.series.MetricSeriesReader;
import statbridge.sink.series.SeriesRebuild;
import statbridge.sink.series.SeriesSettings;
import statbridge.sink.series.SilentSeries;

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
                try (SchemaRegistryClient registry = SchemaRegistryClients.create(config.registryClientConfig())) {
                    evidence = DeadLetterEvidence.read(CommonSettings.kafkaClientConfig(config), registry, config.get(CommonSettings.TOPIC_DLQ),
                            since(report), Duration.ofSeconds(60));
                } catch (RuntimeException e) {
                    err.println("warning: could not read the dead-letter topic " + config.get(CommonSettings.TOPIC_DLQ) + " (" + e.getMessage()
                            + "); showing the silence without its dead letters");
                }
            }
            if (asJson) {
                out.println(json().writeValueAsString(document(report, evidence)));
            } else {
                print(out, report, evidence);
            }
            out.flush();
            return ExitCodes.OK;
        }

        /** From the start of the earliest silence (or its last write, if earlier), an hour's margin for clocks. */
        static Instant since(SilentSeries.Report report) {
            Instant since = Instant.MAX;
            for (SilentSeries.Silent s : report.series()) {
                since = min(since, min(s.lastWrittenAt(), s.silentSince().atStartOfDay(ZoneOffset.UTC).toInstant()));
            }
            for (SilentSeries.SilentModel m : report.models()) {
                since = min(since, min(m.lastWrittenAt(), m.silentSince().atStartOfDay(ZoneOffset.UTC).toInstant()));
            }
            return since.minus(Duration.ofHours(1));
        }

        private static Instant min(Instant a, Instant b) {
            return a.isBefore(b) ? a : b;
        }

        static void print(PrintWriter out, SilentSeries.Report report, DeadLetterEvidence evidence) {
            SilentSeries.Rule rule = report.rule();
            out.printf(Locale.ROOT, "%d silent series, %d silent model%s%s (as of %s: published on >= %d of the last %d days, nothing "
                    + "for the last %d)%n", report.series().size(), report.models().size(), report.models().size() == 1 ? "" : "s",
                    report.moved().isEmpty() ? "" : ", " + report.moved().size() + " moved to another key", report.day(),
                    rule.minDays(), rule.windowDays(), rule.afterDays());
            for (SilentSeries.Silent s : report.series()) {
                out.println();
                out.printf(Locale.ROOT, "%s %s  %s/%s  silent since %s (rows on %d of the %d days before; last path %s, last written %s)%n",
                        s.series().modelName(), s.series().modelVersion(), s.series().metricType(), s.series().metricKey(), s.silentSince(),
                        s.daysInWindow(), rule.windowDays(), s.lastPath() == null ? "unknown" : s.lastPath(), s.lastWrittenAt());
                explain(out, evidence, s.series().modelName(), s.series().modelVersion(), s.series().metricKey(), s.catalogChanges());
            }
            for (SilentSeries.SilentModel m : report.models()) {
                out.println();
                out.printf(Locale.ROOT, "model %s %s: all %d of its series silent since %s (last written %s)%n", m.modelName(),
                        m.modelVersion(), m.series(), m.silentSince(), m.lastWrittenAt());
                explain(out, evidence, m.modelName(), m.modelVersion(), null, m.catalogChanges());
            }
            for (SilentSeries.Moved moved : report.moved()) {
                SilentSeries.Silent s = moved.from();
                out.println();
                out.printf(Locale.ROOT, "%s %s  %s/%s  moved to %s/%s from %s: its rows arrive under the other key (and that key's "
                        + "metric_name), so a chart of %s/%s is empty after %s; publish the old key again, or move the chart%n",
                        s.series().modelName(), s.series().modelVersion(), s.series().metricType(), s.series().metricKey(),
                        moved.to().metricType(), moved.to().metricKey(), moved.toFirstDate(), s.series().metricType(),
                        s.series().metricKey(), s.lastDate());
            }
        }

        private static void explain(PrintWriter out, DeadLetterEvidence evidence, String model, String version, String metricKey,
                List<SilentSeries.CatalogChange> catalog) {
            if (evidence == null) {
                out.println("  dead letters: not read");
            } else {
                List<DeadLetterEvidence.Group> groups = evidence.of(model, version);
                if (groups.isEmpty()) {
                    out.println("  dead letters: none for " + model + " " + version + " since (the job may have stopped publishing)");
                }
                for (DeadLetterEvidence.Group g : groups) {
                    out.printf(Locale.ROOT, "  dead letters: %s x%,d since %s, e.g. %s%n", g.reason(), g.count(), g.first(),
                            g.exampleFor(metricKey));
                }
                if (!groups.isEmpty()) {
                    out.println("    see: statbridge dlq list --reason " + groups.get(0).reason() + "; after the fix: statbridge dlq replay --reason "
                            + groups.get(0).reason());
                }
            }
            out.println("  catalog since: " + (catalog.isEmpty() ? "no change" : String.join(", ", catalog.stream()
                    .map(c -> c.metricName() + " -> (" + c.metricType() + ", " + c.metricKey() + ") added " + c.addedAt()).toList())));
        }

        static Map<String, Object> document(SilentSeries.Report report, DeadLetterEvidence evidence) {
            Map<String, Object> document = new LinkedHashMap<>();
            document.put("as_of", report.day().toString());
            document.put("rule", Map.of("window_days", report.rule().windowDays(), "min_days", report.rule().minDays(),
                    "after_days", report.rule().afterDays()));
            List<Map<String, Object>> series = new ArrayList<>();
            for (SilentSeries.Silent s : report.series()) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("model_name", s.series().modelName());
                row.put("model_version", s.series().modelVersion());
                row.put("metric_type", s.series().metricType());
                row.put("metric_key", s.series().metricKey());
                row.put("last_date", s.lastDate().toString());
                row.put("silent_since", s.silentSince().toString());
                row.put("days_in_window", s.daysInWindow());
                row.put("last_written_at", s.lastWrittenAt().toString());
                row.put("last_path", s.lastPath());
                row.put("dead_letters", deadLetters(evidence, s.series().modelName(), s.series().modelVersion(), s.series().metricKey()));
                row.put("catalog_changes", catalog(s.catalogChanges()));
                series.add(row);
            }
            document.put("series", series);
            List<Map<String, Object>> models = new ArrayList<>();
            for (SilentSeries.SilentModel m : report.models()) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("model_name", m.modelName());
                row.put("model_version", m.modelVersion());
                row.put("series", m.series());
                row.put("last_date", m.lastDate().toString());
                row.put("silent_since", m.silentSince().toString());
                row.put("last_written_at", m.lastWrittenAt().toString());
                row.put("dead_letters", deadLetters(evidence, m.modelName(), m.modelVersion(), null));
                row.put("catalog_changes", catalog(m.catalogChanges()));
                models.add(row);
            }
            document.put("models", models);
            List<Map<String, Object>> moved = new ArrayList<>();
            for (SilentSeries.Moved m : report.moved()) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("model_name", m.from().series().modelName());
                row.put("model_version", m.from().series().modelVersion());
                row.put("metric_type", m.from().series().metricType());
                row.put("metric_key", m.from().series().metricKey());
                row.put("last_date", m.from().lastDate().toString());
                row.put("to_metric_key", m.to().metricKey());
                row.put("to_first_date", m.toFirstDate().toString());
                moved.add(row);
            }
            document.put("moved", moved);
            return document;
        }

        private static Object deadLetters(DeadLetterEvidence evidence, String model, String version, String metricKey) {
            if (evidence == null) {
                return null;
            }
            List<Map<String, Object>> groups = new ArrayList<>();
            for (DeadLetterEvidence.Group g : evidence.of(model, version)) {
                Map<String, Object> group = new LinkedHashMap<>();
                group.put("reason", g.reason());
                group.put("count", g.count());
                group.put("first", g.first().toString());
                group.put("last", g.last().toString());
                group.put("example", g.exampleFor(metricKey));
                groups.add(group);
            }
            return groups;
        }

        private static List<Map<String, Object>> catalog(List<SilentSeries.CatalogChange> changes) {
            return changes.stream().map(c -> Map.<String, Object>of("metric_name", c.metricName(), "metric_type", c.metricType(),
                    "metric_key", c.metricKey(), "added_at", c.addedAt().toString())).toList();
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

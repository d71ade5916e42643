package statbridge.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import statbridge.tools.series.DeadLetterEvidence;
import statbridge.tools.series.SilentSeries;

/** A silent-series report as {@code statbridge series silent} prints it, as text or as a JSON document, for it and the demo. */
public final class SilentSeriesText {

    private SilentSeriesText() {
    }

    /** From the start of the earliest silence (or its last write, if earlier), an hour's margin for clocks. */
    public static Instant since(SilentSeries.Report report) {
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

    public static void print(PrintWriter out, SilentSeries.Report report, DeadLetterEvidence evidence) {
        SilentSeries.Rule rule = report.rule();
        out.printf(Locale.ROOT, "%d silent series, %d silent model%s%s (as of %s: published on >= %d of the last %d days, nothing "
                + "for the last %d)%n", report.series().size(), report.models().size(), report.models().size() == 1 ? "" : "s",
                report.moved().isEmpty() ? "" : ", " + report.moved().size() + " moved to another key", report.day(),
                rule.minDays(), rule.windowDays(), rule.afterDays());
        for (SilentSeries.Silent s : report.series()) {
            out.println();
            out.printf(Locale.ROOT, "%s %s  %s/%s  silent since %s (rows on %d of the last %d days; last path %s, last written %s)%n",
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

    public static Map<String, Object> document(SilentSeries.Report report, DeadLetterEvidence evidence) {
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

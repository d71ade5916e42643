package statbridge.sink;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import statbridge.catalog.MetricCatalog;
import statbridge.v2.MetricType;

/**
 * An independent model of what the tables must hold, built from what was published: per row the
 * event published last wins; a null business value withdraws the KPI; the legacy row joins the
 * stat with its KPI under the catalog's name. Rows are rendered as PostgreSQL prints them.
 */
public final class PublishedModel {

    /** The identity of a row in the new tables. */
    public record Row(String model, String version, LocalDate day, String slice, MetricType type, String key) {
        String render() {
            return model + "|" + version + "|" + day + "|" + slice + "|" + type + "|" + key;
        }
    }

    private record Versioned(Double value, long time, long sequence) {
        boolean newerThan(Versioned other) {
            return time != other.time ? time > other.time : sequence > other.sequence;
        }
    }

    private final Map<Row, Versioned> stats = new HashMap<>();
    private final Map<Row, Versioned> business = new HashMap<>();
    private long sequence;

    /** A stat published at {@code time} (ms); among equal times, the one published later wins. */
    public synchronized void stat(Row row, double value, long time) {
        stats.merge(row, new Versioned(value, time, sequence++), (a, b) -> b.newerThan(a) ? b : a);
    }

    /** A business value (null withdraws) published at {@code time}. */
    public synchronized void business(Row row, Double value, long time) {
        business.merge(row, new Versioned(value, time, sequence++), (a, b) -> b.newerThan(a) ? b : a);
    }

    public synchronized List<String> stats() {
        List<String> rows = new ArrayList<>();
        stats.forEach((row, v) -> rows.add(row.render() + "|" + SinkFixture.pg(v.value())));
        rows.sort(null);
        return rows;
    }

    public synchronized List<String> business() {
        List<String> rows = new ArrayList<>();
        business.forEach((row, v) -> {
            if (v.value() != null) {
                rows.add(row.render() + "|" + SinkFixture.pg(v.value()));
            }
        });
        rows.sort(null);
        return rows;
    }

    public synchronized List<String> legacy(MetricCatalog catalog) {
        List<String> rows = new ArrayList<>();
        stats.forEach((row, v) -> {
            String name = catalog.byTypeKey(row.type(), row.key()).orElseThrow().metricName();
            Versioned kpi = business.get(row);
            rows.add(row.model() + "|" + row.version() + "|" + row.day() + "|" + row.slice() + "|" + name + "|"
                    + SinkFixture.pg(v.value()) + "|" + SinkFixture.pg(kpi == null ? null : kpi.value()));
        });
        rows.sort(null);
        return rows;
    }

    /** Fails with a compact difference (counts and the first rows on each side) when the table is not exactly as expected. */
    public static void assertSameRows(String table, List<String> actual, List<String> expected) {
        if (actual.equals(expected)) {
            return;
        }
        java.util.Set<String> inTable = new java.util.TreeSet<>(actual);
        java.util.Set<String> wanted = new java.util.TreeSet<>(expected);
        List<String> unexpected = inTable.stream().filter(r -> !wanted.contains(r)).limit(10).toList();
        List<String> missing = wanted.stream().filter(r -> !inTable.contains(r)).limit(10).toList();
        throw new AssertionError(table + " differs from the model: " + actual.size() + " rows, expected " + expected.size()
                + (actual.size() != inTable.size() ? " (the table has duplicates)" : "")
                + "\n  not expected: " + unexpected + "\n  missing: " + missing);
    }
}

package statbridge.sink.series;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.LocalDate;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.NavigableMap;
import java.util.NavigableSet;
import java.util.TreeMap;
import java.util.TreeSet;
import statbridge.sink.writer.Fact;

/**
 * What one batch's statements did to the metric series, gathered from the rows they changed (never
 * from the batch's facts, some of which lose "later wins" and change nothing): per series and month,
 * the rows added, the dates and values now present, and the values that left a row (a correction),
 * which may have been the month's minimum or maximum; and the slices seen. {@link SeriesTables#apply}
 * writes it in the batch's transaction.
 */
public final class SeriesChanges {

    /** One series: the identity of a line on a dashboard. */
    public record Series(String modelName, String modelVersion, String metricType, String metricKey) implements Comparable<Series> {
        private static final Comparator<Series> ORDER = Comparator.comparing(Series::modelName).thenComparing(Series::modelVersion)
                .thenComparing(Series::metricType).thenComparing(Series::metricKey);

        @Override
        public int compareTo(Series other) {
            return ORDER.compare(this, other);
        }
    }

    /** A series in the month of stat_date {@code month} (its first day): the unit of the table and of a rebuild. */
    record SeriesMonth(Series series, LocalDate month) implements Comparable<SeriesMonth> {
        @Override
        public int compareTo(SeriesMonth other) {
            int bySeries = series.compareTo(other.series);
            return bySeries != 0 ? bySeries : month.compareTo(other.month);
        }
    }

    /** A slice a series was seen with. */
    record SeriesSlice(Series series, String sliceKey) implements Comparable<SeriesSlice> {
        @Override
        public int compareTo(SeriesSlice other) {
            int bySeries = series.compareTo(other.series);
            return bySeries != 0 ? bySeries : sliceKey.compareTo(other.sliceKey);
        }
    }

    /** The change to one series-month. */
    static final class Delta {
        long rows;
        LocalDate firstDate;
        LocalDate lastDate;
        double minValue = Double.POSITIVE_INFINITY;
        double maxValue = Double.NEGATIVE_INFINITY;
        /** The smallest value a correction raised, or null: the month's minimum may have left. */
        Double raisedFrom;
        /** The largest value a correction lowered, or null: the month's maximum may have left. */
        Double loweredFrom;

        boolean mayHaveLostAnExtreme() {
            return raisedFrom != null || loweredFrom != null;
        }
    }

    // sorted, so that every batch locks series rows in one order and two batches never wait in a cycle
    private final NavigableMap<SeriesMonth, Delta> months = new TreeMap<>();
    private final NavigableSet<SeriesSlice> slices = new TreeSet<>();
    private final Map<Series, Fact> newest = new HashMap<>();

    /**
     * Adds one row of the statements' per series, month and slice summary (columns: model, version,
     * type, key, month, slice, rows changed, rows inserted, first and last date, least and greatest
     * value, smallest raised and largest lowered old value); returns the rows changed.
     */
    public int add(ResultSet row) throws SQLException {
        Series series = new Series(row.getString(1), row.getString(2), row.getString(3), row.getString(4));
        Delta delta = months.computeIfAbsent(new SeriesMonth(series, row.getObject(5, LocalDate.class)), m -> new Delta());
        slices.add(new SeriesSlice(series, row.getString(6)));
        int changed = row.getInt(7);
        delta.rows += row.getLong(8);
        LocalDate first = row.getObject(9, LocalDate.class);
        LocalDate last = row.getObject(10, LocalDate.class);
        delta.firstDate = delta.firstDate == null || first.isBefore(delta.firstDate) ? first : delta.firstDate;
        delta.lastDate = delta.lastDate == null || last.isAfter(delta.lastDate) ? last : delta.lastDate;
        delta.minValue = Math.min(delta.minValue, row.getDouble(11));
        delta.maxValue = Math.max(delta.maxValue, row.getDouble(12));
        double raised = row.getDouble(13);
        if (!row.wasNull()) {
            delta.raisedFrom = delta.raisedFrom == null ? raised : Math.min(delta.raisedFrom, raised);
        }
        double lowered = row.getDouble(14);
        if (!row.wasNull()) {
            delta.loweredFrom = delta.loweredFrom == null ? lowered : Math.max(delta.loweredFrom, lowered);
        }
        return changed;
    }

    /** Remembers, per series, the newest of {@code stats}: its path is the series' last path. */
    public void published(Collection<Fact> stats) {
        for (Fact fact : stats) {
            Series series = new Series(fact.modelName(), fact.modelVersion(), fact.metricType().name(), fact.metricKey());
            newest.merge(series, fact, (a, b) -> b.isNewerThan(a) ? b : a);
        }
    }

    public boolean isEmpty() {
        return months.isEmpty();
    }

    NavigableMap<SeriesMonth, Delta> months() {
        return months;
    }

    NavigableSet<SeriesSlice> slices() {
        return slices;
    }

    /** The path of the series' newest event in the batch, or null. */
    String path(Series series) {
        Fact fact = newest.get(series);
        return fact == null ? null : fact.path();
    }
}

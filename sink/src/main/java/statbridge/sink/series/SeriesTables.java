package statbridge.sink.series;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.LocalDate;
import java.util.TreeMap;
import statbridge.sink.series.SeriesChanges.Series;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import statbridge.sink.series.SeriesChanges.Delta;
import statbridge.sink.series.SeriesChanges.SeriesMonth;
import statbridge.sink.series.SeriesChanges.SeriesSlice;

/**
 * The one owner of the sink's writes to {@code metric_series_months} and {@code metric_series_slices}:
 * a batch's {@link SeriesChanges}, written in the batch's transaction after its rows, as increments
 * (never a rescan of the history). A minimum or maximum a correction may have taken away is
 * recomputed from the one month of the one series, which is what keeps the table exact.
 *
 * <p>The statements come last in the batch and lock series rows in one order, so batches of two
 * lanes or instances that touch the same series wait for each other only for the end of a
 * transaction, and never in a cycle.
 */
public final class SeriesTables {

    static final String ADD_SLICES = """
            INSERT INTO ml_monitoring.metric_series_slices (model_name, model_version, metric_type, metric_key, slice_key)
            SELECT u.model_name, u.model_version, u.metric_type, u.metric_key, u.slice_key
            FROM unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::text[]) WITH ORDINALITY
                   AS u(model_name, model_version, metric_type, metric_key, slice_key, n)
            ORDER BY u.n
            ON CONFLICT DO NOTHING
            """;
    static final String ADD_MONTHS = """
            INSERT INTO ml_monitoring.metric_series_months AS m
                   (model_name, model_version, metric_type, metric_key, month, rows, first_date, last_date, min_value, max_value,
                    last_written_at, last_path)
            SELECT u.model_name, u.model_version, u.metric_type, u.metric_key, u.month, u.rows, u.first_date, u.last_date,
                   u.min_value, u.max_value, now(), u.path
            FROM unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::date[], ?::int8[], ?::date[], ?::date[], ?::float8[], ?::float8[],
                        ?::text[]) WITH ORDINALITY
                   AS u(model_name, model_version, metric_type, metric_key, month, rows, first_date, last_date, min_value, max_value, path, n)
            ORDER BY u.n
            ON CONFLICT (model_name, model_version, metric_type, metric_key, month) DO UPDATE
            SET rows = m.rows + EXCLUDED.rows,
                first_date = LEAST(m.first_date, EXCLUDED.first_date), last_date = GREATEST(m.last_date, EXCLUDED.last_date),
                min_value = LEAST(m.min_value, EXCLUDED.min_value), max_value = GREATEST(m.max_value, EXCLUDED.max_value),
                last_written_at = EXCLUDED.last_written_at, last_path = COALESCE(EXCLUDED.last_path, m.last_path)
            """;
    /**
     * After {@link #ADD_MONTHS}: where a corrected row held the month's minimum (its old value is not
     * above the minimum now stored) or maximum, the two are recomputed from the month's rows of the
     * series, which this transaction sees as they now are.
     */
    static final String RECOMPUTE_EXTREMES = """
            UPDATE ml_monitoring.metric_series_months m SET min_value = r.lo, max_value = r.hi
            FROM unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::date[], ?::float8[], ?::float8[])
                   AS c(model_name, model_version, metric_type, metric_key, month, raised_from, lowered_from)
            CROSS JOIN LATERAL (
                   SELECT min(s.metric_value) AS lo, max(s.metric_value) AS hi FROM ml_monitoring.model_stats_daily s
                   WHERE s.model_name = c.model_name AND s.model_version = c.model_version
                     AND s.stat_date >= c.month AND s.stat_date < (c.month + interval '1 month')::date
                     AND s.metric_type = c.metric_type AND s.metric_key = c.metric_key) r
            WHERE m.model_name = c.model_name AND m.model_version = c.model_version AND m.metric_type = c.metric_type
              AND m.metric_key = c.metric_key AND m.month = c.month AND r.lo IS NOT NULL
              AND (c.raised_from <= m.min_value OR c.lowered_from >= m.max_value)
            """;

    static final String DELETE_MONTH = "DELETE FROM ml_monitoring.metric_series_months WHERE month = ?";
    /** The month's rows; the last path is kept from what the sink recorded (the stat rows do not hold it). */
    static final String INSERT_MONTH = """
            INSERT INTO ml_monitoring.metric_series_months AS m
                   (model_name, model_version, metric_type, metric_key, month, rows, first_date, last_date, min_value, max_value,
                    last_written_at, last_path)
            SELECT u.model_name, u.model_version, u.metric_type, u.metric_key, ?::date, u.rows, u.first_date, u.last_date,
                   u.min_value, u.max_value, u.written, u.last_path
            FROM unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::int8[], ?::date[], ?::date[], ?::float8[], ?::float8[],
                        ?::timestamptz[], ?::text[])
                   AS u(model_name, model_version, metric_type, metric_key, rows, first_date, last_date, min_value, max_value, written, last_path)
            ORDER BY 1, 2, 3, 4
            """;

    private SeriesTables() {
    }

    /** Writes {@code changes} in the caller's transaction. */
    public static void apply(Connection connection, SeriesChanges changes) throws SQLException {
        if (changes.isEmpty()) {
            return;
        }
        addSlices(connection, changes);
        Map<SeriesMonth, Delta> months = changes.months();
        int n = months.size();
        String[][] keys = new String[4][n];
        String[] month = new String[n];
        Long[] rows = new Long[n];
        String[] first = new String[n];
        String[] last = new String[n];
        Double[] min = new Double[n];
        Double[] max = new Double[n];
        String[] path = new String[n];
        List<SeriesMonth> recompute = new ArrayList<>();
        int i = 0;
        for (Map.Entry<SeriesMonth, Delta> entry : months.entrySet()) {
            SeriesMonth key = entry.getKey();
            Delta delta = entry.getValue();
            keys[0][i] = key.series().modelName();
            keys[1][i] = key.series().modelVersion();
            keys[2][i] = key.series().metricType();
            keys[3][i] = key.series().metricKey();
            month[i] = key.month().toString();
            rows[i] = delta.rows;
            first[i] = delta.firstDate.toString();
            last[i] = delta.lastDate.toString();
            min[i] = delta.minValue;
            max[i] = delta.maxValue;
            path[i] = changes.path(key.series());
            if (delta.mayHaveLostAnExtreme()) {
                recompute.add(key);
            }
            i++;
        }
        try (PreparedStatement add = connection.prepareStatement(ADD_MONTHS)) {
            for (int k = 0; k < 4; k++) {
                add.setArray(k + 1, connection.createArrayOf("text", keys[k]));
            }
            add.setArray(5, connection.createArrayOf("text", month));
            add.setArray(6, connection.createArrayOf("int8", rows));
            add.setArray(7, connection.createArrayOf("text", first));
            add.setArray(8, connection.createArrayOf("text", last));
            add.setArray(9, connection.createArrayOf("float8", min));
            add.setArray(10, connection.createArrayOf("float8", max));
            add.setArray(11, connection.createArrayOf("text", path));
            add.executeUpdate();
        }
        if (!recompute.isEmpty()) {
            recompute(connection, months, recompute);
        }
    }

    private static void addSlices(Connection connection, SeriesChanges changes) throws SQLException {
        int n = changes.slices().size();
        String[][] columns = new String[5][n];
        int i = 0;
        for (SeriesSlice slice : changes.slices()) {
            columns[0][i] = slice.series().modelName();
            columns[1][i] = slice.series().modelVersion();
            columns[2][i] = slice.series().metricType();
            columns[3][i] = slice.series().metricKey();
            columns[4][i] = slice.sliceKey();
            i++;
        }
        try (PreparedStatement add = connection.prepareStatement(ADD_SLICES)) {
            for (int k = 0; k < 5; k++) {
                add.setArray(k + 1, connection.createArrayOf("text", columns[k]));
            }
            add.executeUpdate();
        }
    }

    private static void recompute(Connection connection, Map<SeriesMonth, Delta> months, List<SeriesMonth> which) throws SQLException {
        int n = which.size();
        String[][] keys = new String[4][n];
        String[] month = new String[n];
        Double[] raised = new Double[n];
        Double[] lowered = new Double[n];
        for (int i = 0; i < n; i++) {
            SeriesMonth key = which.get(i);
            keys[0][i] = key.series().modelName();
            keys[1][i] = key.series().modelVersion();
            keys[2][i] = key.series().metricType();
            keys[3][i] = key.series().metricKey();
            month[i] = key.month().toString();
            raised[i] = months.get(key).raisedFrom;
            lowered[i] = months.get(key).loweredFrom;
        }
        try (PreparedStatement update = connection.prepareStatement(RECOMPUTE_EXTREMES)) {
            for (int k = 0; k < 4; k++) {
                update.setArray(k + 1, connection.createArrayOf("text", keys[k]));
            }
            update.setArray(5, connection.createArrayOf("text", month));
            update.setArray(6, connection.createArrayOf("float8", raised));
            update.setArray(7, connection.createArrayOf("float8", lowered));
            update.executeUpdate();
        }
    }

    /** The last paths the sink recorded for the month, which the stat rows cannot give back. */
    private static Map<Series, String> paths(Connection connection, LocalDate month) throws SQLException {
        Map<Series, String> paths = new TreeMap<>();
        try (PreparedStatement query = connection.prepareStatement("SELECT model_name, model_version, metric_type, metric_key, last_path "
                + "FROM ml_monitoring.metric_series_months WHERE month = ? AND last_path IS NOT NULL")) {
            query.setObject(1, month);
            try (ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    paths.put(new Series(rows.getString(1), rows.getString(2), rows.getString(3), rows.getString(4)), rows.getString(5));
                }
            }
        }
        return paths;
    }

    /** A series' rows in one month, as a rebuild aggregates them. */
    static final class Aggregate {
        long rows;
        LocalDate first;
        LocalDate last;
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        java.time.Instant written;

        void add(long count, LocalDate firstDate, LocalDate lastDate, double lo, double hi, java.time.Instant at) {
            rows += count;
            first = first == null || firstDate.isBefore(first) ? firstDate : first;
            last = last == null || lastDate.isAfter(last) ? lastDate : last;
            min = Math.min(min, lo);
            max = Math.max(max, hi);
            written = written == null || at.isAfter(written) ? at : written;
        }
    }

    /**
     * Replaces the series rows of {@code month} with {@code bySeries}, the aggregate of its
     * partition, keeping the last paths the sink recorded (the stat rows do not hold them).
     */
    static void replaceMonth(Connection connection, LocalDate month, Map<Series, Aggregate> bySeries) throws SQLException {
        Map<Series, String> paths = paths(connection, month);
        try (PreparedStatement delete = connection.prepareStatement(DELETE_MONTH)) {
            delete.setObject(1, month);
            delete.executeUpdate();
        }
        if (bySeries.isEmpty()) {
            return;
        }
        int n = bySeries.size();
        String[][] keys = new String[4][n];
        Long[] rows = new Long[n];
        String[] first = new String[n];
        String[] last = new String[n];
        Double[] min = new Double[n];
        Double[] max = new Double[n];
        String[] written = new String[n];
        String[] path = new String[n];
        int i = 0;
        for (Map.Entry<Series, Aggregate> entry : bySeries.entrySet()) {
            Series s = entry.getKey();
            Aggregate a = entry.getValue();
            keys[0][i] = s.modelName();
            keys[1][i] = s.modelVersion();
            keys[2][i] = s.metricType();
            keys[3][i] = s.metricKey();
            rows[i] = a.rows;
            first[i] = a.first.toString();
            last[i] = a.last.toString();
            min[i] = a.min;
            max[i] = a.max;
            written[i] = a.written.toString();
            path[i] = paths.get(s);
            i++;
        }
        try (PreparedStatement insert = connection.prepareStatement(INSERT_MONTH)) {
            insert.setObject(1, month);
            for (int k = 0; k < 4; k++) {
                insert.setArray(k + 2, connection.createArrayOf("text", keys[k]));
            }
            insert.setArray(6, connection.createArrayOf("int8", rows));
            insert.setArray(7, connection.createArrayOf("text", first));
            insert.setArray(8, connection.createArrayOf("text", last));
            insert.setArray(9, connection.createArrayOf("float8", min));
            insert.setArray(10, connection.createArrayOf("float8", max));
            insert.setArray(11, connection.createArrayOf("text", written));
            insert.setArray(12, connection.createArrayOf("text", path));
            insert.executeUpdate();
        }
    }

    /** Records the (series, slice) pairs in {@code slices} (each model, version, type, key, slice). */
    static void addSlices(Connection connection, List<String[]> slices) throws SQLException {
        if (slices.isEmpty()) {
            return;
        }
        slices.sort((a, b) -> java.util.Arrays.compare(a, b));
        String[][] columns = new String[5][slices.size()];
        for (int i = 0; i < slices.size(); i++) {
            for (int k = 0; k < 5; k++) {
                columns[k][i] = slices.get(i)[k];
            }
        }
        try (PreparedStatement add = connection.prepareStatement(SeriesTables.ADD_SLICES)) {
            for (int k = 0; k < 5; k++) {
                add.setArray(k + 1, connection.createArrayOf("text", columns[k]));
            }
            add.executeUpdate();
        }
    }
}

package statbridge.sink.series;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.LocalDate;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import statbridge.sink.writer.Fact;

/**
 * The one owner of the writes to {@code metric_series_months} and {@code metric_series_slices}.
 *
 * <p>The sink's: a batch asks for its changes to be gathered ({@link #gather}); statement-level
 * triggers on {@code model_stats_daily} then summarise, from their transition tables, the rows each
 * statement inserted and the old and new versions of those it updated (the exact versions
 * replaced, whoever wrote them), per series, month and slice, into a temporary table of the
 * session; at the end of the batch {@link #apply} adds them to the series rows as increments, in the
 * batch's transaction (never a rescan of the history). A correction that may have taken away a
 * month's minimum or maximum recomputes that one month of that one series. The series rows are
 * written last in the batch and in one order, so batches that touch the same series wait for each
 * other only for the end of a transaction, and never in a cycle.
 *
 * <p>The rebuild's: a month's rows replaced by the aggregate of its partition ({@link #replaceMonth}).
 */
public final class SeriesTables {

    static final String GATHER = "SELECT ml_monitoring.metric_series_batch()";
    static final String ADD_SLICES = """
            INSERT INTO ml_monitoring.metric_series_slices (model_name, model_version, metric_type, metric_key, slice_key)
            SELECT u.model_name, u.model_version, u.metric_type, u.metric_key, u.slice_key
            FROM unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::text[]) WITH ORDINALITY
                   AS u(model_name, model_version, metric_type, metric_key, slice_key, n)
            ORDER BY u.n
            ON CONFLICT DO NOTHING
            """;
    /**
     * Folds the gathered changes into the series rows; returns how many series-months a correction
     * may have taken an extreme from. The paths come as arrays (the stat rows do not hold them).
     */
    static final String APPLY = """
            WITH d AS (
                SELECT model_name, model_version, metric_type, metric_key, month, sum(rows) AS rows, min(first_date) AS first_date,
                       max(last_date) AS last_date, min(min_value) AS min_value, max(max_value) AS max_value,
                       min(raised_from) AS raised_from, max(lowered_from) AS lowered_from
                FROM pg_temp.metric_series_delta GROUP BY 1, 2, 3, 4, 5
            ), s AS (
                INSERT INTO ml_monitoring.metric_series_slices (model_name, model_version, metric_type, metric_key, slice_key)
                SELECT DISTINCT model_name, model_version, metric_type, metric_key, slice_key FROM pg_temp.metric_series_delta
                ORDER BY 1, 2, 3, 4, 5
                ON CONFLICT DO NOTHING
            ), m AS (
                INSERT INTO ml_monitoring.metric_series_months AS m
                       (model_name, model_version, metric_type, metric_key, month, rows, first_date, last_date, min_value, max_value,
                        last_written_at, last_path)
                SELECT d.model_name, d.model_version, d.metric_type, d.metric_key, d.month, d.rows, d.first_date, d.last_date,
                       d.min_value, d.max_value, now(), p.path
                FROM d LEFT JOIN unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::text[])
                                   AS p(model_name, model_version, metric_type, metric_key, path)
                       USING (model_name, model_version, metric_type, metric_key)
                ORDER BY 1, 2, 3, 4, 5
                ON CONFLICT (model_name, model_version, metric_type, metric_key, month) DO UPDATE
                SET rows = m.rows + EXCLUDED.rows,
                    first_date = LEAST(m.first_date, EXCLUDED.first_date), last_date = GREATEST(m.last_date, EXCLUDED.last_date),
                    min_value = LEAST(m.min_value, EXCLUDED.min_value), max_value = GREATEST(m.max_value, EXCLUDED.max_value),
                    last_written_at = EXCLUDED.last_written_at, last_path = COALESCE(EXCLUDED.last_path, m.last_path)
            )
            SELECT count(*) FROM d WHERE raised_from IS NOT NULL OR lowered_from IS NOT NULL
            """;
    /**
     * After {@link #APPLY}: where a corrected row held the month's minimum (its old value is not above
     * the minimum now stored) or maximum, the two are recomputed from the month's rows of the series,
     * which this transaction sees as they now are.
     */
    static final String RECOMPUTE_EXTREMES = """
            UPDATE ml_monitoring.metric_series_months m SET min_value = r.lo, max_value = r.hi
            FROM (SELECT model_name, model_version, metric_type, metric_key, month, min(raised_from) AS raised_from,
                         max(lowered_from) AS lowered_from
                  FROM pg_temp.metric_series_delta WHERE raised_from IS NOT NULL OR lowered_from IS NOT NULL
                  GROUP BY 1, 2, 3, 4, 5) c
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

    /** Asks for the changes of the caller's transaction to the stats to be gathered, for {@link #apply}. */
    public static void gather(Connection connection) throws SQLException {
        try (PreparedStatement gather = connection.prepareStatement(GATHER); ResultSet ignored = gather.executeQuery()) {
            // the function returns nothing
        }
    }

    /** The path of each series' newest event among {@code stats}: the series' last path. */
    public static Map<Series, String> newestPaths(Collection<Fact> stats) {
        Map<Series, Fact> newest = new TreeMap<>();
        for (Fact fact : stats) {
            newest.merge(new Series(fact.modelName(), fact.modelVersion(), fact.metricType().name(), fact.metricKey()), fact,
                    (a, b) -> b.isNewerThan(a) ? b : a);
        }
        Map<Series, String> paths = new TreeMap<>();
        newest.forEach((series, fact) -> paths.put(series, fact.path()));
        return paths;
    }

    /** Adds what the transaction's statements did to the stats since {@link #gather}, in the caller's transaction. */
    public static void apply(Connection connection, Map<Series, String> paths) throws SQLException {
        int n = paths.size();
        String[][] columns = new String[5][n];
        int i = 0;
        for (Map.Entry<Series, String> entry : paths.entrySet()) {
            columns[0][i] = entry.getKey().modelName();
            columns[1][i] = entry.getKey().modelVersion();
            columns[2][i] = entry.getKey().metricType();
            columns[3][i] = entry.getKey().metricKey();
            columns[4][i] = entry.getValue();
            i++;
        }
        int corrected;
        try (PreparedStatement apply = connection.prepareStatement(APPLY)) {
            for (int k = 0; k < 5; k++) {
                apply.setArray(k + 1, connection.createArrayOf("text", columns[k]));
            }
            try (ResultSet result = apply.executeQuery()) {
                result.next();
                corrected = result.getInt(1);
            }
        }
        if (corrected > 0) {
            try (PreparedStatement recompute = connection.prepareStatement(RECOMPUTE_EXTREMES)) {
                recompute.executeUpdate();
            }
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

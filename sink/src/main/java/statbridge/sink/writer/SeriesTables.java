package statbridge.sink.writer;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.LocalDate;
import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;

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
 * <p>The rebuild's: a month's rows replaced by the aggregate of its partition ({@link #rebuildMonth}).
 */
public final class SeriesTables {

    static final String GATHER = "SELECT ml_monitoring.metric_series_batch()";

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
     * which this transaction sees as they now are. The series-months whose extremes a correction may
     * have taken are found first, so only those are read, each through the stats' series index (its
     * month's rows of that one metric, not every metric of the model).
     */
    static final String RECOMPUTE_EXTREMES = """
            WITH c AS MATERIALIZED (
                SELECT d.model_name, d.model_version, d.metric_type, d.metric_key, d.month
                FROM (SELECT model_name, model_version, metric_type, metric_key, month, min(raised_from) AS raised_from,
                             max(lowered_from) AS lowered_from
                      FROM pg_temp.metric_series_delta WHERE raised_from IS NOT NULL OR lowered_from IS NOT NULL
                      GROUP BY 1, 2, 3, 4, 5) d
                JOIN ml_monitoring.metric_series_months m USING (model_name, model_version, metric_type, metric_key, month)
                WHERE d.raised_from <= m.min_value OR d.lowered_from >= m.max_value
            )
            UPDATE ml_monitoring.metric_series_months m SET min_value = r.lo, max_value = r.hi
            FROM c CROSS JOIN LATERAL (
                   SELECT min(s.metric_value) AS lo, max(s.metric_value) AS hi FROM ml_monitoring.model_stats_daily s
                   WHERE s.model_name = c.model_name AND s.model_version = c.model_version
                     AND s.metric_type = c.metric_type AND s.metric_key = c.metric_key
                     AND s.stat_date >= c.month AND s.stat_date < (c.month + interval '1 month')::date) r
            WHERE m.model_name = c.model_name AND m.model_version = c.model_version AND m.metric_type = c.metric_type
              AND m.metric_key = c.metric_key AND m.month = c.month AND r.lo IS NOT NULL
            """;
    /**
     * Replaces the series rows of one month with the aggregate of its partition ({@code %1$s}, a
     * name from the catalog, never from input; the month is the parameter): rows of series it holds
     * are updated in place (keeping the last path the sink recorded, which the stat rows do not
     * hold), rows of series it no longer holds deleted, slices added. One statement, so the
     * aggregate is read once and nothing goes through the client. Returns the rows aggregated and
     * the series.
     */
    static final String REBUILD_MONTH = """
            WITH g AS MATERIALIZED (
                SELECT model_name, model_version, metric_type, metric_key, slice_key, count(*) AS rows, min(stat_date) AS first_date,
                       max(stat_date) AS last_date, min(metric_value) AS min_value, max(metric_value) AS max_value,
                       max(updated_at) AS written
                FROM ml_monitoring.%1$s GROUP BY 1, 2, 3, 4, 5
            ), series AS MATERIALIZED (
                SELECT model_name, model_version, metric_type, metric_key, sum(rows)::bigint AS rows, min(first_date) AS first_date,
                       max(last_date) AS last_date, min(min_value) AS min_value, max(max_value) AS max_value, max(written) AS written
                FROM g GROUP BY 1, 2, 3, 4
            ), slices AS (
                INSERT INTO ml_monitoring.metric_series_slices (model_name, model_version, metric_type, metric_key, slice_key)
                SELECT model_name, model_version, metric_type, metric_key, slice_key FROM g ORDER BY 1, 2, 3, 4, 5
                ON CONFLICT DO NOTHING
            ), gone AS (
                DELETE FROM ml_monitoring.metric_series_months m WHERE m.month = ?::date AND NOT EXISTS (
                    SELECT 1 FROM series s WHERE s.model_name = m.model_name AND s.model_version = m.model_version
                                             AND s.metric_type = m.metric_type AND s.metric_key = m.metric_key)
            ), replaced AS (
                INSERT INTO ml_monitoring.metric_series_months AS m
                       (model_name, model_version, metric_type, metric_key, month, rows, first_date, last_date, min_value, max_value,
                        last_written_at, last_path)
                SELECT model_name, model_version, metric_type, metric_key, ?::date, rows, first_date, last_date, min_value, max_value,
                       written, NULL
                FROM series ORDER BY 1, 2, 3, 4
                ON CONFLICT (model_name, model_version, metric_type, metric_key, month) DO UPDATE
                SET rows = EXCLUDED.rows, first_date = EXCLUDED.first_date, last_date = EXCLUDED.last_date,
                    min_value = EXCLUDED.min_value, max_value = EXCLUDED.max_value, last_written_at = EXCLUDED.last_written_at
            )
            SELECT coalesce(sum(rows), 0), count(*) FROM series
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

    /** Rebuilds one month from its partition {@code partition} (see {@link #REBUILD_MONTH}); returns rows and series. */
    public static long[] rebuildMonth(Connection connection, LocalDate month, String partition) throws SQLException {
        try (PreparedStatement rebuild = connection.prepareStatement(REBUILD_MONTH.formatted(quoted(partition)))) {
            rebuild.setObject(1, month);
            rebuild.setObject(2, month);
            try (ResultSet counted = rebuild.executeQuery()) {
                counted.next();
                return new long[] {counted.getLong(1), counted.getLong(2)};
            }
        }
    }

    private static String quoted(String identifier) {
        return '"' + identifier.replace("\"", "\"\"") + '"';
    }
}

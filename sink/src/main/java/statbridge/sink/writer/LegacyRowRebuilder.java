package statbridge.sink.writer;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Collection;

/**
 * Writes legacy rows as the rebuild from the new tables says they are, bookkeeping included
 * ({@code ml_monitoring.model_stats_daily_legacy_rebuilt}): for the keys a batch carries both a
 * stat and a business event for while dual-write is on (see {@link BatchWriter}), or for everything
 * written after a write sequence number when dual-write is switched back on. Because the legacy
 * table is only ever written from the rebuild, the two cannot disagree, whatever order the stat
 * and business events arrived in.
 */
public final class LegacyRowRebuilder {

    static final String UPSERT_TAIL = """
            ON CONFLICT (model_name, model_version, stat_date, slice_key, metric_name) DO UPDATE
            SET metric_value = EXCLUDED.metric_value,
                business_metric_value = EXCLUDED.business_metric_value,
                updated_at = EXCLUDED.updated_at
            WHERE (l.metric_value, l.business_metric_value, l.updated_at)
                  IS DISTINCT FROM (EXCLUDED.metric_value, EXCLUDED.business_metric_value, EXCLUDED.updated_at)
            """;

    /**
     * The legacy rows of the keys {@code keys} gives (a FROM item named {@code k} with the six key
     * columns), computed as {@code model_stats_daily_legacy_rebuilt} defines them (the same joins),
     * written so that every key drives its own primary-key lookups: the {@code OFFSET 0} fences keep
     * the planner from flattening the lookups into a join order that probes the indexes by (type,
     * key) only, which it picks when statistics call the tables tiny, or into a join of the whole
     * history.
     */
    private static String rebuildOf(String keys) {
        return """
            INSERT INTO ml_monitoring.model_stats_daily_legacy AS l
                   (model_name, model_version, stat_date, slice_key, metric_name, metric_value, business_metric_value, updated_at)
            SELECT k.model_name, k.model_version, k.stat_date, k.slice_key, c.metric_name, s.metric_value,
                   b.business_metric_value, GREATEST(s.updated_at, b.updated_at)
            FROM %s
            JOIN ml_monitoring.metric_catalog c ON c.metric_type = k.metric_type AND c.metric_key = k.metric_key
            CROSS JOIN LATERAL (
                SELECT s.metric_value, s.updated_at FROM ml_monitoring.model_stats_daily s
                WHERE s.model_name = k.model_name AND s.model_version = k.model_version AND s.stat_date = k.stat_date
                  AND s.slice_key = k.slice_key AND s.metric_type = k.metric_type AND s.metric_key = k.metric_key
                OFFSET 0) s
            LEFT JOIN LATERAL (
                SELECT b.business_metric_value, b.updated_at FROM ml_monitoring.model_business_stats_daily b
                WHERE b.model_name = k.model_name AND b.model_version = k.model_version AND b.stat_date = k.stat_date
                  AND b.slice_key = k.slice_key AND b.metric_type = k.metric_type AND b.metric_key = k.metric_key
                OFFSET 0) b ON true
            """.formatted(keys) + UPSERT_TAIL;
    }

    /** The rebuild for the keys of a batch, bound as six arrays. */
    static final String FOR_KEYS = rebuildOf("""
            unnest(?::text[], ?::text[], ?::date[], ?::text[], ?::text[], ?::text[])
                   AS k(model_name, model_version, stat_date, slice_key, metric_type, metric_key)""");

    private static final String KEY_COLUMNS = "model_name, model_version, stat_date, slice_key, metric_type, metric_key";

    /**
     * The rebuild for every key written to the new tables after a write sequence number (stats,
     * business values, withdrawals). It reads the new tables once for the keys written since, then
     * looks each of those up, so its cost follows the rows written while dual-write was off, not the
     * size of the history.
     */
    static final String SINCE_WRITE_SEQ = rebuildOf("""
            (SELECT %1$s FROM ml_monitoring.model_stats_daily WHERE write_seq > ?
             UNION SELECT %1$s FROM ml_monitoring.model_business_stats_daily WHERE write_seq > ?
             UNION SELECT %1$s FROM ml_monitoring.business_withdrawals WHERE write_seq > ?
             OFFSET 0) k""".formatted(KEY_COLUMNS));

    private LegacyRowRebuilder() {
    }

    /** Rewrites the legacy rows of these row keys from the new tables; returns rows inserted or changed. */
    public static int rebuild(Connection connection, Collection<Fact.RowKey> keys) throws SQLException {
        if (keys.isEmpty()) {
            return 0;
        }
        int n = keys.size();
        String[] models = new String[n];
        String[] versions = new String[n];
        String[] dates = new String[n];
        String[] slices = new String[n];
        String[] types = new String[n];
        String[] metricKeys = new String[n];
        int i = 0;
        for (Fact.RowKey key : keys) {
            models[i] = key.modelName();
            versions[i] = key.modelVersion();
            dates[i] = key.statDate().toString();
            slices[i] = key.sliceKey();
            types[i] = key.metricType().name();
            metricKeys[i] = key.metricKey();
            i++;
        }
        try (PreparedStatement statement = connection.prepareStatement(FOR_KEYS)) {
            Array[] arrays = {
                connection.createArrayOf("text", models), connection.createArrayOf("text", versions),
                connection.createArrayOf("text", dates), connection.createArrayOf("text", slices),
                connection.createArrayOf("text", types), connection.createArrayOf("text", metricKeys)
            };
            for (int p = 0; p < arrays.length; p++) {
                statement.setArray(p + 1, arrays[p]);
            }
            return statement.executeUpdate();
        }
    }

    /** Rewrites the legacy rows of every row written to the new tables after {@code writeSeq}. */
    public static int rebuildSince(Connection connection, long writeSeq) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(SINCE_WRITE_SEQ)) {
            statement.setLong(1, writeSeq);
            statement.setLong(2, writeSeq);
            statement.setLong(3, writeSeq);
            return statement.executeUpdate();
        }
    }
}

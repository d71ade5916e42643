package statbridge.sink.writer;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;

/**
 * Writes legacy rows as the rebuild from the new tables says they are, bookkeeping included
 * ({@code ml_monitoring.model_stats_daily_legacy_rebuilt}): for everything written after a write
 * sequence number when dual-write is switched back on. (While it is on, each batch statement
 * rewrites the legacy rows of the rows it changes; see {@link BatchWriter}.) Because the legacy
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

    static final String SINCE_WRITE_SEQ = """
            INSERT INTO ml_monitoring.model_stats_daily_legacy AS l
                   (model_name, model_version, stat_date, slice_key, metric_name, metric_value, business_metric_value, updated_at)
            SELECT r.model_name, r.model_version, r.stat_date, r.slice_key, r.metric_name, r.metric_value,
                   r.business_metric_value, r.updated_at
            FROM ml_monitoring.model_stats_daily_legacy_rebuilt r
            WHERE EXISTS (
                    SELECT 1 FROM ml_monitoring.model_stats_daily s
                    WHERE s.write_seq > ? AND s.model_name = r.model_name AND s.model_version = r.model_version
                      AND s.stat_date = r.stat_date AND s.slice_key = r.slice_key
                      AND s.metric_type = r.metric_type AND s.metric_key = r.metric_key)
               OR EXISTS (
                    SELECT 1 FROM ml_monitoring.model_business_stats_daily b
                    WHERE b.write_seq > ? AND b.model_name = r.model_name AND b.model_version = r.model_version
                      AND b.stat_date = r.stat_date AND b.slice_key = r.slice_key
                      AND b.metric_type = r.metric_type AND b.metric_key = r.metric_key)
               OR EXISTS (
                    SELECT 1 FROM ml_monitoring.business_withdrawals w
                    WHERE w.write_seq > ? AND w.model_name = r.model_name AND w.model_version = r.model_version
                      AND w.stat_date = r.stat_date AND w.slice_key = r.slice_key
                      AND w.metric_type = r.metric_type AND w.metric_key = r.metric_key)
            """ + UPSERT_TAIL;

    private LegacyRowRebuilder() {
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

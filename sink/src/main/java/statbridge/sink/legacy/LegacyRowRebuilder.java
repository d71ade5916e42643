package statbridge.sink.legacy;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Collection;
import statbridge.sink.db.RowKey;

/**
 * The one writer of {@code ml_monitoring.model_stats_daily_legacy}: every legacy row is written
 * from the new tables as {@code ml_monitoring.model_stats_daily_legacy_rebuilt} defines it,
 * bookkeeping included, by the one rebuild fragment {@link #rebuild(String, String, Side, Side)}.
 * The sink's batches use it inside the statement that changes a new table (see
 * {@code BatchWriter}), and for the keys a batch carries both a stat and a business event for;
 * switching dual-write back on uses it for everything written after a write sequence number.
 * Because the legacy table is only ever written from the rebuild, the two cannot disagree,
 * whatever order the stat and business events arrived in.
 */
public final class LegacyRowRebuilder {

    /**
     * Where one side of a legacy row (the stat's {@code metric_value} or the KPI's
     * {@code business_metric_value}, each with its {@code updated_at}) comes from.
     */
    public enum Side {
        /** Looked up by key in its table: a statement that does not change that table. */
        LOOKUP,
        /**
         * Read from the keys' own columns: the rows a statement has just changed, as its
         * {@code RETURNING} gives them (its other parts still see the table as it was before).
         */
        GIVEN,
        /** Absent: the KPI the statement has just withdrawn (the stat side is never absent). */
        NONE,
        /**
         * Read from the keys' own columns where the statement changed that side, looked up by key
         * where it did not: a statement that upserts the stats and the KPIs of the same keys. The
         * keys carry {@code stat_changed}, {@code metric_value}, {@code stat_updated_at} and
         * {@code business_changed}, {@code business_metric_value}, {@code business_updated_at}; a
         * lookup reads the table as it was before the statement, which is as it is for a side the
         * statement did not change.
         */
        GIVEN_IF_CHANGED
    }

    static final String INSERT = """
            INSERT INTO ml_monitoring.model_stats_daily_legacy AS l
                   (model_name, model_version, stat_date, slice_key, metric_name, metric_value, business_metric_value, updated_at)
            """;

    /** Writes a legacy row only when it differs, so a rebuild that changes nothing writes nothing. */
    static final String UPSERT_TAIL = """
            ON CONFLICT (model_name, model_version, stat_date, slice_key, metric_name) DO UPDATE
            SET metric_value = EXCLUDED.metric_value,
                business_metric_value = EXCLUDED.business_metric_value,
                updated_at = EXCLUDED.updated_at
            WHERE (l.metric_value, l.business_metric_value, l.updated_at)
                  IS DISTINCT FROM (EXCLUDED.metric_value, EXCLUDED.business_metric_value, EXCLUDED.updated_at)
            """;

    /**
     * Writes a legacy row only when its facts differ, not its bookkeeping: what a repair of the
     * legacy table from the new tables ({@code backfill --direction new-to-legacy}) writes, so that
     * it touches only the rows that tell another story.
     */
    static final String UPSERT_FACTS_TAIL = """
            ON CONFLICT (model_name, model_version, stat_date, slice_key, metric_name) DO UPDATE
            SET metric_value = EXCLUDED.metric_value, business_metric_value = EXCLUDED.business_metric_value,
                updated_at = EXCLUDED.updated_at
            WHERE (l.metric_value, l.business_metric_value)
                  IS DISTINCT FROM (EXCLUDED.metric_value, EXCLUDED.business_metric_value)
            """;

    private static final String SAME_KEY = """
            WHERE %2$s.model_name = %1$s.model_name AND %2$s.model_version = %1$s.model_version AND %2$s.stat_date = %1$s.stat_date
                  AND %2$s.slice_key = %1$s.slice_key AND %2$s.metric_type = %1$s.metric_type AND %2$s.metric_key = %1$s.metric_key
            """;

    private static final String KEY_COLUMNS = "model_name, model_version, stat_date, slice_key, metric_type, metric_key";

    /** The rebuild for the keys of a batch, bound as six arrays. */
    static final String FOR_KEYS = upsert(rebuild("""
            unnest(?::text[], ?::text[], ?::date[], ?::text[], ?::text[], ?::text[])
                   AS k(model_name, model_version, stat_date, slice_key, metric_type, metric_key)""", "k", Side.LOOKUP, Side.LOOKUP));

    /**
     * The rebuild for every key written to the new tables after a write sequence number (stats,
     * business values, withdrawals). It reads the new tables once for the keys written since, then
     * looks each of those up, so its cost follows the rows written while dual-write was off, not the
     * size of the history.
     */
    static final String SINCE_WRITE_SEQ = upsert(rebuild("""
            (SELECT %1$s FROM ml_monitoring.model_stats_daily WHERE write_seq > ?
             UNION SELECT %1$s FROM ml_monitoring.model_business_stats_daily WHERE write_seq > ?
             UNION SELECT %1$s FROM ml_monitoring.business_withdrawals WHERE write_seq > ?
             OFFSET 0) k""".formatted(KEY_COLUMNS), "k", Side.LOOKUP, Side.LOOKUP));

    private LegacyRowRebuilder() {
    }

    /**
     * The legacy rows of the keys in {@code from} (a FROM item whose alias {@code keys} has the six
     * key columns, and, for a {@link Side#GIVEN} side, that side's value and {@code updated_at}),
     * as {@code model_stats_daily_legacy_rebuilt} defines them (the same joins): a key without a
     * stat or without a catalog entry has no legacy row. Each key drives its own primary-key
     * lookups: the {@code OFFSET 0} fences keep the planner from flattening the lookups into a join
     * order that probes the indexes by (type, key) only, which it picks when statistics call the
     * tables tiny, or into a join of the whole history.
     */
    public static String rebuild(String from, String keys, Side stat, Side business) {
        if (stat == Side.NONE) {
            throw new IllegalArgumentException("a legacy row always has its stat");
        }
        String statValue = switch (stat) {
            case GIVEN -> keys + ".metric_value";
            case GIVEN_IF_CHANGED -> "CASE WHEN " + keys + ".stat_changed THEN " + keys + ".metric_value ELSE s.metric_value END";
            default -> "s.metric_value";
        };
        String statUpdated = switch (stat) {
            case GIVEN -> keys + ".updated_at";
            case GIVEN_IF_CHANGED -> "CASE WHEN " + keys + ".stat_changed THEN " + keys + ".stat_updated_at ELSE s.updated_at END";
            default -> "s.updated_at";
        };
        String businessValue = switch (business) {
            case GIVEN -> keys + ".business_metric_value";
            case GIVEN_IF_CHANGED -> "CASE WHEN " + keys + ".business_changed THEN " + keys + ".business_metric_value "
                    + "ELSE b.business_metric_value END";
            case LOOKUP -> "b.business_metric_value";
            case NONE -> "NULL";
        };
        String updated = switch (business) {
            case GIVEN -> "GREATEST(" + statUpdated + ", " + keys + ".updated_at)";
            case GIVEN_IF_CHANGED -> "GREATEST(" + statUpdated + ", CASE WHEN " + keys + ".business_changed THEN " + keys
                    + ".business_updated_at ELSE b.updated_at END)";
            case LOOKUP -> "GREATEST(" + statUpdated + ", b.updated_at)";
            case NONE -> statUpdated;
        };
        StringBuilder sql = new StringBuilder()
                .append("SELECT ").append(keys).append(".model_name, ").append(keys).append(".model_version, ")
                .append(keys).append(".stat_date, ").append(keys).append(".slice_key, c.metric_name, ")
                .append(statValue).append(", ").append(businessValue).append(", ").append(updated).append('\n')
                .append("FROM ").append(from).append('\n')
                .append("JOIN ml_monitoring.metric_catalog c ON c.metric_type = ").append(keys)
                .append(".metric_type AND c.metric_key = ").append(keys).append(".metric_key\n");
        if (stat == Side.LOOKUP) {
            sql.append("CROSS JOIN LATERAL (\n    SELECT s.metric_value, s.updated_at FROM ml_monitoring.model_stats_daily s\n")
                    .append(SAME_KEY.formatted(keys, "s")).append("    OFFSET 0) s\n");
        } else if (stat == Side.GIVEN_IF_CHANGED) {
            // looked up only where the statement did not change the stat (a one-time filter of each key's probe)
            sql.append("LEFT JOIN LATERAL (\n    SELECT s.metric_value, s.updated_at FROM ml_monitoring.model_stats_daily s\n")
                    .append(SAME_KEY.formatted(keys, "s")).append("    AND NOT ").append(keys).append(".stat_changed OFFSET 0) s ON true\n");
        }
        if (business == Side.LOOKUP) {
            sql.append("LEFT JOIN LATERAL (\n")
                    .append("    SELECT b.business_metric_value, b.updated_at FROM ml_monitoring.model_business_stats_daily b\n")
                    .append(SAME_KEY.formatted(keys, "b")).append("    OFFSET 0) b ON true\n");
        } else if (business == Side.GIVEN_IF_CHANGED) {
            sql.append("LEFT JOIN LATERAL (\n")
                    .append("    SELECT b.business_metric_value, b.updated_at FROM ml_monitoring.model_business_stats_daily b\n")
                    .append(SAME_KEY.formatted(keys, "b")).append("    AND NOT ").append(keys).append(".business_changed OFFSET 0) b ON true\n");
        }
        if (stat == Side.GIVEN_IF_CHANGED) {
            sql.append("WHERE ").append(keys).append(".stat_changed OR s.updated_at IS NOT NULL\n");
        }
        return sql.toString();
    }

    /**
     * The legacy rows of the facts in {@code chunk} inserted into {@code target}, a table of the
     * legacy table's columns that is to become a month's partition, built beside the new tables'
     * partitions of the same month filled from the same chunk with the same {@code updatedAt}
     * ({@code HistoryStatements.historyStatsInto}, {@code historyBusinessInto}). Their rebuild is then
     * known without reading them: every key with a stat has a legacy row with the stat's value and
     * {@code businessValue} (an SQL expression: the KPI the business partition holds for the key,
     * or NULL), and both sides share {@code updated_at}. {@code chunk}'s alias {@code k} has the
     * legacy columns and the catalog's {@code metric_type}, {@code metric_key} of its
     * {@code metric_name}.
     */
    public static String historyInto(String target, String chunk, String businessValue, String updatedAt) {
        return """
                INSERT INTO %1$s
                       (model_name, model_version, stat_date, slice_key, metric_name, metric_value, business_metric_value, updated_at)
                SELECT k.model_name, k.model_version, k.stat_date, k.slice_key, k.metric_name, k.metric_value, %3$s, %4$s
                FROM %2$s k WHERE k.metric_type IS NOT NULL AND k.metric_value IS NOT NULL
                """.formatted(target, chunk, businessValue, updatedAt);
    }

    /** {@code rows} (a {@link #rebuild} of the eight legacy columns) written into the legacy table. */
    public static String upsert(String rows) {
        return INSERT + rows + UPSERT_TAIL;
    }

    /** {@code rows} (the eight legacy columns) written into the legacy table where their facts differ. */
    public static String repair(String rows) {
        return INSERT + rows + UPSERT_FACTS_TAIL;
    }

    /** Rewrites the legacy rows of these row keys from the new tables; returns rows inserted or changed. */
    public static int rebuild(Connection connection, Collection<RowKey> keys) throws SQLException {
        if (keys.isEmpty()) {
            return 0;
        }
        int n = keys.size();
        String[][] columns = new String[6][n];
        int i = 0;
        for (RowKey key : keys) {
            columns[0][i] = key.modelName();
            columns[1][i] = key.modelVersion();
            columns[2][i] = key.statDate().toString();
            columns[3][i] = key.sliceKey();
            columns[4][i] = key.metricType().name();
            columns[5][i] = key.metricKey();
            i++;
        }
        try (PreparedStatement statement = connection.prepareStatement(FOR_KEYS)) {
            for (int p = 0; p < columns.length; p++) {
                Array array = connection.createArrayOf("text", columns[p]);
                statement.setArray(p + 1, array);
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

package statbridge.sink.writer;

/**
 * The statements that copy history into the new tables, for the backfill and the import: rows
 * written as history (event time {@code -infinity}, offset -1) lose to any event the sink writes,
 * never change a row the sink wrote, and leave out any KPI a withdrawal removed.
 */
public final class HistoryStatements {

    private HistoryStatements() {
    }

    /**
     * Where history written by a migration tool came from: the {@code source_topic} it is recorded
     * with and its write sequence number, each an SQL expression (a literal or a placeholder).
     * The backfill writes {@link #BACKFILL} (its rows come from the legacy shape, which a switch back
     * on keeps); an import takes a real write sequence number, so that switching dual-write back on
     * rebuilds the legacy rows of what it wrote while dual-write was off.
     */
    public record Lineage(String sourceTopic, String writeSeq) {
        public static final Lineage BACKFILL = new Lineage("'backfill'", "0");
    }

    /**
     * Copies the stats of {@code chunk} (a CTE with the legacy columns and the catalog's
     * {@code metric_type}, {@code metric_key}) as history: event time {@code -infinity}, offset -1,
     * so any event the sink writes wins over it, and a row the sink wrote ({@code source_offset >= 0})
     * is never changed. For a statement's {@code WITH} list; add {@code RETURNING} as needed.
     */
    public static String backfillStats(String chunk, Lineage lineage) {
        return historyStatsInto("ml_monitoring.model_stats_daily AS t", chunk, lineage, "now()") + """
                ON CONFLICT (model_name, model_version, stat_date, slice_key, metric_type, metric_key) DO UPDATE
                SET metric_value = EXCLUDED.metric_value, updated_at = EXCLUDED.updated_at,
                    source_topic = EXCLUDED.source_topic, write_seq = GREATEST(t.write_seq, EXCLUDED.write_seq)
                WHERE t.source_offset = -1 AND t.metric_value IS DISTINCT FROM EXCLUDED.metric_value
                """;
    }

    /** As {@link #backfillStats} for the business values, leaving out any KPI a withdrawal removed. */
    public static String backfillBusiness(String chunk, Lineage lineage) {
        return historyBusinessInto("ml_monitoring.model_business_stats_daily AS t", chunk, lineage, "now()") + """
                ON CONFLICT (model_name, model_version, stat_date, slice_key, metric_type, metric_key) DO UPDATE
                SET business_metric_value = EXCLUDED.business_metric_value, updated_at = EXCLUDED.updated_at,
                    source_topic = EXCLUDED.source_topic, write_seq = GREATEST(t.write_seq, EXCLUDED.write_seq)
                WHERE t.source_offset = -1 AND t.business_metric_value IS DISTINCT FROM EXCLUDED.business_metric_value
                """;
    }

    /**
     * The rows {@link #backfillStats} would write for {@code chunk}, inserted into {@code table}:
     * a table of {@code model_stats_daily}'s columns that holds nothing of these keys yet and is to
     * become a month's partition ({@code Partitions.attachIn}), so a plain insert is enough.
     * {@code updatedAt} is an SQL expression for the rows' {@code updated_at}.
     */
    public static String historyStatsInto(String target, String chunk, Lineage lineage, String updatedAt) {
        return """
                INSERT INTO %1$s
                       (model_name, model_version, stat_date, slice_key, metric_type, metric_key, metric_value,
                        event_time, source_offset, source_topic, source_partition, write_seq, updated_at)
                SELECT model_name, model_version, stat_date, slice_key, metric_type, metric_key, metric_value,
                       '-infinity', -1, %3$s, NULL, %4$s, %5$s
                FROM %2$s WHERE metric_type IS NOT NULL AND metric_value IS NOT NULL
                """.formatted(target, chunk, lineage.sourceTopic(), lineage.writeSeq(), updatedAt);
    }

    /** As {@link #historyStatsInto} for the business values ({@link #backfillBusiness}'s rows). */
    public static String historyBusinessInto(String target, String chunk, Lineage lineage, String updatedAt) {
        return """
                INSERT INTO %1$s
                       (model_name, model_version, stat_date, slice_key, metric_type, metric_key, business_metric_value,
                        event_time, source_offset, source_topic, source_partition, write_seq, updated_at)
                SELECT k.model_name, k.model_version, k.stat_date, k.slice_key, k.metric_type, k.metric_key,
                       k.business_metric_value, '-infinity', -1, %3$s, NULL, %4$s, %5$s
                FROM %2$s k
                WHERE k.metric_type IS NOT NULL AND k.business_metric_value IS NOT NULL AND NOT %6$s
                """.formatted(target, chunk, lineage.sourceTopic(), lineage.writeSeq(), updatedAt, withdrawn("k"));
    }

    /**
     * Whether the KPI of the key in {@code keys} (an alias with the six key columns) was withdrawn:
     * an SQL condition.
     */
    public static String withdrawn(String keys) {
        return """
                EXISTS (SELECT 1 FROM ml_monitoring.business_withdrawals w
                        WHERE w.model_name = %1$s.model_name AND w.model_version = %1$s.model_version
                          AND w.stat_date = %1$s.stat_date AND w.slice_key = %1$s.slice_key
                          AND w.metric_type = %1$s.metric_type AND w.metric_key = %1$s.metric_key)""".formatted(keys);
    }
}

package statbridge.sink.writer;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Collection;
import java.util.List;
import statbridge.sink.legacy.LegacyRowRebuilder.Side;
import statbridge.sink.legacy.LegacyRowRebuilder;

/**
 * The one owner of the new tables' write statements: {@code model_stats_daily},
 * {@code model_business_stats_daily} and {@code business_withdrawals}. The sink's are "later
 * wins" by record timestamp, then offset, with the facts bound as arrays, each in two forms:
 * alone, and with the legacy rows of exactly the rows it changed rewritten in the same statement,
 * for a batch written while dual-write is on. The statements that copy history (the backfill's
 * and the import's) are {@link HistoryStatements}'.
 */
public final class StatTables {

    /** What one statement changed: rows of its table, and legacy rows it rewrote with them. */
    record Written(int rows, int legacyRows) {
        static final Written NOTHING = new Written(0, 0);

        Written plus(Written other) {
            return new Written(rows + other.rows, legacyRows + other.legacyRows);
        }
    }

    private static final String EVENT_TIME = "timestamptz 'epoch' + u.event_ms * interval '1 millisecond'";
    /** Keeps an older event from bringing back a KPI a later withdrawal removed. */
    private static final String NOT_WITHDRAWN = """
            WHERE NOT EXISTS (
                    SELECT 1 FROM ml_monitoring.business_withdrawals w
                    WHERE w.model_name = u.model_name AND w.model_version = u.model_version AND w.stat_date = u.stat_date
                      AND w.slice_key = u.slice_key AND w.metric_type = u.metric_type AND w.metric_key = u.metric_key
                      AND (w.event_time, w.source_offset) >= (%s, u.source_offset))
            """.formatted(EVENT_TIME);
    static final String UPSERT_STATS = upsertInto("model_stats_daily", "metric_value", "");
    static final String UPSERT_BUSINESS = upsertInto("model_business_stats_daily", "business_metric_value", NOT_WITHDRAWN);

    /**
     * The "later wins" upsert of one of the two new tables (names from this class, never from
     * input): the facts bound as arrays, written where the stored row is older by event time, then offset.
     */
    private static String upsertInto(String table, String valueColumn, String filter) {
        return """
            INSERT INTO ml_monitoring.%1$s AS t
                   (model_name, model_version, stat_date, slice_key, metric_type, metric_key, %2$s,
                    event_time, source_offset, source_topic, source_partition, write_seq, updated_at)
            SELECT u.model_name, u.model_version, u.stat_date, u.slice_key, u.metric_type, u.metric_key, u.value,
                   %3$s, u.source_offset, ?, u.source_partition, ?, now()
            FROM unnest(?::text[], ?::text[], ?::date[], ?::text[], ?::text[], ?::text[], ?::float8[], ?::bigint[], ?::bigint[], ?::int[])
                   AS u(model_name, model_version, stat_date, slice_key, metric_type, metric_key, value, event_ms, source_offset, source_partition)
            %4$sON CONFLICT (model_name, model_version, stat_date, slice_key, metric_type, metric_key) DO UPDATE
            SET %2$s = EXCLUDED.%2$s, event_time = EXCLUDED.event_time,
                source_offset = EXCLUDED.source_offset, source_topic = EXCLUDED.source_topic,
                source_partition = EXCLUDED.source_partition, write_seq = EXCLUDED.write_seq, updated_at = EXCLUDED.updated_at
            WHERE (t.event_time, t.source_offset) < (EXCLUDED.event_time, EXCLUDED.source_offset)
            """.formatted(table, valueColumn, EVENT_TIME, filter);
    }

    static final String DELETE_WITHDRAWN = """
            DELETE FROM ml_monitoring.model_business_stats_daily b
            USING unnest(?::text[], ?::text[], ?::date[], ?::text[], ?::text[], ?::text[], ?::bigint[], ?::bigint[])
                   AS u(model_name, model_version, stat_date, slice_key, metric_type, metric_key, event_ms, source_offset)
            WHERE b.model_name = u.model_name AND b.model_version = u.model_version AND b.stat_date = u.stat_date
              AND b.slice_key = u.slice_key AND b.metric_type = u.metric_type AND b.metric_key = u.metric_key
              AND (b.event_time, b.source_offset) < (%s, u.source_offset)
            """.formatted(EVENT_TIME);
    static final String UPSERT_WITHDRAWALS = """
            INSERT INTO ml_monitoring.business_withdrawals AS t
                   (model_name, model_version, stat_date, slice_key, metric_type, metric_key, event_time, source_offset, write_seq, updated_at)
            SELECT u.model_name, u.model_version, u.stat_date, u.slice_key, u.metric_type, u.metric_key, %s, u.source_offset, ?, now()
            FROM unnest(?::text[], ?::text[], ?::date[], ?::text[], ?::text[], ?::text[], ?::bigint[], ?::bigint[])
                   AS u(model_name, model_version, stat_date, slice_key, metric_type, metric_key, event_ms, source_offset)
            ON CONFLICT (model_name, model_version, stat_date, slice_key, metric_type, metric_key) DO UPDATE
            SET event_time = EXCLUDED.event_time, source_offset = EXCLUDED.source_offset,
                write_seq = EXCLUDED.write_seq, updated_at = EXCLUDED.updated_at
            WHERE (t.event_time, t.source_offset) < (EXCLUDED.event_time, EXCLUDED.source_offset)
            """.formatted(EVENT_TIME);
    /** The columns of a stat table's primary key, as {@code RETURNING} gives them to the legacy rebuild. */
    private static final String RETURNING_KEY = "RETURNING t.model_name, t.model_version, t.stat_date, t.slice_key, t.metric_type, t.metric_key";
    /**
     * While dual-write is on, each statement that changes a new table also rewrites, in the same
     * statement, the legacy rows of exactly the rows it changed ({@code w}, from its
     * {@code RETURNING}), with the one rebuild ({@link LegacyRowRebuilder#rebuild}). A row the
     * batch did not change (an older event lost to "later wins") keeps its legacy row, which
     * already matches. Keys with both a stat and a business event in the batch are left to one
     * rebuild after both are written ({@link LegacyRowRebuilder#rebuild(Connection, Collection)}),
     * so no legacy row is written twice in a batch.
     */
    static final String STATS_WITH_LEGACY = withLegacy(UPSERT_STATS + RETURNING_KEY + ", t.metric_value, t.updated_at",
            LegacyRowRebuilder.rebuild("w", "w", Side.GIVEN, Side.LOOKUP));
    static final String BUSINESS_WITH_LEGACY = withLegacy(UPSERT_BUSINESS + RETURNING_KEY + ", t.business_metric_value, t.updated_at",
            LegacyRowRebuilder.rebuild("w", "w", Side.LOOKUP, Side.GIVEN));
    static final String WITHDRAW_WITH_LEGACY = withLegacy(DELETE_WITHDRAWN + RETURNING_KEY.replace("t.", "b."),
            LegacyRowRebuilder.rebuild("w", "w", Side.LOOKUP, Side.NONE));

    /**
     * The stats and the KPIs of the same keys (a batch that carries both for a key, while
     * dual-write is on) upserted in one statement with their legacy rows: each legacy row from what
     * the two upserts changed, as their {@code RETURNING} gives it, paired by a full join of the two
     * (a hash or merge join: a nested loop cannot do a full join, so no plan compares every row of
     * one with every row of the other), and from a lookup only for a side the statement left as it
     * was. A key neither changed keeps its legacy row, which already matches. Where the KPI is a
     * withdrawal, the legacy row is rebuilt after it instead ({@link LegacyRowRebuilder#rebuild(Connection, Collection)}).
     */
    static final String STATS_AND_BUSINESS_WITH_LEGACY = "WITH s AS (\n" + UPSERT_STATS + RETURNING_KEY
            + ", t.metric_value, t.updated_at\n), b AS (\n" + UPSERT_BUSINESS + RETURNING_KEY
            + ", t.business_metric_value, t.updated_at\n), w AS (\n"
            + "    SELECT " + String.join(", ", java.util.stream.Stream.of("model_name", "model_version", "stat_date", "slice_key",
                    "metric_type", "metric_key").map(c -> "coalesce(s." + c + ", b." + c + ") AS " + c).toList()) + ",\n"
            + "           s.model_name IS NOT NULL AS stat_changed, s.metric_value, s.updated_at AS stat_updated_at,\n"
            + "           b.model_name IS NOT NULL AS business_changed, b.business_metric_value, b.updated_at AS business_updated_at\n"
            + "    FROM s FULL JOIN b ON b.model_name = s.model_name AND b.model_version = s.model_version AND b.stat_date = s.stat_date\n"
            + "                      AND b.slice_key = s.slice_key AND b.metric_type = s.metric_type AND b.metric_key = s.metric_key\n"
            + "), l AS (\n" + LegacyRowRebuilder.upsert(LegacyRowRebuilder.rebuild("w", "w", Side.GIVEN_IF_CHANGED, Side.GIVEN_IF_CHANGED))
            + "RETURNING 1\n)\nSELECT (SELECT count(*) FROM s), (SELECT count(*) FROM b), (SELECT count(*) FROM l)";

    private static String withLegacy(String change, String legacy) {
        return "WITH w AS (\n" + change + "\n), l AS (\n" + LegacyRowRebuilder.upsert(legacy) + "RETURNING 1\n)\n"
                + "SELECT (SELECT count(*) FROM w), (SELECT count(*) FROM l)";
    }

    /**
     * Bound to real arrays, the withdrawal's join is costed as a probe of every monthly partition
     * per key (the planner cannot count on pruning at run time), so it prefers hashing the whole
     * business table, a scan per batch that grows with the history. Probing by key is right for
     * any batch, so the withdrawal is planned with nested loops only, then the settings go back.
     */
    static final String NESTED_LOOPS_ONLY = "SELECT set_config('enable_hashjoin', 'off', true), set_config('enable_mergejoin', 'off', true)";
    static final String JOINS_AS_BEFORE = "SELECT set_config(name, reset_val, true) FROM pg_settings "
            + "WHERE name IN ('enable_hashjoin', 'enable_mergejoin')";

    private StatTables() {
    }

    /** Runs an upsert; returns the rows it changed and, with {@code withLegacy}, the legacy rows it wrote. */
    static Written upsert(Connection connection, String sql, Collection<Fact> facts, long writeSeq, boolean withLegacy)
            throws SQLException {
        if (facts.isEmpty()) {
            return Written.NOTHING;
        }
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            bindUpsert(connection, statement, 1, facts, writeSeq);
            return execute(statement, withLegacy);
        }
    }

    /**
     * Upserts the stats and the KPIs of the same keys with their legacy rows ({@link #STATS_AND_BUSINESS_WITH_LEGACY});
     * returns the stat rows, then the KPI rows, each with the legacy rows the statement wrote.
     */
    static Written[] upsertBoth(Connection connection, Collection<Fact> stats, Collection<Fact> values, long writeSeq) throws SQLException {
        if (stats.isEmpty() && values.isEmpty()) {
            return new Written[] {Written.NOTHING, Written.NOTHING};
        }
        try (PreparedStatement statement = connection.prepareStatement(STATS_AND_BUSINESS_WITH_LEGACY)) {
            int next = bindUpsert(connection, statement, 1, stats, writeSeq);
            bindUpsert(connection, statement, next, values, writeSeq);
            try (ResultSet counts = statement.executeQuery()) {
                counts.next();
                return new Written[] {new Written(counts.getInt(1), counts.getInt(3)), new Written(counts.getInt(2), 0)};
            }
        }
    }

    /** Binds an upsert's topic, write sequence number and ten arrays of facts from parameter {@code first}; returns the next. */
    private static int bindUpsert(Connection connection, PreparedStatement statement, int first, Collection<Fact> facts, long writeSeq)
            throws SQLException {
        int n = facts.size();
        String[] models = new String[n];
        String[] versions = new String[n];
        String[] dates = new String[n];
        String[] slices = new String[n];
        String[] types = new String[n];
        String[] keys = new String[n];
        Double[] values = new Double[n];
        Long[] times = new Long[n];
        Long[] offsets = new Long[n];
        Integer[] partitions = new Integer[n];
        String topic = null;
        int i = 0;
        for (Fact fact : facts) {
            models[i] = fact.modelName();
            versions[i] = fact.modelVersion();
            dates[i] = fact.statDate().toString();
            slices[i] = fact.sliceKey();
            types[i] = fact.metricType().name();
            keys[i] = fact.metricKey();
            values[i] = fact.value();
            times[i] = fact.eventTimeMillis();
            offsets[i] = fact.offset();
            partitions[i] = fact.partition();
            topic = fact.topic();
            i++;
        }
        statement.setString(first, topic);
        statement.setLong(first + 1, writeSeq);
        Array[] arrays = {
            connection.createArrayOf("text", models), connection.createArrayOf("text", versions),
            connection.createArrayOf("text", dates), connection.createArrayOf("text", slices),
            connection.createArrayOf("text", types), connection.createArrayOf("text", keys),
            connection.createArrayOf("float8", values), connection.createArrayOf("int8", times),
            connection.createArrayOf("int8", offsets), connection.createArrayOf("int4", partitions)
        };
        for (int p = 0; p < arrays.length; p++) {
            statement.setArray(first + 2 + p, arrays[p]);
        }
        return first + 2 + arrays.length;
    }

    private static Written execute(PreparedStatement statement, boolean withLegacy) throws SQLException {
        if (!withLegacy) {
            return new Written(statement.executeUpdate(), 0);
        }
        try (ResultSet counts = statement.executeQuery()) {
            counts.next();
            return new Written(counts.getInt(1), counts.getInt(2));
        }
    }

    /** Withdraws KPIs; returns the business rows deleted and, with {@code withLegacy}, the legacy rows it wrote. */
    static Written withdraw(Connection connection, List<Fact> facts, long writeSeq, boolean withLegacy) throws SQLException {
        if (facts.isEmpty()) {
            return Written.NOTHING;
        }
        int n = facts.size();
        String[][] text = new String[6][n];
        Long[] times = new Long[n];
        Long[] offsets = new Long[n];
        for (int i = 0; i < n; i++) {
            Fact fact = facts.get(i);
            text[0][i] = fact.modelName();
            text[1][i] = fact.modelVersion();
            text[2][i] = fact.statDate().toString();
            text[3][i] = fact.sliceKey();
            text[4][i] = fact.metricType().name();
            text[5][i] = fact.metricKey();
            times[i] = fact.eventTimeMillis();
            offsets[i] = fact.offset();
        }
        Written deleted;
        run(connection, NESTED_LOOPS_ONLY);
        try (PreparedStatement delete = connection.prepareStatement(withLegacy ? WITHDRAW_WITH_LEGACY : DELETE_WITHDRAWN)) {
            for (int p = 0; p < 6; p++) {
                delete.setArray(p + 1, connection.createArrayOf("text", text[p]));
            }
            delete.setArray(7, connection.createArrayOf("int8", times));
            delete.setArray(8, connection.createArrayOf("int8", offsets));
            deleted = execute(delete, withLegacy);
        }
        run(connection, JOINS_AS_BEFORE);
        try (PreparedStatement tombstones = connection.prepareStatement(UPSERT_WITHDRAWALS)) {
            tombstones.setLong(1, writeSeq);
            for (int p = 0; p < 6; p++) {
                tombstones.setArray(p + 2, connection.createArrayOf("text", text[p]));
            }
            tombstones.setArray(8, connection.createArrayOf("int8", times));
            tombstones.setArray(9, connection.createArrayOf("int8", offsets));
            tombstones.executeUpdate();
        }
        return deleted;
    }

    private static void run(Connection connection, String sql) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(sql); ResultSet ignored = statement.executeQuery()) {
            // set_config returns the new values
        }
    }
}

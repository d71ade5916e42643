package statbridge.sink.writer;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import org.apache.kafka.common.TopicPartition;
import statbridge.sink.catalog.CatalogTable;
import statbridge.sink.db.RowKey;
import statbridge.sink.deadletter.DeadLetterOutbox;
import statbridge.sink.dualwrite.DualWriteState;
import statbridge.sink.legacy.LegacyRowRebuilder.Side;
import statbridge.sink.legacy.LegacyRowRebuilder;
import statbridge.sink.offsets.OffsetRange;
import statbridge.sink.offsets.OffsetTable;

/**
 * Writes one batch in one transaction: it reads the dual-write state (sharing the lock the switch
 * takes, so a batch is wholly dual-written or not), takes a write sequence number, adds new
 * catalog entries, upserts the stats and business stats ("later wins" by record timestamp, then
 * offset), withdraws KPIs for null business values, rewrites the touched legacy rows while
 * dual-write is on, and stores the consumed offsets, refusing if another instance moved them.
 *
 * <p>A legacy row is rebuilt from both new tables, so the transaction that writes a stat must see
 * the KPI of the same row and the other way round. A stat and its KPI carry the same key, which
 * puts them in the same partition number of their two topics; while dual-write is on, a batch
 * therefore first takes a lock per partition number it carries. Two instances (or lanes) whose
 * partitions share a number (an assignor that does not co-partition the topics leaves it so)
 * then write one after the other, and the second sees the first's half; instances with disjoint
 * partition numbers, as the default range assignor gives them, never wait for each other.
 */
public final class BatchWriter {

    /** The first key of the legacy-row locks ("SbLg"), so that they stay apart from other advisory locks. */
    static final int LEGACY_LOCK_SPACE = 0x53624C67;
    /**
     * Takes the legacy-row lock of each key bucket, in the order given (ascending, so two batches
     * never wait for each other in a cycle), until the transaction ends. See {@link #write}.
     */
    static final String LOCK_LEGACY_ROWS = "SELECT pg_advisory_xact_lock(" + LEGACY_LOCK_SPACE + ", p) FROM unnest(?::int4[]) AS p";
    /** The second key of the lock every dual-written batch shares and a legacy rebuild takes alone. */
    public static final int LEGACY_WRITERS = -1;
    /**
     * Taken shared by every batch that writes legacy rows (batches never wait for each other on it)
     * and exclusively by {@code backfill --direction new-to-legacy}, whose rebuild must not read the
     * new tables while a batch is changing them, or it would write an older legacy row over the
     * batch's newer one. Taken before the key locks, so the two kinds never wait in a cycle.
     */
    public static final String SHARE_LEGACY_WRITES = "SELECT pg_advisory_xact_lock_shared(" + LEGACY_LOCK_SPACE + ", "
            + LEGACY_WRITERS + ")";
    /** What a legacy rebuild outside the sink takes: see {@link #SHARE_LEGACY_WRITES}. */
    public static final String EXCLUDE_LEGACY_WRITES = "SELECT pg_advisory_xact_lock(" + LEGACY_LOCK_SPACE + ", " + LEGACY_WRITERS + ")";
    private static final String EVENT_TIME = "timestamptz 'epoch' + u.event_ms * interval '1 millisecond'";
    static final String UPSERT_STATS = """
            INSERT INTO ml_monitoring.model_stats_daily AS t
                   (model_name, model_version, stat_date, slice_key, metric_type, metric_key, metric_value,
                    event_time, source_offset, source_topic, source_partition, write_seq, updated_at)
            SELECT u.model_name, u.model_version, u.stat_date, u.slice_key, u.metric_type, u.metric_key, u.value,
                   %s, u.source_offset, ?, u.source_partition, ?, now()
            FROM unnest(?::text[], ?::text[], ?::date[], ?::text[], ?::text[], ?::text[], ?::float8[], ?::bigint[], ?::bigint[], ?::int[])
                   AS u(model_name, model_version, stat_date, slice_key, metric_type, metric_key, value, event_ms, source_offset, source_partition)
            ON CONFLICT (model_name, model_version, stat_date, slice_key, metric_type, metric_key) DO UPDATE
            SET metric_value = EXCLUDED.metric_value, event_time = EXCLUDED.event_time,
                source_offset = EXCLUDED.source_offset, source_topic = EXCLUDED.source_topic,
                source_partition = EXCLUDED.source_partition, write_seq = EXCLUDED.write_seq, updated_at = EXCLUDED.updated_at
            WHERE (t.event_time, t.source_offset) < (EXCLUDED.event_time, EXCLUDED.source_offset)
            """.formatted(EVENT_TIME);
    static final String UPSERT_BUSINESS = """
            INSERT INTO ml_monitoring.model_business_stats_daily AS t
                   (model_name, model_version, stat_date, slice_key, metric_type, metric_key, business_metric_value,
                    event_time, source_offset, source_topic, source_partition, write_seq, updated_at)
            SELECT u.model_name, u.model_version, u.stat_date, u.slice_key, u.metric_type, u.metric_key, u.value,
                   %s, u.source_offset, ?, u.source_partition, ?, now()
            FROM unnest(?::text[], ?::text[], ?::date[], ?::text[], ?::text[], ?::text[], ?::float8[], ?::bigint[], ?::bigint[], ?::int[])
                   AS u(model_name, model_version, stat_date, slice_key, metric_type, metric_key, value, event_ms, source_offset, source_partition)
            WHERE NOT EXISTS (
                    SELECT 1 FROM ml_monitoring.business_withdrawals w
                    WHERE w.model_name = u.model_name AND w.model_version = u.model_version AND w.stat_date = u.stat_date
                      AND w.slice_key = u.slice_key AND w.metric_type = u.metric_type AND w.metric_key = u.metric_key
                      AND (w.event_time, w.source_offset) >= (%s, u.source_offset))
            ON CONFLICT (model_name, model_version, stat_date, slice_key, metric_type, metric_key) DO UPDATE
            SET business_metric_value = EXCLUDED.business_metric_value, event_time = EXCLUDED.event_time,
                source_offset = EXCLUDED.source_offset, source_topic = EXCLUDED.source_topic,
                source_partition = EXCLUDED.source_partition, write_seq = EXCLUDED.write_seq, updated_at = EXCLUDED.updated_at
            WHERE (t.event_time, t.source_offset) < (EXCLUDED.event_time, EXCLUDED.source_offset)
            """.formatted(EVENT_TIME, EVENT_TIME);
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

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(BatchWriter.class);

    private final String consumerGroup;
    private final OffsetTable offsets;
    private volatile int lockBuckets;

    public BatchWriter(String consumerGroup) {
        this.consumerGroup = consumerGroup;
        this.offsets = new OffsetTable(consumerGroup);
    }

    /**
     * Locks legacy rows by the partition the Java partitioner gives each key among
     * {@code partitions} (the input topics' partition count), not by the partition a record came
     * from: a stat and its KPI then take the same lock even when a producer with another
     * partitioner put them in different partitions, and instances holding disjoint partitions of
     * Java producers' records still never wait for each other. Until it is set, the partition a
     * record came from is used.
     */
    public void lockBuckets(int partitions) {
        if (partitions < 1) {
            throw new IllegalArgumentException("at least one partition, not " + partitions);
        }
        lockBuckets = partitions;
    }

    /**
     * Writes the batch and commits.
     *
     * @throws FencedException when the stored offsets are not the expected ones (nothing is written)
     * @throws SQLException when the database fails (nothing is written)
     */
    public BatchResult write(Connection connection, Batch batch) throws SQLException {
        try {
            boolean dualWrite = DualWriteState.isOnForBatch(connection);
            if (dualWrite) {
                lockLegacyRows(connection, batch.facts());
            }
            long writeSeq = DualWriteState.nextWriteSeq(connection);
            CatalogTable.insert(connection, batch.newCatalogEntries());

            Collection<Fact> stats = Batch.latestPerRow(batch.facts(), Fact.Kind.STAT);
            Collection<Fact> business = Batch.latestPerRow(batch.facts(), Fact.Kind.BUSINESS);
            List<Fact> values = new ArrayList<>();
            List<Fact> withdrawals = new ArrayList<>();
            for (Fact fact : business) {
                (fact.value() == null ? withdrawals : values).add(fact);
            }
            long t0 = System.nanoTime();
            // While dual-write is on, a key with a stat and a business event in this batch gets its legacy
            // row once, after both are written; every other key's by the statement that changes it.
            Set<RowKey> legacyAfter = dualWrite ? keysOfBoth(stats, business) : Set.of();
            Predicate<Fact> legacyNow = fact -> dualWrite && !legacyAfter.contains(fact.rowKey());
            int[] statRows = sum(upsert(connection, STATS_WITH_LEGACY, only(stats, legacyNow, true), writeSeq, true),
                    upsert(connection, UPSERT_STATS, only(stats, legacyNow, false), writeSeq, false));
            long t1 = System.nanoTime();
            int[] withdrawn = sum(withdraw(connection, only(withdrawals, legacyNow, true), writeSeq, true),
                    withdraw(connection, only(withdrawals, legacyNow, false), writeSeq, false));
            int[] businessRows = sum(upsert(connection, BUSINESS_WITH_LEGACY, only(values, legacyNow, true), writeSeq, true),
                    upsert(connection, UPSERT_BUSINESS, only(values, legacyNow, false), writeSeq, false));
            int legacyRows = LegacyRowRebuilder.rebuild(connection, legacyAfter);
            long t2 = System.nanoTime();
            legacyRows += statRows[1] + withdrawn[1] + businessRows[1];
            storeOffsets(connection, batch.offsets());
            DeadLetterOutbox.insert(connection, consumerGroup, batch.deadLetters());
            connection.commit();
            if (LOG.isDebugEnabled()) {
                LOG.debug("statements: stats {} ms, business {} ms, offsets and commit {} ms (legacy rows written within them: {})",
                        (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000, (System.nanoTime() - t2) / 1_000_000, legacyRows);
            }
            return new BatchResult(statRows[0], businessRows[0], withdrawn[0], legacyRows, dualWrite, writeSeq);
        } catch (SQLException | RuntimeException e) {
            rollbackQuietly(connection);
            throw e;
        }
    }

    /** The facts that do ({@code accepted}) or do not pass {@code test}. */
    private static List<Fact> only(Collection<Fact> facts, Predicate<Fact> test, boolean accepted) {
        List<Fact> selected = new ArrayList<>();
        for (Fact fact : facts) {
            if (test.test(fact) == accepted) {
                selected.add(fact);
            }
        }
        return selected;
    }

    private static Set<RowKey> keysOfBoth(Collection<Fact> stats, Collection<Fact> business) {
        Set<RowKey> statKeys = new HashSet<>();
        stats.forEach(f -> statKeys.add(f.rowKey()));
        Set<RowKey> both = new HashSet<>();
        business.forEach(f -> {
            if (statKeys.contains(f.rowKey())) {
                both.add(f.rowKey());
            }
        });
        return both;
    }

    private static int[] sum(int[] a, int[] b) {
        return new int[] {a[0] + b[0], a[1] + b[1]};
    }

    /** Runs an upsert; returns the rows it changed and, with {@code withLegacy}, the legacy rows it wrote. */
    private static int[] upsert(Connection connection, String sql, Collection<Fact> facts, long writeSeq, boolean withLegacy)
            throws SQLException {
        if (facts.isEmpty()) {
            return new int[2];
        }
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
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setString(1, topic);
            statement.setLong(2, writeSeq);
            Array[] arrays = {
                connection.createArrayOf("text", models), connection.createArrayOf("text", versions),
                connection.createArrayOf("text", dates), connection.createArrayOf("text", slices),
                connection.createArrayOf("text", types), connection.createArrayOf("text", keys),
                connection.createArrayOf("float8", values), connection.createArrayOf("int8", times),
                connection.createArrayOf("int8", offsets), connection.createArrayOf("int4", partitions)
            };
            for (int p = 0; p < arrays.length; p++) {
                statement.setArray(p + 3, arrays[p]);
            }
            return execute(statement, withLegacy);
        }
    }

    private static int[] execute(PreparedStatement statement, boolean withLegacy) throws SQLException {
        if (!withLegacy) {
            return new int[] {statement.executeUpdate(), 0};
        }
        try (ResultSet counts = statement.executeQuery()) {
            counts.next();
            return new int[] {counts.getInt(1), counts.getInt(2)};
        }
    }

    /** Withdraws KPIs; returns the business rows deleted and, with {@code withLegacy}, the legacy rows it wrote. */
    private static int[] withdraw(Connection connection, List<Fact> facts, long writeSeq, boolean withLegacy) throws SQLException {
        if (facts.isEmpty()) {
            return new int[2];
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
        int[] deleted;
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

    private void lockLegacyRows(Connection connection, List<Fact> facts) throws SQLException {
        int buckets = lockBuckets;
        Integer[] partitions = facts.stream().map(f -> buckets > 0 ? f.keyPartition(buckets) : f.partition()).distinct().sorted()
                .toArray(Integer[]::new);
        if (partitions.length == 0) {
            return;
        }
        run(connection, SHARE_LEGACY_WRITES);
        try (PreparedStatement lock = connection.prepareStatement(LOCK_LEGACY_ROWS)) {
            lock.setArray(1, connection.createArrayOf("int4", partitions));
            try (ResultSet taken = lock.executeQuery()) {
                while (taken.next()) {
                    // read every row: with a fetch size, the driver runs the function only for the rows fetched
                }
            }
        }
    }

    private static void run(Connection connection, String sql) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(sql); ResultSet ignored = statement.executeQuery()) {
            // set_config returns the new values
        }
    }

    private void storeOffsets(Connection connection, Map<TopicPartition, OffsetRange> ranges) throws SQLException {
        Optional<TopicPartition> moved = offsets.store(connection, ranges);
        if (moved.isPresent()) {
            throw new FencedException("the stored offset of " + moved.get() + " is no longer " + ranges.get(moved.get()).expected()
                    + ": another sink instance has taken the partition over");
        }
    }

    private static void rollbackQuietly(Connection connection) {
        try {
            connection.rollback();
        } catch (SQLException ignored) {
            // the connection is broken; the pool will discard it
        }
    }
}

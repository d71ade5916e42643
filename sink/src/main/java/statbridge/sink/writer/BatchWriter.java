package statbridge.sink.writer;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.TopicPartition;
import statbridge.sink.catalog.CatalogTable;
import statbridge.sink.deadletter.DeadLetterOutbox;
import statbridge.sink.dualwrite.DualWriteState;
import statbridge.sink.legacy.LegacyRowLocks;
import statbridge.sink.legacy.LegacyRowRebuilder;
import statbridge.sink.offsets.OffsetRange;
import statbridge.sink.offsets.OffsetTable;
import statbridge.sink.writer.StatTables.Written;

/**
 * Writes one batch in one transaction, as its {@link BatchPlan} says: it reads the dual-write state
 * (sharing the lock the switch takes, so a batch is wholly dual-written or not), takes the plan's
 * locks, takes a write sequence number, adds new
 * catalog entries, upserts the stats and business stats ("later wins" by record timestamp, then
 * offset), withdraws KPIs for null business values, rewrites the touched legacy rows while
 * dual-write is on, adds what its changed rows did to {@code metric_series}, and stores the consumed
 * offsets, refusing if another instance moved them.
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

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(BatchWriter.class);

    private final String consumerGroup;
    private final OffsetTable offsets;
    private volatile int lockBuckets;
    private volatile boolean series = true;

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

    /** Whether batches keep {@code metric_series} (on by default). */
    public void maintainSeries(boolean on) {
        series = on;
    }

    /**
     * Writes the batch and commits.
     *
     * @throws FencedException when the stored offsets are not the expected ones (nothing is written)
     * @throws SQLException when the database fails (nothing is written)
     */
    public BatchResult write(Connection connection, Batch batch) throws SQLException {
        try {
            BatchPlan plan = BatchPlan.of(batch.facts(), DualWriteState.isOnForBatch(connection), lockBuckets);
            if (plan.dualWrite()) {
                LegacyRowLocks.lockForBatch(connection, plan.batchLocks());
            } else {
                LegacyRowLocks.lockForBusiness(connection, plan.withdrawingLocks(), plan.writingLocks());
            }
            long writeSeq = DualWriteState.nextWriteSeq(connection);
            CatalogTable.insert(connection, batch.newCatalogEntries());
            long t0 = System.nanoTime();
            boolean keepSeries = series;
            if (keepSeries) {
                SeriesTables.gather(connection);
            }
            Written statRows = StatTables.upsert(connection, StatTables.STATS_WITH_LEGACY, plan.statsWithLegacy(), writeSeq, true)
                    .plus(StatTables.upsert(connection, StatTables.UPSERT_STATS, plan.statsAlone(), writeSeq, false));
            long t1 = System.nanoTime();
            Written withdrawn = StatTables.withdraw(connection, plan.withdrawalsWithLegacy(), writeSeq, true)
                    .plus(StatTables.withdraw(connection, plan.withdrawalsAlone(), writeSeq, false));
            Written businessRows = StatTables.upsert(connection, StatTables.BUSINESS_WITH_LEGACY, plan.valuesWithLegacy(), writeSeq, true)
                    .plus(StatTables.upsert(connection, StatTables.UPSERT_BUSINESS, plan.valuesAlone(), writeSeq, false));
            Written[] both = StatTables.upsertBoth(connection, plan.statsTogether(), plan.valuesTogether(), writeSeq);
            statRows = statRows.plus(both[0]);
            businessRows = businessRows.plus(both[1]);
            int legacyRows = LegacyRowRebuilder.rebuild(connection, plan.rebuildAfterWithdrawal());
            long t2 = System.nanoTime();
            legacyRows += statRows.legacyRows() + withdrawn.legacyRows() + businessRows.legacyRows();
            storeOffsets(connection, batch.offsets());
            DeadLetterOutbox.insert(connection, consumerGroup, batch.deadLetters());
            if (keepSeries && statRows.rows() > 0) {
                // last: the series rows are the ones batches of other lanes share, so they are held only until the commit
                SeriesTables.apply(connection, SeriesTables.newestPaths(plan.stats()));
            }
            connection.commit();
            if (LOG.isDebugEnabled()) {
                LOG.debug("statements: stats {} ms, business {} ms, offsets and commit {} ms (legacy rows written within them: {})",
                        (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000, (System.nanoTime() - t2) / 1_000_000, legacyRows);
            }
            return new BatchResult(statRows.rows(), businessRows.rows(), withdrawn.rows(), legacyRows, plan.dualWrite(), writeSeq);
        } catch (SQLException | RuntimeException e) {
            rollbackQuietly(connection);
            throw e;
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

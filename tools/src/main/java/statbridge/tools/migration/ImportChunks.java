package statbridge.tools.migration;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import javax.sql.DataSource;
import statbridge.sink.dualwrite.DualWriteState;
import statbridge.sink.legacy.LegacyRowLocks;
import statbridge.sink.legacy.LegacyRowRebuilder;
import statbridge.sink.legacy.LegacyRowRebuilder.Side;
import statbridge.sink.writer.HistoryStatements;
import statbridge.tools.migration.ImportRun.Counts;

/**
 * An import's rows for the months the live tables already hold, written into them a chunk at a time
 * (a range of the stage's blocks), each chunk in one transaction with its entry in
 * {@code import_chunks}: the new tables' rows as the backfill writes history, and, while dual-write
 * is on, the legacy rows of the chunk's keys rebuilt from the new tables, with the sink's batches
 * held back until the chunk commits. The months brought in whole ({@link MonthLoader}) are left out.
 */
final class ImportChunks {

    /** A chunk of the stage: its blocks in [?, ?), leaving out the months in the array (brought in whole). */
    static final String CHUNK = "k.ctid >= ('(' || ? || ',0)')::tid AND k.ctid < ('(' || ? || ',0)')::tid "
            + "AND date_trunc('month', k.stat_date)::date <> ALL (?::date[])";

    /**
     * The new tables' rows of one chunk of the stage: its blocks in [?, ?), leaving out the months in
     * the array (brought in whole); then the lineage of each statement.
     */
    static final String NEW_TABLES = ImportStage.stageRows("%1$s", CHUNK) + """
            ,
            stats AS (
            """ + HistoryStatements.backfillStats("chunk", new HistoryStatements.Lineage("?::text", "?::bigint")) + """
                RETURNING 1),
            business AS (
            """ + HistoryStatements.backfillBusiness("chunk", new HistoryStatements.Lineage("?::text", "?::bigint")) + """
                RETURNING 1)
            SELECT (SELECT count(*) FROM chunk),
                   (SELECT count(*) FROM stats) + (SELECT count(*) FROM business),
                   (SELECT count(*) FROM chunk WHERE metric_type IS NULL)
            """;

    /** The legacy rows of one chunk's keys, rebuilt from the new tables after the chunk wrote them. */
    static final String LEGACY = LegacyRowRebuilder.upsert(LegacyRowRebuilder.rebuild(
            "(SELECT k.model_name, k.model_version, k.stat_date, k.slice_key, c.metric_type, c.metric_key\n"
                    + " FROM %1$s k JOIN ml_monitoring.metric_catalog c ON c.metric_name = k.metric_name\n"
                    + " WHERE " + CHUNK + " AND k.reason IS NULL\n"
                    + " OFFSET 0) k", "k", Side.LOOKUP, Side.LOOKUP));

    private final DataSource dataSource;
    private final ImportRun run;
    private final String[] skip;
    private final String lineage;
    private final String newTables;
    private final String legacy;

    /**
     * @param skip the first days of the months brought in whole, whose rows the chunks leave out
     * @param lineage what the rows' lineage says wrote them
     */
    ImportChunks(DataSource dataSource, ImportRun run, String[] skip, String lineage) {
        this.dataSource = dataSource;
        this.run = run;
        this.skip = skip.clone();
        this.lineage = lineage;
        this.newTables = NEW_TABLES.formatted(run.stage());
        this.legacy = LEGACY.formatted(run.stage());
    }

    /** Writes chunk {@code chunk} of the run and records it done, in one transaction; returns what it counted. */
    Counts write(int chunk) throws SQLException {
        long low = chunk * run.chunkBlocks();
        long high = low + run.chunkBlocks();
        try (Connection connection = dataSource.getConnection()) {
            try {
                boolean dualWrite = DualWriteState.isOnForBatch(connection);
                if (dualWrite) {
                    // Waits for the sink's batches under way and holds new ones back until this chunk commits.
                    LegacyRowLocks.excludeBatches(connection);
                }
                long writeSeq = DualWriteState.nextWriteSeq(connection);
                long read;
                long written;
                long skipped;
                Array months = connection.createArrayOf("text", skip);
                try (PreparedStatement write = connection.prepareStatement(newTables)) {
                    write.setLong(1, low);
                    write.setLong(2, high);
                    write.setArray(3, months);
                    write.setString(4, lineage);
                    write.setLong(5, writeSeq);
                    write.setString(6, lineage);
                    write.setLong(7, writeSeq);
                    try (ResultSet rows = write.executeQuery()) {
                        rows.next();
                        read = rows.getLong(1);
                        written = rows.getLong(2);
                        skipped = rows.getLong(3);
                    }
                }
                if (dualWrite && read > skipped) {
                    try (PreparedStatement rebuild = connection.prepareStatement(legacy)) {
                        rebuild.setLong(1, low);
                        rebuild.setLong(2, high);
                        rebuild.setArray(3, months);
                        written += rebuild.executeUpdate();
                    }
                }
                Counts counts = new Counts(read, written, skipped);
                ImportRuns.chunkDone(connection, run, chunk, counts);
                connection.commit();
                return counts;
            } catch (SQLException | RuntimeException e) {
                connection.rollback();
                throw e;
            }
        }
    }
}

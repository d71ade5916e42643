package statbridge.tools.migration;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.time.YearMonth;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import javax.sql.DataSource;
import statbridge.sink.db.Partitions;
import statbridge.sink.dualwrite.DualWriteState;
import statbridge.sink.legacy.LegacyRowRebuilder;
import statbridge.tools.migration.ImportRun.Counts;
import statbridge.sink.writer.HistoryStatements;
import statbridge.sink.writer.StatTables;

/**
 * Brings one month of an import's stage in whole, for a month statbridge holds nothing of (none of
 * its partitions exists): the rows of the new tables and, while dual-write is on, of the legacy
 * table are copied into tables of their own, which no one else reads or writes, in key order
 * ({@link MonthCopy}; a month too large for memory is inserted by SQL instead), their primary
 * keys built once over the month rather than row by row, and the tables then attached as
 * the month's partitions in one short transaction with the month's entry in {@code import_months}.
 * This is the bulk load of a partition that a data warehouse does, and it costs a fraction of
 * upserting the same rows into the live tables (see docs/benchmarks.md).
 *
 * <p>The rows are those the chunked path would write (the same statements of {@link StatTables}
 * and the legacy rows their rebuild gives, {@link LegacyRowRebuilder#historyInto}). Nothing the sink
 * wrote can be overwritten: while the month is built it has no partition, so the sink cannot have
 * written it; if the sink writes it meanwhile it creates the partition first, the attach finds it
 * there and gives up, and the month goes the chunked way like any month with rows. The same
 * happens when dual-write was switched between the build and the attach, or the parents stay
 * locked (a long query holding a lock the attach waits for) beyond a few tries.
 */
final class MonthLoader {

    /** The CHECK constraint that proves a built table's rows are of its month until it is attached. */
    static final String MONTH_CHECK = "import_month";
    private static final String[] NEW_TABLES = {"model_stats_daily", "model_business_stats_daily"};
    private static final String LEGACY = "model_stats_daily_legacy";
    private static final String LOCK_TIMEOUT = "SET LOCAL lock_timeout = '5s'";
    private static final String LOCK_NOT_AVAILABLE = "55P03";
    private static final int ATTACH_ATTEMPTS = 3;

    /** The month's rows of the stage, with their catalog names, for the statements' {@code WITH} list: dates in [?, ?). */
    static final String MONTH_ROWS = ImportStage.stageRows("%1$s", "k.stat_date >= ? AND k.stat_date < ?");
    private static final HistoryStatements.Lineage LINEAGE = new HistoryStatements.Lineage("?::text", "?::bigint");

    private final DataSource dataSource;
    private final Partitions partitions;
    private final Consumer<YearMonth> beforeAttach;
    private final long rowsInMemory;

    /**
     * @param beforeAttach called between a month's build and its attach (a test makes the sink write then)
     * @param rowsInMemory the most rows a month may have to go through {@link MonthCopy}; a larger
     *        month is filled by {@code INSERT ... SELECT}
     */
    MonthLoader(DataSource dataSource, Consumer<YearMonth> beforeAttach, long rowsInMemory) {
        this.dataSource = dataSource;
        this.partitions = new Partitions(dataSource);
        this.beforeAttach = beforeAttach;
        this.rowsInMemory = rowsInMemory;
    }

    /**
     * Whether none of the partitions {@code month} would be brought in with exists (the new tables',
     * and the legacy table's while dual-write is on), so the month can be brought in whole.
     */
    static boolean vacant(Connection connection, YearMonth month, boolean dualWrite) throws SQLException {
        try (PreparedStatement query = connection.prepareStatement(
                "SELECT bool_and(to_regclass('ml_monitoring.' || t) IS NULL) FROM unnest(?::text[]) AS t")) {
            query.setArray(1, connection.createArrayOf("text", Partitions.TABLES.stream()
                    .filter(t -> dualWrite || !t.equals(LEGACY)).map(t -> Partitions.partitionName(t, month)).toArray()));
            try (ResultSet rows = query.executeQuery()) {
                rows.next();
                return rows.getBoolean(1);
            }
        }
    }

    /**
     * Brings {@code month} of the run's stage in whole.
     *
     * @param planned the month's rows to bring in and those of them the catalog lacks ({@link ImportRuns#plan})
     * @return what it counted, or null when the month must go the chunked way (nothing changed)
     */
    Counts load(ImportRun run, YearMonth month, Counts planned, String lineage) throws SQLException {
        boolean dualWrite;
        Counts counts;
        try (Connection connection = dataSource.getConnection()) {
            dualWrite = DualWriteState.isOn(connection);
            connection.commit();
            if (!dualWrite) {
                // A switch back on rebuilds these rows' legacy rows into the month's legacy partition.
                partitions.ensure(LEGACY, month);
            }
            try {
                counts = new Counts(planned.read(), build(connection, run, month, planned, lineage, dualWrite), planned.skipped());
                connection.commit();
            } catch (SQLException | RuntimeException e) {
                connection.rollback();
                throw e;
            }
            beforeAttach.accept(month);
            for (int attempt = 1; attempt <= ATTACH_ATTEMPTS; attempt++) {
                try {
                    if (attach(connection, run, month, dualWrite, counts)) {
                        connection.commit();
                        return counts;
                    }
                    connection.rollback();
                    break;
                } catch (SQLException e) {
                    connection.rollback();
                    if (!LOCK_NOT_AVAILABLE.equals(e.getSQLState())) {
                        throw e;
                    }
                }
            }
            ImportRuns.dropBuilt(connection, run, month);
            connection.commit();
            return null;
        }
    }

    /** Builds the month's tables from the stage, in the caller's transaction; returns the rows written. */
    private long build(Connection connection, ImportRun run, YearMonth month, Counts planned, String lineage, boolean dualWrite)
            throws SQLException {
        ImportRuns.dropBuilt(connection, run, month);
        long writeSeq = DualWriteState.nextWriteSeq(connection);
        // microseconds, as PostgreSQL keeps them, whichever way the rows go in
        Timestamp stamp = Timestamp.from(Instant.now().truncatedTo(ChronoUnit.MICROS));
        LocalDate first = month.atDay(1);
        LocalDate next = first.plusMonths(1);
        List<String> tables = new ArrayList<>(List.of(NEW_TABLES));
        if (dualWrite) {
            tables.add(LEGACY);
        }
        try (Statement ddl = connection.createStatement()) {
            for (String table : tables) {
                ddl.execute("CREATE TABLE ml_monitoring." + run.built(table, month) + " (LIKE ml_monitoring." + table
                        + " INCLUDING DEFAULTS INCLUDING CONSTRAINTS, CONSTRAINT " + MONTH_CHECK + " CHECK (stat_date >= '" + first
                        + "' AND stat_date < '" + next + "'))");
            }
        }
        long rowsWritten;
        if (planned.read() - planned.skipped() <= rowsInMemory) {
            // in key order, so that the primary keys below build without a sort
            rowsWritten = MonthCopy.write(connection, MonthCopy.read(connection, run.stage(), month),
                    "ml_monitoring." + run.built(NEW_TABLES[0], month), "ml_monitoring." + run.built(NEW_TABLES[1], month),
                    dualWrite ? "ml_monitoring." + run.built(LEGACY, month) : null, lineage, writeSeq, stamp.toInstant());
        } else {
            rowsWritten = insert(connection, run, month, tables, lineage, writeSeq, stamp);
        }
        try (Statement ddl = connection.createStatement()) {
            // The import's workers build months side by side, a core each: no helpers for the key builds.
            ddl.execute("SELECT set_config('max_parallel_maintenance_workers', '0', true)");
            for (String table : tables) {
                ddl.execute("ALTER TABLE ml_monitoring." + run.built(table, month) + " ADD CONSTRAINT " + run.built(table, month)
                        + "_pkey PRIMARY KEY (" + keyColumns(table.equals(LEGACY)) + ")");
                if (table.equals("model_stats_daily")) {
                    // the parent's series index, built here over the loaded month so that attaching the table does not build it
                    ddl.execute("CREATE INDEX " + run.built(table, month) + "_series ON ml_monitoring." + run.built(table, month)
                            + " (" + Partitions.SERIES_INDEX_COLUMNS + ")");
                }
            }
        }
        return rowsWritten;
    }

    /** Fills the month's tables by {@code INSERT ... SELECT} from the stage (a month too large for {@link MonthCopy}); returns the rows written. */
    private static long insert(Connection connection, ImportRun run, YearMonth month, List<String> tables, String lineage, long writeSeq,
            Timestamp stamp) throws SQLException {
        LocalDate first = month.atDay(1);
        LocalDate next = first.plusMonths(1);
        long rowsWritten = 0;
        for (String table : tables) {
            String built = "ml_monitoring." + run.built(table, month);
            String insert = MONTH_ROWS.formatted(run.stage()) + "\n" + switch (table) {
                case "model_stats_daily" -> HistoryStatements.historyStatsInto(built, "chunk", LINEAGE, "?::timestamptz");
                case "model_business_stats_daily" -> HistoryStatements.historyBusinessInto(built, "chunk", LINEAGE, "?::timestamptz");
                default -> LegacyRowRebuilder.historyInto(built, "chunk",
                        "CASE WHEN k.business_metric_value IS NOT NULL AND NOT " + HistoryStatements.withdrawn("k")
                                + " THEN k.business_metric_value END", "?::timestamptz");
            };
            try (PreparedStatement write = connection.prepareStatement(insert)) {
                int p = 1;
                write.setObject(p++, first);
                write.setObject(p++, next);
                if (!table.equals(LEGACY)) {
                    write.setString(p++, lineage);
                    write.setLong(p++, writeSeq);
                }
                write.setTimestamp(p, stamp);
                rowsWritten += write.executeUpdate();
            }
        }
        return rowsWritten;
    }

    private static String keyColumns(boolean legacy) {
        return legacy ? "model_name, model_version, stat_date, slice_key, metric_name"
                : "model_name, model_version, stat_date, slice_key, metric_type, metric_key";
    }

    /** Attaches the month's built tables and records the month, in one transaction; false when the month is no longer vacant. */
    private static boolean attach(Connection connection, ImportRun run, YearMonth month, boolean dualWrite, Counts counts)
            throws SQLException {
        try (Statement timeout = connection.createStatement()) {
            timeout.execute(LOCK_TIMEOUT);
        }
        if (DualWriteState.isOnForBatch(connection) != dualWrite) {
            return false;
        }
        List<String> tables = new ArrayList<>(List.of(NEW_TABLES));
        if (dualWrite) {
            tables.add(LEGACY);
        }
        for (String table : tables) {
            if (!Partitions.attachIn(connection, table, month, run.built(table, month), MONTH_CHECK)) {
                return false;
            }
        }
        ImportRuns.monthDone(connection, run, month, counts);
        return true;
    }
}

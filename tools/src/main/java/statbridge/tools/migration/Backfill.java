package statbridge.tools.migration;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.YearMonth;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import javax.sql.DataSource;
import statbridge.sink.db.Partitions;
import statbridge.sink.dualwrite.DualWriteState;
import statbridge.sink.dualwrite.ParitySelection;
import statbridge.sink.legacy.LegacyRowLocks;
import statbridge.tools.migration.BackfillRuns.Checkpoint;

/**
 * Copies history between the two shapes, in set-based chunks, each committed with its checkpoint:
 * legacy to new (the rows that predate the pipeline) or new to legacy (a rebuild). Non-destructive
 * (it never deletes), idempotent (a second run changes nothing), resumable (a run interrupted at
 * any moment continues after its last committed chunk and ends with the same tables).
 *
 * <p>Legacy to new never touches a row the sink wrote ({@code source_offset >= 0}): backfilled
 * rows carry the version {@code -infinity}, so any event published through Kafka wins over them,
 * and a KPI withdrawn by the sink stays withdrawn.
 */
public final class Backfill {

    /** Which way to copy. */
    public enum Direction {
        LEGACY_TO_NEW("legacy-to-new"), NEW_TO_LEGACY("new-to-legacy");

        private final String label;

        Direction(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }

        public static Direction parse(String text) {
            for (Direction d : values()) {
                if (d.label.equalsIgnoreCase(text) || d.name().equalsIgnoreCase(text)) {
                    return d;
                }
            }
            throw new IllegalArgumentException("--direction must be legacy-to-new or new-to-legacy, not '" + text + "'");
        }
    }

    /** Progress after each chunk. */
    public record Progress(long read, long written, long skipped, long total) {
    }

    /**
     * What a run did or, for a dry run, would do.
     *
     * @param unmapped legacy names without a catalog entry, with their row counts (not copied)
     */
    public record Result(Direction direction, String selection, long total, long read, long written, long skipped,
            Map<String, Long> unmapped, boolean resumed, boolean dryRun) {
    }

    private final DataSource dataSource;

    public Backfill(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** Workers when none are asked for: two chunk transactions at a time. */
    public static final int DEFAULT_PARALLEL = 2;

    /** {@link #run(Direction, ParitySelection, int, int, boolean, Consumer)} with {@link #DEFAULT_PARALLEL} workers. */
    public Result run(Direction direction, ParitySelection selection, int chunkSize, boolean dryRun,
            Consumer<Progress> progress) throws SQLException {
        return run(direction, selection, chunkSize, DEFAULT_PARALLEL, dryRun, progress);
    }

    /**
     * Runs (or with {@code dryRun} only counts) a backfill. The selection is cut into calendar
     * months, each a run of its own with its own checkpoint, and {@code parallel} workers copy
     * months side by side (their rows are disjoint, so they never wait for each other). An
     * unfinished run of a month is resumed from its checkpoint; a finished one is read again and
     * changes nothing.
     *
     * @param progress called after every chunk with the totals so far (from one worker at a time)
     */
    public Result run(Direction direction, ParitySelection selection, int chunkSize, int parallel, boolean dryRun,
            Consumer<Progress> progress) throws SQLException {
        if (chunkSize < 1) {
            throw new IllegalArgumentException("--chunk-size must be at least 1");
        }
        if (parallel < 1) {
            throw new IllegalArgumentException("--parallel must be at least 1");
        }
        String source;
        try (Connection connection = dataSource.getConnection()) {
            source = legacyTable(connection);
            if (direction == Direction.NEW_TO_LEGACY && source == null) {
                connection.rollback();
                throw new IllegalStateException("dual-write is off: model_stats_daily_legacy is a view over the new tables, "
                        + "so there is nothing to rebuild; switch dual-write on first");
            }
            connection.rollback();
        }
        String legacy = source == null ? "model_stats_daily_legacy_archive" : source;
        BackfillSource rows = new BackfillSource(dataSource, direction, legacy);
        long total = rows.count(selection);
        Map<String, Long> unmapped = direction == Direction.LEGACY_TO_NEW ? rows.unmapped(selection) : Map.of();
        if (dryRun) {
            return new Result(direction, selection.toString(), total, 0, 0, 0, unmapped, false, true);
        }
        List<ParitySelection> months = rows.months(selection);
        if (!months.isEmpty()) {
            new Partitions(dataSource).ensureRange(YearMonth.from(months.get(0).from()),
                    YearMonth.from(months.get(months.size() - 1).from()));
        }
        String sql = direction == Direction.LEGACY_TO_NEW
                ? BackfillSource.LEGACY_TO_NEW_CHUNK.formatted(legacy, selection.where("l"), BackfillSource.KEY_ORDER_LEGACY)
                : BackfillSource.NEW_TO_LEGACY_CHUNK.formatted(selection.where("s"), BackfillSource.KEY_ORDER_NEW);
        Tally totals = new Tally(total, progress);
        Workers.run("backfill", months, parallel, (month, stopped) -> runMonth(direction, month, sql, chunkSize, totals, stopped));
        return new Result(direction, selection.toString(), total, totals.read(), totals.written(), totals.skipped(), unmapped,
                totals.resumed(), false);
    }

    /** Copies one month in chunks, each committed with its checkpoint, until it is done or another worker failed. */
    private void runMonth(Direction direction, ParitySelection month, String sql, int chunkSize, Tally totals,
            BooleanSupplier stopped) throws SQLException {
        Checkpoint checkpoint = openRun(direction, month);
        if (checkpoint.resumed()) {
            totals.resumed(checkpoint.read(), checkpoint.written(), checkpoint.skipped());
        }
        long read = checkpoint.read();
        long written = checkpoint.written();
        long skipped = checkpoint.skipped();
        String[] lastKey = checkpoint.lastKey();
        while (!stopped.getAsBoolean()) {
            long chunkRead;
            long chunkWritten;
            long chunkSkipped;
            try (Connection connection = dataSource.getConnection()) {
                if (direction == Direction.NEW_TO_LEGACY) {
                    // Waits for the sink's batches under way and holds new ones back until this chunk commits.
                    LegacyRowLocks.excludeBatches(connection);
                }
                try (PreparedStatement chunk = connection.prepareStatement(sql)) {
                    int i = month.bind(connection, chunk, 1);
                    chunk.setBoolean(i++, lastKey == null);
                    int keyColumns = direction == Direction.LEGACY_TO_NEW ? 5 : 6;
                    for (int k = 0; k < keyColumns; k++) {
                        chunk.setString(i++, lastKey == null ? null : lastKey[k]);
                    }
                    chunk.setInt(i, chunkSize);
                    String[] chunkLast;
                    try (ResultSet rows = chunk.executeQuery()) {
                        rows.next();
                        chunkRead = rows.getLong(1);
                        chunkWritten = rows.getLong(2);
                        chunkSkipped = rows.getLong(3);
                        Array last = rows.getArray(4);
                        chunkLast = last == null ? null : (String[]) last.getArray();
                    }
                    if (chunkRead == 0) {
                        BackfillRuns.finish(connection, checkpoint.id());
                        connection.commit();
                        return;
                    }
                    read += chunkRead;
                    written += chunkWritten;
                    skipped += chunkSkipped;
                    lastKey = chunkLast;
                    BackfillRuns.save(connection, checkpoint.id(), lastKey, read, written, skipped);
                    connection.commit();
                } catch (SQLException | RuntimeException e) {
                    connection.rollback();
                    throw e;
                }
            }
            totals.committed(chunkRead, chunkWritten, chunkSkipped);
        }
    }

    private Checkpoint openRun(Direction direction, ParitySelection selection) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            Checkpoint checkpoint = BackfillRuns.open(connection, direction.label(), selection.toString());
            connection.commit();
            return checkpoint;
        }
    }

    /** The legacy table's name when it is a table (dual-write on), or null when it is the view. */
    static String legacyTable(Connection connection) throws SQLException {
        return DualWriteState.isOn(connection) ? "model_stats_daily_legacy" : null;
    }
}

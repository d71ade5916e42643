package statbridge.sink.migration;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.LocalDate;
import java.time.YearMonth;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import javax.sql.DataSource;
import statbridge.sink.db.Partitions;
import statbridge.sink.dualwrite.DualWriteState;
import statbridge.sink.dualwrite.ParitySelection;
import statbridge.sink.legacy.LegacyRowLocks;
import statbridge.sink.migration.BackfillRuns.Checkpoint;

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

    private static final String KEY_ORDER_LEGACY = "l.model_name, l.model_version, l.stat_date, l.slice_key, l.metric_name";
    private static final String KEY_ORDER_NEW = "s.model_name, s.model_version, s.stat_date, s.slice_key, s.metric_type, s.metric_key";

    /** One chunk legacy to new: the stats, the business values not withdrawn, and the checkpoint key. */
    static final String LEGACY_TO_NEW_CHUNK = """
            WITH chunk AS (
                SELECT l.model_name, l.model_version, l.stat_date, l.slice_key, l.metric_name, l.metric_value,
                       l.business_metric_value, c.metric_type, c.metric_key
                FROM ml_monitoring.%1$s l
                LEFT JOIN ml_monitoring.metric_catalog c ON c.metric_name = l.metric_name
                WHERE %2$s AND (?::boolean OR (l.model_name, l.model_version, l.stat_date, l.slice_key, l.metric_name)
                                              > (?::text, ?::text, ?::date, ?::text, ?::text))
                ORDER BY %3$s
                LIMIT ?),
            stats AS (
                INSERT INTO ml_monitoring.model_stats_daily AS t
                       (model_name, model_version, stat_date, slice_key, metric_type, metric_key, metric_value,
                        event_time, source_offset, source_topic, source_partition, write_seq, updated_at)
                SELECT model_name, model_version, stat_date, slice_key, metric_type, metric_key, metric_value,
                       '-infinity', -1, 'backfill', NULL, 0, now()
                FROM chunk WHERE metric_type IS NOT NULL AND metric_value IS NOT NULL
                ON CONFLICT (model_name, model_version, stat_date, slice_key, metric_type, metric_key) DO UPDATE
                SET metric_value = EXCLUDED.metric_value, updated_at = EXCLUDED.updated_at
                WHERE t.source_offset = -1 AND t.metric_value IS DISTINCT FROM EXCLUDED.metric_value
                RETURNING 1),
            business AS (
                INSERT INTO ml_monitoring.model_business_stats_daily AS t
                       (model_name, model_version, stat_date, slice_key, metric_type, metric_key, business_metric_value,
                        event_time, source_offset, source_topic, source_partition, write_seq, updated_at)
                SELECT k.model_name, k.model_version, k.stat_date, k.slice_key, k.metric_type, k.metric_key,
                       k.business_metric_value, '-infinity', -1, 'backfill', NULL, 0, now()
                FROM chunk k
                WHERE k.metric_type IS NOT NULL AND k.business_metric_value IS NOT NULL
                  AND NOT EXISTS (SELECT 1 FROM ml_monitoring.business_withdrawals w
                                  WHERE w.model_name = k.model_name AND w.model_version = k.model_version
                                    AND w.stat_date = k.stat_date AND w.slice_key = k.slice_key
                                    AND w.metric_type = k.metric_type AND w.metric_key = k.metric_key)
                ON CONFLICT (model_name, model_version, stat_date, slice_key, metric_type, metric_key) DO UPDATE
                SET business_metric_value = EXCLUDED.business_metric_value, updated_at = EXCLUDED.updated_at
                WHERE t.source_offset = -1 AND t.business_metric_value IS DISTINCT FROM EXCLUDED.business_metric_value
                RETURNING 1),
            last AS (SELECT * FROM chunk ORDER BY model_name DESC, model_version DESC, stat_date DESC, slice_key DESC,
                                                   metric_name DESC LIMIT 1)
            SELECT (SELECT count(*) FROM chunk),
                   (SELECT count(*) FROM stats) + (SELECT count(*) FROM business),
                   (SELECT count(*) FROM chunk WHERE metric_type IS NULL),
                   (SELECT ARRAY[model_name, model_version, stat_date::text, slice_key, metric_name] FROM last)
            """;

    /** One chunk new to legacy: the rebuild of a page of stat rows. */
    static final String NEW_TO_LEGACY_CHUNK = """
            WITH chunk AS (
                SELECT s.model_name, s.model_version, s.stat_date, s.slice_key, s.metric_type, s.metric_key
                FROM ml_monitoring.model_stats_daily s
                WHERE %1$s AND (?::boolean OR (s.model_name, s.model_version, s.stat_date, s.slice_key, s.metric_type, s.metric_key)
                                              > (?::text, ?::text, ?::date, ?::text, ?::text, ?::text))
                ORDER BY %2$s
                LIMIT ?),
            written AS (
                INSERT INTO ml_monitoring.model_stats_daily_legacy AS l
                       (model_name, model_version, stat_date, slice_key, metric_name, metric_value, business_metric_value, updated_at)
                SELECT r.model_name, r.model_version, r.stat_date, r.slice_key, r.metric_name, r.metric_value,
                       r.business_metric_value, r.updated_at
                FROM chunk k
                JOIN ml_monitoring.model_stats_daily_legacy_rebuilt r
                  ON r.model_name = k.model_name AND r.model_version = k.model_version AND r.stat_date = k.stat_date
                 AND r.slice_key = k.slice_key AND r.metric_type = k.metric_type AND r.metric_key = k.metric_key
                ON CONFLICT (model_name, model_version, stat_date, slice_key, metric_name) DO UPDATE
                SET metric_value = EXCLUDED.metric_value, business_metric_value = EXCLUDED.business_metric_value,
                    updated_at = EXCLUDED.updated_at
                WHERE (l.metric_value, l.business_metric_value)
                      IS DISTINCT FROM (EXCLUDED.metric_value, EXCLUDED.business_metric_value)
                RETURNING 1),
            last AS (SELECT * FROM chunk ORDER BY model_name DESC, model_version DESC, stat_date DESC, slice_key DESC,
                                                   metric_type DESC, metric_key DESC LIMIT 1)
            SELECT (SELECT count(*) FROM chunk), (SELECT count(*) FROM written), 0::bigint,
                   (SELECT ARRAY[model_name, model_version, stat_date::text, slice_key, metric_type, metric_key] FROM last)
            """;

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
        long total = count(direction, selection, legacy);
        Map<String, Long> unmapped = direction == Direction.LEGACY_TO_NEW ? unmapped(selection, legacy) : Map.of();
        if (dryRun) {
            return new Result(direction, selection.toString(), total, 0, 0, 0, unmapped, false, true);
        }
        List<ParitySelection> months = months(direction, selection, legacy);
        if (!months.isEmpty()) {
            new Partitions(dataSource).ensureRange(YearMonth.from(months.get(0).from()),
                    YearMonth.from(months.get(months.size() - 1).from()));
        }
        String sql = direction == Direction.LEGACY_TO_NEW
                ? LEGACY_TO_NEW_CHUNK.formatted(legacy, selection.where("l"), KEY_ORDER_LEGACY)
                : NEW_TO_LEGACY_CHUNK.formatted(selection.where("s"), KEY_ORDER_NEW);
        Totals totals = new Totals(total, progress);
        Queue<ParitySelection> queue = new ConcurrentLinkedQueue<>(months);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        int workers = Math.min(parallel, Math.max(1, months.size()));
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < workers; w++) {
            Thread worker = new Thread(() -> {
                try {
                    ParitySelection month;
                    while (failure.get() == null && (month = queue.poll()) != null) {
                        runMonth(direction, month, sql, chunkSize, totals, failure);
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }, "backfill-" + (w + 1));
            threads.add(worker);
            worker.start();
        }
        try {
            for (Thread thread : threads) {
                thread.join();
            }
        } catch (InterruptedException e) {
            failure.compareAndSet(null, e);
            threads.forEach(Thread::interrupt);
            Thread.currentThread().interrupt();
        }
        Throwable failed = failure.get();
        if (failed instanceof SQLException e) {
            throw e;
        } else if (failed instanceof RuntimeException e) {
            throw e;
        } else if (failed instanceof Error e) {
            throw e;
        } else if (failed != null) {
            throw new IllegalStateException("the backfill was interrupted", failed);
        }
        return new Result(direction, selection.toString(), total, totals.read, totals.written, totals.skipped, unmapped,
                totals.resumed, false);
    }

    /** The counts of all workers, and the progress callback, under one lock. */
    private static final class Totals {
        private final long total;
        private final Consumer<Progress> progress;
        private long read;
        private long written;
        private long skipped;
        private boolean resumed;

        Totals(long total, Consumer<Progress> progress) {
            this.total = total;
            this.progress = progress;
        }

        synchronized void resumed(Checkpoint checkpoint) {
            resumed = true;
            read += checkpoint.read();
            written += checkpoint.written();
            skipped += checkpoint.skipped();
        }

        synchronized void chunk(long chunkRead, long chunkWritten, long chunkSkipped) {
            read += chunkRead;
            written += chunkWritten;
            skipped += chunkSkipped;
            progress.accept(new Progress(read, written, skipped, total));
        }
    }

    /** The selection cut at calendar months, over the months the source holds rows for. */
    private List<ParitySelection> months(Direction direction, ParitySelection selection, String legacy) throws SQLException {
        String table = direction == Direction.LEGACY_TO_NEW ? legacy : "model_stats_daily";
        LocalDate first = null;
        LocalDate last = null;
        try (Connection connection = dataSource.getConnection(); PreparedStatement query = connection.prepareStatement(
                "SELECT min(stat_date), max(stat_date) FROM ml_monitoring." + table + " WHERE " + selection.where())) {
            selection.bind(connection, query, 1);
            try (ResultSet rows = query.executeQuery()) {
                if (rows.next() && rows.getObject(1) != null) {
                    first = rows.getObject(1, LocalDate.class);
                    last = rows.getObject(2, LocalDate.class);
                }
            }
            connection.rollback();
        }
        List<ParitySelection> months = new ArrayList<>();
        if (first == null) {
            return months;
        }
        for (YearMonth month = YearMonth.from(first); !month.isAfter(YearMonth.from(last)); month = month.plusMonths(1)) {
            LocalDate from = selection.from() != null && selection.from().isAfter(month.atDay(1)) ? selection.from() : month.atDay(1);
            LocalDate to = selection.to() != null && selection.to().isBefore(month.atEndOfMonth()) ? selection.to() : month.atEndOfMonth();
            months.add(new ParitySelection(selection.models(), selection.versions(), from, to));
        }
        return months;
    }

    /** Copies one month in chunks, each committed with its checkpoint, until it is done or another worker failed. */
    private void runMonth(Direction direction, ParitySelection month, String sql, int chunkSize, Totals totals,
            AtomicReference<Throwable> failure) throws SQLException {
        Checkpoint checkpoint = openRun(direction, month);
        if (checkpoint.resumed()) {
            totals.resumed(checkpoint);
        }
        long read = checkpoint.read();
        long written = checkpoint.written();
        long skipped = checkpoint.skipped();
        String[] lastKey = checkpoint.lastKey();
        while (failure.get() == null) {
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
            totals.chunk(chunkRead, chunkWritten, chunkSkipped);
        }
    }

    private Checkpoint openRun(Direction direction, ParitySelection selection) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            Checkpoint checkpoint = BackfillRuns.open(connection, direction.label(), selection.toString());
            connection.commit();
            return checkpoint;
        }
    }

    private long count(Direction direction, ParitySelection selection, String legacy) throws SQLException {
        String table = direction == Direction.LEGACY_TO_NEW ? legacy : "model_stats_daily";
        return single("SELECT count(*) FROM ml_monitoring." + table + " WHERE " + selection.where(), selection);
    }

    private Map<String, Long> unmapped(ParitySelection selection, String legacy) throws SQLException {
        Map<String, Long> names = new LinkedHashMap<>();
        try (Connection connection = dataSource.getConnection();
                PreparedStatement query = connection.prepareStatement("SELECT metric_name, count(*) FROM ml_monitoring." + legacy
                        + " l WHERE " + selection.where() + " AND NOT EXISTS (SELECT 1 FROM ml_monitoring.metric_catalog c "
                        + "WHERE c.metric_name = l.metric_name) GROUP BY metric_name ORDER BY metric_name")) {
            selection.bind(connection, query, 1);
            try (ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    names.put(rows.getString(1), rows.getLong(2));
                }
            }
            connection.rollback();
        }
        return names;
    }

    private long single(String sql, ParitySelection selection) throws SQLException {
        try (Connection connection = dataSource.getConnection(); PreparedStatement query = connection.prepareStatement(sql)) {
            selection.bind(connection, query, 1);
            try (ResultSet rows = query.executeQuery()) {
                rows.next();
                long value = rows.getLong(1);
                connection.rollback();
                return value;
            }
        }
    }

    /** The legacy table's name when it is a table (dual-write on), or null when it is the view. */
    static String legacyTable(Connection connection) throws SQLException {
        return DualWriteState.isOn(connection) ? "model_stats_daily_legacy" : null;
    }
}

package statbridge.tools.migration;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDate;
import java.time.YearMonth;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import statbridge.sink.db.Partitions;
import statbridge.sink.dualwrite.ParitySelection;
import statbridge.tools.migration.Import.Rejection;

/**
 * The one owner of {@code ml_monitoring.import_runs}, {@code import_chunks}, {@code import_months},
 * {@code import_rejected}, each run's stage table ({@code import_stage_<id>}, a name made here from
 * the run's number) and the tables a run builds a month in before they become its partitions
 * ({@code import_<id>_<table>_<yyyy_mm>}): a run's checked copy of its source rows, the
 * chunks and months it has committed, and the rows it refused.
 */
final class ImportRuns {

    /** The first key of the advisory lock an import holds on its run ("SbIm"), apart from other advisory locks. */
    static final int LOCK_SPACE = 0x5362496D;

    static final String FIND_OPEN = """
            SELECT id, chunk_size, staged_rows, stage_blocks FROM ml_monitoring.import_runs
            WHERE source = ? AND selection = ? AND finished_at IS NULL ORDER BY id DESC LIMIT 1
            """;
    static final String START = "INSERT INTO ml_monitoring.import_runs (source, selection, chunk_size) VALUES (?, ?, ?) RETURNING id";
    static final String TRY_LOCK = "SELECT pg_try_advisory_lock(" + LOCK_SPACE + ", ?::int)";
    static final String UNLOCK = "SELECT pg_advisory_unlock(" + LOCK_SPACE + ", ?::int)";
    static final String STAGED = """
            UPDATE ml_monitoring.import_runs SET staged_at = now(), staged_rows = ?, stage_blocks = ? WHERE id = ?
            """;
    static final String FINISH = "UPDATE ml_monitoring.import_runs SET finished_at = now() WHERE id = ?";
    static final String DONE_CHUNKS = """
            SELECT chunk, rows_read, rows_written, rows_skipped FROM ml_monitoring.import_chunks WHERE run_id = ?
            """;
    static final String CHUNK_DONE = """
            INSERT INTO ml_monitoring.import_chunks (run_id, chunk, rows_read, rows_written, rows_skipped) VALUES (?, ?, ?, ?, ?)
            """;
    static final String DONE_MONTHS = """
            SELECT month, rows_read, rows_written, rows_skipped FROM ml_monitoring.import_months WHERE run_id = ?
            """;
    static final String MONTH_DONE = """
            INSERT INTO ml_monitoring.import_months (run_id, month, rows_read, rows_written, rows_skipped) VALUES (?, ?, ?, ?, ?)
            """;
    static final String FORGET_REJECTED = "DELETE FROM ml_monitoring.import_rejected WHERE run_id = ?";
    /** The chunks of an earlier stage: restaged rows are laid out anew, so its block ranges say nothing of them. */
    static final String FORGET_CHUNKS = "DELETE FROM ml_monitoring.import_chunks WHERE run_id = ?";
    static final String REJECTED_BY_REASON = """
            SELECT reason, count(*) FROM ml_monitoring.import_rejected WHERE run_id = ? GROUP BY reason ORDER BY reason
            """;
    /** The first refused rows of a relation ({@code import_rejected} or a stage) that a condition picks. */
    static final String REJECTED_EXAMPLES = """
            SELECT concat_ws('/', model_name, model_version, stat_date, slice_key, metric_name), reason, message
            FROM %s WHERE %s
            ORDER BY model_name, model_version, stat_date, slice_key, metric_name LIMIT ?
            """;

    /**
     * Where a run stands.
     *
     * @param stagedRows rows of its stage table, or -1 before it is staged
     * @param stageBlocks the blocks of its stage table (a chunk is a range of them)
     */
    record Run(long id, int chunkSize, long stagedRows, long stageBlocks, boolean resumed) {

        String stage() {
            return "ml_monitoring.import_stage_" + id;
        }

        /** The stage's blocks a chunk covers: as many as hold about {@code chunkSize} rows. */
        long chunkBlocks() {
            if (stagedRows <= 0 || stageBlocks <= 0) {
                return 1;
            }
            return Math.max(1, (long) Math.ceil((double) chunkSize * stageBlocks / stagedRows));
        }

        int chunks() {
            return (int) ((stageBlocks + chunkBlocks() - 1) / chunkBlocks());
        }

        /** The table (in {@code ml_monitoring}) this run builds {@code table}'s partition for {@code month} in. */
        String built(String table, YearMonth month) {
            return "import_" + id + "_" + Partitions.partitionName(table, month);
        }
    }

    /** What a committed chunk counted. */
    record Counts(long read, long written, long skipped) {

        Counts plus(Counts other) {
            return new Counts(read + other.read, written + other.written, skipped + other.skipped);
        }
    }

    private ImportRuns() {
    }

    /** The unfinished run of this source and selection, or a new one; the caller commits. */
    static Run open(Connection connection, String source, ParitySelection selection, int chunkSize) throws SQLException {
        try (PreparedStatement find = connection.prepareStatement(FIND_OPEN)) {
            find.setString(1, source);
            find.setString(2, selection.toString());
            try (ResultSet rows = find.executeQuery()) {
                if (rows.next()) {
                    long staged = rows.getObject(3) == null ? -1 : rows.getLong(3);
                    return new Run(rows.getLong(1), rows.getInt(2), staged, rows.getLong(4), true);
                }
            }
        }
        try (PreparedStatement insert = connection.prepareStatement(START)) {
            insert.setString(1, source);
            insert.setString(2, selection.toString());
            insert.setInt(3, chunkSize);
            try (ResultSet rows = insert.executeQuery()) {
                rows.next();
                return new Run(rows.getLong(1), chunkSize, -1, 0, false);
            }
        }
    }

    /** Takes the session's lock on the run, so that one import at a time works on it; false when another holds it. */
    static boolean tryLock(Connection connection, Run run) throws SQLException {
        try (PreparedStatement lock = connection.prepareStatement(TRY_LOCK)) {
            lock.setInt(1, (int) run.id());
            try (ResultSet rows = lock.executeQuery()) {
                rows.next();
                return rows.getBoolean(1);
            }
        }
    }

    static void unlock(Connection connection, Run run) throws SQLException {
        try (PreparedStatement unlock = connection.prepareStatement(UNLOCK)) {
            unlock.setInt(1, (int) run.id());
            unlock.executeQuery().close();
        }
    }

    /** Whether the run's stage table is there and whole (an unlogged table is emptied by a database crash). */
    static boolean stageIntact(Connection connection, Run run) throws SQLException {
        if (run.stagedRows() < 0) {
            return false;
        }
        try (PreparedStatement exists = connection.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
            exists.setString(1, run.stage());
            try (ResultSet rows = exists.executeQuery()) {
                rows.next();
                if (!rows.getBoolean(1)) {
                    return false;
                }
            }
        }
        try (Statement count = connection.createStatement(); ResultSet rows = count.executeQuery("SELECT count(*) FROM " + run.stage())) {
            rows.next();
            return rows.getLong(1) == run.stagedRows();
        }
    }

    /**
     * Writes the checked rows of {@code checked} (see {@link ImportSource#checked}) into the
     * temporary table {@code table} (a dry run), and, unless the source holds its key unique, marks
     * the rows of a key it holds more than once ({@link ImportSource#DUPLICATES}). In the caller's
     * transaction.
     */
    static void stageInto(Connection connection, String table, ImportSource source, String checked, ParitySelection selection)
            throws SQLException {
        try (Statement ddl = connection.createStatement()) {
            ddl.execute("DROP TABLE IF EXISTS " + table);
            // The hash aggregate that finds duplicate keys, and the casts, run in memory rather than in batches on disk.
            ddl.execute("SELECT set_config('work_mem', '128MB', true)");
        }
        try (PreparedStatement create = connection.prepareStatement("CREATE TEMPORARY TABLE " + table + " AS " + checked)) {
            selection.bind(connection, create, 1);
            create.execute();
        }
        if (!source.keyed()) {
            try (Statement ddl = connection.createStatement()) {
                ddl.executeUpdate(ImportSource.DUPLICATES.formatted(table));
            }
        }
    }

    /** A run as staged, and what its stage holds. */
    record Staged(Run run, Plan plan) {
    }

    /**
     * Stages the run in one transaction: its checked rows written by one statement into its stage
     * table (the source read by a parallel scan where PostgreSQL can; no sort, no numbering: a chunk
     * is a range of the stage's blocks), the copies of a key told apart when the source does not
     * hold its key unique ({@link ImportSource#DUPLICATES}), the refused rows recorded in
     * {@code import_rejected}, and the stage indexed by date and counted ({@link Plan}). Everything
     * that reads the stage here runs in the transaction that wrote it, where its rows' visibility
     * costs nothing to check. The run is staged when its row count is recorded; a run killed before
     * that commits stages again.
     */
    static Staged stage(Connection connection, Run run, ImportSource source, String checked, ParitySelection selection)
            throws SQLException {
        long staged;
        try (Statement ddl = connection.createStatement()) {
            ddl.execute("DROP TABLE IF EXISTS " + run.stage());
            // The hash aggregates (duplicate keys, the counts) run in memory rather than in batches on disk.
            ddl.execute("SELECT set_config('work_mem', '128MB', true)");
        }
        try (PreparedStatement create = connection.prepareStatement("CREATE UNLOGGED TABLE " + run.stage() + " AS " + checked)) {
            selection.bind(connection, create, 1);
            staged = create.executeUpdate();
        }
        for (String sql : List.of(FORGET_REJECTED, FORGET_CHUNKS)) {
            try (PreparedStatement forget = connection.prepareStatement(sql)) {
                forget.setLong(1, run.id());
                forget.executeUpdate();
            }
        }
        try (Statement ddl = connection.createStatement()) {
            if (!source.keyed()) {
                ddl.executeUpdate(ImportSource.DUPLICATES.formatted(run.stage()));
            }
            // The months brought in whole read their rows by date.
            ddl.execute("CREATE INDEX ON " + run.stage() + " (stat_date)");
            ddl.execute("ANALYZE " + run.stage());
        }
        try (PreparedStatement reject = connection.prepareStatement("""
                INSERT INTO ml_monitoring.import_rejected (run_id, model_name, model_version, stat_date, slice_key, metric_name,
                       metric_value, business_metric_value, reason, message)
                SELECT ?, model_name, model_version, stat_date, slice_key, metric_name, metric_value, business_metric_value, reason, message
                FROM %s WHERE reason IN ('%s', '%s')
                """.formatted(run.stage(), ImportSource.INVALID_FIELD, ImportSource.CONFLICTING_DUPLICATE))) {
            reject.setLong(1, run.id());
            reject.executeUpdate();
        }
        Plan plan = plan(connection, run);
        long blocks;
        try (Statement query = connection.createStatement(); ResultSet rows = query.executeQuery(
                "SELECT pg_relation_size('" + run.stage() + "') / current_setting('block_size')::int")) {
            rows.next();
            blocks = rows.getLong(1);
        }
        try (PreparedStatement done = connection.prepareStatement(STAGED)) {
            done.setLong(1, staged);
            done.setLong(2, blocks);
            done.setLong(3, run.id());
            done.executeUpdate();
        }
        return new Staged(new Run(run.id(), run.chunkSize(), staged, blocks, run.resumed()), plan);
    }

    /** Rows of the stage by verdict: null (to bring in), and each reason. */
    static Map<String, Long> verdicts(Connection connection, String stage) throws SQLException {
        Map<String, Long> counts = new LinkedHashMap<>();
        try (Statement query = connection.createStatement();
                ResultSet rows = query.executeQuery("SELECT reason, count(*) FROM " + stage + " GROUP BY reason ORDER BY reason")) {
            while (rows.next()) {
                counts.put(rows.getString(1), rows.getLong(2));
            }
        }
        return counts;
    }

    /**
     * What a staged run holds, from one scan of its stage: rows by verdict (null for the rows to
     * bring in, or the reason), the rows to bring in by month (with those whose name the catalog
     * lacks), and the names the catalog lacks with their row counts.
     */
    record Plan(Map<String, Long> verdicts, Map<YearMonth, Counts> months, Map<String, Long> unmapped) {

    }

    /** Counts the rows of a relation or CTE ({@code %1$s}) of the stage's columns as {@link #plan} reads them. */
    static final String PLAN = """
            SELECT reason, CASE WHEN reason IS NULL THEN stat_date END, CASE WHEN reason IS NULL THEN metric_name END, count(*)
            FROM %1$s GROUP BY 1, 2, 3
            """;

    /** What the run's stage holds, from one scan of it. */
    static Plan plan(Connection connection, Run run) throws SQLException {
        try (Statement query = connection.createStatement(); ResultSet rows = query.executeQuery(PLAN.formatted(run.stage()))) {
            return plan(connection, rows);
        }
    }

    /**
     * Reads the counts of {@link #PLAN} (grouped by date and name, a few thousand groups), finding
     * the months and the names the catalog lacks here rather than joining every row.
     */
    private static Plan plan(Connection connection, ResultSet rows) throws SQLException {
        List<Object[]> groups = new ArrayList<>();
        while (rows.next()) {
            groups.add(new Object[] {rows.getString(1), rows.getObject(2, LocalDate.class), rows.getString(3), rows.getLong(4)});
        }
        Set<String> catalogued = new HashSet<>();
        try (Statement query = connection.createStatement();
                ResultSet names = query.executeQuery("SELECT metric_name FROM ml_monitoring.metric_catalog")) {
            while (names.next()) {
                catalogued.add(names.getString(1));
            }
        }
        Map<String, Long> verdicts = new TreeMap<>(java.util.Comparator.nullsFirst(java.util.Comparator.naturalOrder()));
        Map<YearMonth, Counts> months = new TreeMap<>();
        Map<String, Long> unmapped = new TreeMap<>();
        for (Object[] group : groups) {
            String reason = (String) group[0];
            long count = (Long) group[3];
            verdicts.merge(reason, count, Long::sum);
            if (reason == null) {
                String name = (String) group[2];
                long skipped = catalogued.contains(name) ? 0 : count;
                months.merge(YearMonth.from((LocalDate) group[1]), new Counts(count, 0, skipped), Counts::plus);
                if (skipped > 0) {
                    unmapped.merge(name, count, Long::sum);
                }
            }
        }
        return new Plan(verdicts, months, unmapped);
    }

    /** The chunks the run has committed, with what each counted. */
    static Map<Integer, Counts> doneChunks(Connection connection, Run run) throws SQLException {
        Map<Integer, Counts> done = new LinkedHashMap<>();
        try (PreparedStatement query = connection.prepareStatement(DONE_CHUNKS)) {
            query.setLong(1, run.id());
            try (ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    done.put(rows.getInt(1), new Counts(rows.getLong(2), rows.getLong(3), rows.getLong(4)));
                }
            }
        }
        return done;
    }

    /** The chunk numbers of the run not committed yet, in order. */
    static Set<Integer> pending(Run run, Set<Integer> done) {
        Set<Integer> pending = new TreeSet<>();
        for (int chunk = 0; chunk < run.chunks(); chunk++) {
            if (!done.contains(chunk)) {
                pending.add(chunk);
            }
        }
        return pending;
    }

    /** Records chunk {@code chunk} of the run as committed, in the caller's transaction (the chunk's). */
    static void chunkDone(Connection connection, Run run, int chunk, Counts counts) throws SQLException {
        try (PreparedStatement done = connection.prepareStatement(CHUNK_DONE)) {
            done.setLong(1, run.id());
            done.setInt(2, chunk);
            done.setLong(3, counts.read());
            done.setLong(4, counts.written());
            done.setLong(5, counts.skipped());
            done.executeUpdate();
        }
    }

    /**
     * The rows to bring in of a stage table ({@code stage}, or a placeholder for it) that
     * {@code where} picks, with the catalog's {@code metric_type} and {@code metric_key} of their
     * {@code metric_name} (null when it lacks it), as the CTE {@code chunk} that opens a statement's
     * {@code WITH} list; {@code where} is over the stage as {@code k}.
     */
    static String stageRows(String stage, String where) {
        return """
                WITH chunk AS (
                    SELECT k.model_name, k.model_version, k.stat_date, k.slice_key, k.metric_name, k.metric_value,
                           k.business_metric_value, c.metric_type, c.metric_key
                    FROM %s k
                    LEFT JOIN ml_monitoring.metric_catalog c ON c.metric_name = k.metric_name
                    WHERE %s AND k.reason IS NULL)""".formatted(stage, where);
    }

    /** The months the run has brought in whole, with what each counted. */
    static Map<YearMonth, Counts> doneMonths(Connection connection, Run run) throws SQLException {
        Map<YearMonth, Counts> done = new LinkedHashMap<>();
        try (PreparedStatement query = connection.prepareStatement(DONE_MONTHS)) {
            query.setLong(1, run.id());
            try (ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    done.put(YearMonth.from(rows.getObject(1, LocalDate.class)), new Counts(rows.getLong(2), rows.getLong(3), rows.getLong(4)));
                }
            }
        }
        return done;
    }

    /** Records {@code month} as brought in whole, in the caller's transaction (the one attaching its partitions). */
    static void monthDone(Connection connection, Run run, YearMonth month, Counts counts) throws SQLException {
        try (PreparedStatement done = connection.prepareStatement(MONTH_DONE)) {
            done.setLong(1, run.id());
            done.setObject(2, month.atDay(1));
            done.setLong(3, counts.read());
            done.setLong(4, counts.written());
            done.setLong(5, counts.skipped());
            done.executeUpdate();
        }
    }

    /** Drops what the run built for {@code month} and did not attach, in the caller's transaction. */
    static void dropBuilt(Connection connection, Run run, YearMonth month) throws SQLException {
        try (Statement ddl = connection.createStatement()) {
            for (String table : Partitions.TABLES) {
                ddl.execute("DROP TABLE IF EXISTS ml_monitoring." + run.built(table, month));
            }
        }
    }

    /** Marks the run finished and drops its stage table and anything it built and did not attach, in the caller's transaction. */
    static void finish(Connection connection, Run run) throws SQLException {
        try (PreparedStatement finish = connection.prepareStatement(FINISH)) {
            finish.setLong(1, run.id());
            finish.executeUpdate();
        }
        List<String> leftovers = new ArrayList<>();
        try (PreparedStatement built = connection.prepareStatement("SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                + "WHERE n.nspname = 'ml_monitoring' AND c.relkind = 'r' AND c.relname LIKE ?")) {
            built.setString(1, "import\\_" + run.id() + "\\_%");
            try (ResultSet rows = built.executeQuery()) {
                while (rows.next()) {
                    leftovers.add(rows.getString(1));
                }
            }
        }
        try (Statement ddl = connection.createStatement()) {
            ddl.execute("DROP TABLE IF EXISTS " + run.stage());
            for (String table : leftovers) {
                ddl.execute("DROP TABLE IF EXISTS ml_monitoring." + table);
            }
        }
    }

    /** The refused rows of the run by reason. */
    static Map<String, Long> rejectedByReason(Connection connection, long runId) throws SQLException {
        Map<String, Long> counts = new LinkedHashMap<>();
        try (PreparedStatement query = connection.prepareStatement(REJECTED_BY_REASON)) {
            query.setLong(1, runId);
            try (ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    counts.put(rows.getString(1), rows.getLong(2));
                }
            }
        }
        return counts;
    }

    /** The first {@code limit} refused rows of run {@code runId}, in key order. */
    static List<Rejection> rejectedExamples(Connection connection, long runId, int limit) throws SQLException {
        return examples(connection, REJECTED_EXAMPLES.formatted("ml_monitoring.import_rejected", "run_id = " + runId), limit);
    }

    /** The first {@code limit} refused rows of a stage table, in key order. */
    static List<Rejection> rejectedExamples(Connection connection, String stage, int limit) throws SQLException {
        return examples(connection, REJECTED_EXAMPLES.formatted(stage, "reason IN ('" + ImportSource.INVALID_FIELD + "', '"
                + ImportSource.CONFLICTING_DUPLICATE + "')"), limit);
    }

    private static List<Rejection> examples(Connection connection, String sql, int limit) throws SQLException {
        List<Rejection> examples = new ArrayList<>();
        try (PreparedStatement query = connection.prepareStatement(sql)) {
            query.setInt(1, limit);
            try (ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    examples.add(new Rejection(rows.getString(1), rows.getString(2), rows.getString(3)));
                }
            }
        }
        return examples;
    }
}

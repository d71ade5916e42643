package statbridge.sink.migration;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import statbridge.sink.dualwrite.ParitySelection;
import statbridge.sink.migration.Import.Rejection;

/**
 * The one owner of {@code ml_monitoring.import_runs}, {@code import_chunks}, {@code import_rejected}
 * and each run's stage table ({@code import_stage_<id>}, a name made here from the run's number):
 * a run's checked, numbered copy of its source rows, the chunks it has committed, and the rows it
 * refused.
 */
final class ImportRuns {

    /** The first key of the advisory lock an import holds on its run ("SbIm"), apart from other advisory locks. */
    static final int LOCK_SPACE = 0x5362496D;

    static final String FIND_OPEN = """
            SELECT id, chunk_size, staged_rows, last_number FROM ml_monitoring.import_runs
            WHERE source = ? AND selection = ? AND finished_at IS NULL ORDER BY id DESC LIMIT 1
            """;
    static final String START = "INSERT INTO ml_monitoring.import_runs (source, selection, chunk_size) VALUES (?, ?, ?) RETURNING id";
    static final String TRY_LOCK = "SELECT pg_try_advisory_lock(" + LOCK_SPACE + ", ?::int)";
    static final String UNLOCK = "SELECT pg_advisory_unlock(" + LOCK_SPACE + ", ?::int)";
    static final String STAGED = """
            UPDATE ml_monitoring.import_runs SET staged_at = now(), staged_rows = ?, last_number = ? WHERE id = ?
            """;
    static final String FINISH = "UPDATE ml_monitoring.import_runs SET finished_at = now() WHERE id = ?";
    static final String DONE_CHUNKS = """
            SELECT chunk, rows_read, rows_written, rows_skipped FROM ml_monitoring.import_chunks WHERE run_id = ?
            """;
    static final String CHUNK_DONE = """
            INSERT INTO ml_monitoring.import_chunks (run_id, chunk, rows_read, rows_written, rows_skipped) VALUES (?, ?, ?, ?, ?)
            """;
    static final String FORGET_REJECTED = "DELETE FROM ml_monitoring.import_rejected WHERE run_id = ?";
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
     * @param lastNumber the highest row number of its stage table (chunks cover 1..lastNumber)
     */
    record Run(long id, int chunkSize, long stagedRows, long lastNumber, boolean resumed) {

        String stage() {
            return "ml_monitoring.import_stage_" + id;
        }

        int chunks() {
            return (int) ((lastNumber + chunkSize - 1) / chunkSize);
        }
    }

    /** What a committed chunk counted. */
    record Counts(long read, long written, long skipped) {
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
     * Writes the checked rows of {@code checked} (see {@link ImportSource#checked}) into
     * {@code table}, numbered from 1 in the order the source gives them (no sort), and, unless
     * the source holds its key unique, marks the rows of a key it holds more than once
     * ({@link ImportSource#DUPLICATES}). In the caller's transaction.
     *
     * @param temporary a temporary table (a dry run), or an unlogged one indexed for chunks (a run)
     * @return the rows staged and the highest number
     */
    static long[] stageInto(Connection connection, String table, boolean temporary, ImportSource source, String checked,
            ParitySelection selection) throws SQLException {
        try (Statement ddl = connection.createStatement()) {
            ddl.execute("DROP TABLE IF EXISTS " + table);
            // The hash aggregate that finds duplicate keys, and the casts, run in memory rather than in batches on disk.
            ddl.execute("SELECT set_config('work_mem', '128MB', true)");
        }
        try (PreparedStatement create = connection.prepareStatement("CREATE " + (temporary ? "TEMPORARY" : "UNLOGGED") + " TABLE "
                + table + " AS SELECT row_number() OVER () AS n, checked.* FROM (" + checked + ") checked")) {
            selection.bind(connection, create, 1);
            create.execute();
        }
        try (Statement ddl = connection.createStatement()) {
            if (!source.keyed()) {
                ddl.executeUpdate(ImportSource.DUPLICATES.formatted(table));
            }
            if (!temporary) {
                ddl.execute("CREATE INDEX ON " + table + " USING brin (n) WITH (pages_per_range = 16)");
                ddl.execute("ANALYZE " + table);
            }
            try (ResultSet rows = ddl.executeQuery("SELECT count(*), coalesce(max(n), 0) FROM " + table)) {
                rows.next();
                return new long[] {rows.getLong(1), rows.getLong(2)};
            }
        }
    }

    /**
     * Stages the run into its stage table ({@link #stageInto}) and records the refused rows in
     * {@code import_rejected}, in the caller's transaction. Returns the run as staged.
     */
    static Run stage(Connection connection, Run run, ImportSource source, String checked, ParitySelection selection)
            throws SQLException {
        long[] counts = stageInto(connection, run.stage(), false, source, checked, selection);
        long staged = counts[0];
        long last = counts[1];
        try (PreparedStatement forget = connection.prepareStatement(FORGET_REJECTED)) {
            forget.setLong(1, run.id());
            forget.executeUpdate();
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
        try (PreparedStatement done = connection.prepareStatement(STAGED)) {
            done.setLong(1, staged);
            done.setLong(2, last);
            done.setLong(3, run.id());
            done.executeUpdate();
        }
        return new Run(run.id(), run.chunkSize(), staged, last, run.resumed());
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

    /** The first and last stat_date of the rows to bring in, or null when there are none. */
    static LocalDate[] dates(Connection connection, Run run) throws SQLException {
        try (Statement query = connection.createStatement(); ResultSet rows = query.executeQuery(
                "SELECT min(stat_date), max(stat_date) FROM " + run.stage() + " WHERE reason IS NULL")) {
            rows.next();
            return rows.getObject(1) == null ? null
                    : new LocalDate[] {rows.getObject(1, LocalDate.class), rows.getObject(2, LocalDate.class)};
        }
    }

    /** Names of the rows to bring in that the catalog lacks, with their row counts. */
    static Map<String, Long> unmapped(Connection connection, Run run) throws SQLException {
        Map<String, Long> names = new LinkedHashMap<>();
        try (Statement query = connection.createStatement(); ResultSet rows = query.executeQuery("SELECT metric_name, count(*) FROM "
                + run.stage() + " k WHERE reason IS NULL AND NOT EXISTS (SELECT 1 FROM ml_monitoring.metric_catalog c "
                + "WHERE c.metric_name = k.metric_name) GROUP BY metric_name ORDER BY metric_name")) {
            while (rows.next()) {
                names.put(rows.getString(1), rows.getLong(2));
            }
        }
        return names;
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

    /** Marks the run finished and drops its stage table, in the caller's transaction. */
    static void finish(Connection connection, Run run) throws SQLException {
        try (PreparedStatement finish = connection.prepareStatement(FINISH)) {
            finish.setLong(1, run.id());
            finish.executeUpdate();
        }
        try (Statement ddl = connection.createStatement()) {
            ddl.execute("DROP TABLE IF EXISTS " + run.stage());
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

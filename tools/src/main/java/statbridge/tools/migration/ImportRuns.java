package statbridge.tools.migration;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDate;
import java.time.YearMonth;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import statbridge.sink.db.Partitions;
import statbridge.sink.dualwrite.ParitySelection;

/**
 * The one owner of {@code ml_monitoring.import_runs}, {@code import_chunks}, {@code import_months}
 * and the tables a run builds a month in before they become its partitions
 * ({@code import_<id>_<table>_<yyyy_mm>}): which run works on a source and selection, and the
 * chunks and months it has committed. Its stage is {@link ImportStage}'s, the rows it refused
 * {@link ImportRejections}'.
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
    /** The chunks of an earlier stage: restaged rows are laid out anew, so its block ranges say nothing of them. */
    static final String FORGET_CHUNKS = "DELETE FROM ml_monitoring.import_chunks WHERE run_id = ?";
    private ImportRuns() {
    }

    /** The unfinished run of this source and selection, or a new one; the caller commits. */
    static ImportRun open(Connection connection, String source, ParitySelection selection, int chunkSize) throws SQLException {
        try (PreparedStatement find = connection.prepareStatement(FIND_OPEN)) {
            find.setString(1, source);
            find.setString(2, selection.toString());
            try (ResultSet rows = find.executeQuery()) {
                if (rows.next()) {
                    long staged = rows.getObject(3) == null ? -1 : rows.getLong(3);
                    return new ImportRun(rows.getLong(1), rows.getInt(2), staged, rows.getLong(4), true);
                }
            }
        }
        try (PreparedStatement insert = connection.prepareStatement(START)) {
            insert.setString(1, source);
            insert.setString(2, selection.toString());
            insert.setInt(3, chunkSize);
            try (ResultSet rows = insert.executeQuery()) {
                rows.next();
                return new ImportRun(rows.getLong(1), chunkSize, -1, 0, false);
            }
        }
    }

    /** Takes the session's lock on the run, so that one import at a time works on it; false when another holds it. */
    static boolean tryLock(Connection connection, ImportRun run) throws SQLException {
        try (PreparedStatement lock = connection.prepareStatement(TRY_LOCK)) {
            lock.setInt(1, (int) run.id());
            try (ResultSet rows = lock.executeQuery()) {
                rows.next();
                return rows.getBoolean(1);
            }
        }
    }

    static void unlock(Connection connection, ImportRun run) throws SQLException {
        try (PreparedStatement unlock = connection.prepareStatement(UNLOCK)) {
            unlock.setInt(1, (int) run.id());
            unlock.executeQuery().close();
        }
    }

    /** The chunks the run has committed, with what each counted. */
    static Map<Integer, ImportRun.Counts> doneChunks(Connection connection, ImportRun run) throws SQLException {
        Map<Integer, ImportRun.Counts> done = new LinkedHashMap<>();
        try (PreparedStatement query = connection.prepareStatement(DONE_CHUNKS)) {
            query.setLong(1, run.id());
            try (ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    done.put(rows.getInt(1), new ImportRun.Counts(rows.getLong(2), rows.getLong(3), rows.getLong(4)));
                }
            }
        }
        return done;
    }

    /** The chunk numbers of the run not committed yet, in order. */
    static Set<Integer> pending(ImportRun run, Set<Integer> done) {
        Set<Integer> pending = new TreeSet<>();
        for (int chunk = 0; chunk < run.chunks(); chunk++) {
            if (!done.contains(chunk)) {
                pending.add(chunk);
            }
        }
        return pending;
    }

    /** Records chunk {@code chunk} of the run as committed, in the caller's transaction (the chunk's). */
    static void chunkDone(Connection connection, ImportRun run, int chunk, ImportRun.Counts counts) throws SQLException {
        try (PreparedStatement done = connection.prepareStatement(CHUNK_DONE)) {
            done.setLong(1, run.id());
            done.setInt(2, chunk);
            done.setLong(3, counts.read());
            done.setLong(4, counts.written());
            done.setLong(5, counts.skipped());
            done.executeUpdate();
        }
    }

    /** The months the run has brought in whole, with what each counted. */
    static Map<YearMonth, ImportRun.Counts> doneMonths(Connection connection, ImportRun run) throws SQLException {
        Map<YearMonth, ImportRun.Counts> done = new LinkedHashMap<>();
        try (PreparedStatement query = connection.prepareStatement(DONE_MONTHS)) {
            query.setLong(1, run.id());
            try (ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    done.put(YearMonth.from(rows.getObject(1, LocalDate.class)), new ImportRun.Counts(rows.getLong(2), rows.getLong(3), rows.getLong(4)));
                }
            }
        }
        return done;
    }

    /** Records {@code month} as brought in whole, in the caller's transaction (the one attaching its partitions). */
    static void monthDone(Connection connection, ImportRun run, YearMonth month, ImportRun.Counts counts) throws SQLException {
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
    static void dropBuilt(Connection connection, ImportRun run, YearMonth month) throws SQLException {
        try (Statement ddl = connection.createStatement()) {
            for (String table : Partitions.TABLES) {
                ddl.execute("DROP TABLE IF EXISTS ml_monitoring." + run.built(table, month));
            }
        }
    }

    /** Marks the run finished and drops its stage table and anything it built and did not attach, in the caller's transaction. */
    static void finish(Connection connection, ImportRun run) throws SQLException {
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

    /** Records the run as staged, with its stage's rows and blocks, in the caller's transaction (the stage's). */
    static void staged(Connection connection, ImportRun run, long rows, long blocks) throws SQLException {
        try (PreparedStatement done = connection.prepareStatement(STAGED)) {
            done.setLong(1, rows);
            done.setLong(2, blocks);
            done.setLong(3, run.id());
            done.executeUpdate();
        }
    }

    /** Forgets the chunks of an earlier stage of the run, in the caller's transaction. */
    static void forgetChunks(Connection connection, ImportRun run) throws SQLException {
        try (PreparedStatement forget = connection.prepareStatement(FORGET_CHUNKS)) {
            forget.setLong(1, run.id());
            forget.executeUpdate();
        }
    }
}

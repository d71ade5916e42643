package statbridge.tools.migration;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * The one owner of {@code ml_monitoring.backfill_runs}: a backfill's checkpoint per direction and
 * selection (the last key written and the counts so far), saved in the transaction of each chunk,
 * so a backfill killed at any moment resumes after its last committed chunk.
 */
final class BackfillRuns {

    static final String FIND_OPEN = """
            SELECT id, last_key, rows_read, rows_written, rows_skipped FROM ml_monitoring.backfill_runs
            WHERE direction = ? AND selection = ? AND finished_at IS NULL ORDER BY id DESC LIMIT 1 FOR UPDATE
            """;
    static final String START = "INSERT INTO ml_monitoring.backfill_runs (direction, selection) VALUES (?, ?) RETURNING id";
    static final String SAVE = """
            UPDATE ml_monitoring.backfill_runs SET last_key = ?, rows_read = ?, rows_written = ?, rows_skipped = ?,
                   updated_at = now() WHERE id = ?
            """;
    static final String FINISH = "UPDATE ml_monitoring.backfill_runs SET finished_at = now(), updated_at = now() WHERE id = ?";

    /**
     * Where a run stands.
     *
     * @param lastKey the key of the last row written, or null before the first chunk
     * @param resumed true when an unfinished run was found and is carried on
     */
    record Checkpoint(long id, String[] lastKey, long read, long written, long skipped, boolean resumed) {
    }

    private BackfillRuns() {
    }

    /** The unfinished run of this direction and selection, or a new one; the caller commits. */
    static Checkpoint open(Connection connection, String direction, String selection) throws SQLException {
        try (PreparedStatement find = connection.prepareStatement(FIND_OPEN)) {
            find.setString(1, direction);
            find.setString(2, selection);
            try (ResultSet rows = find.executeQuery()) {
                if (rows.next()) {
                    Array key = rows.getArray(2);
                    return new Checkpoint(rows.getLong(1), key == null ? null : (String[]) key.getArray(), rows.getLong(3),
                            rows.getLong(4), rows.getLong(5), true);
                }
            }
        }
        try (PreparedStatement insert = connection.prepareStatement(START)) {
            insert.setString(1, direction);
            insert.setString(2, selection);
            try (ResultSet rows = insert.executeQuery()) {
                rows.next();
                return new Checkpoint(rows.getLong(1), null, 0, 0, 0, false);
            }
        }
    }

    /** Records the progress of run {@code id} in the caller's transaction (the chunk's). */
    static void save(Connection connection, long id, String[] lastKey, long read, long written, long skipped) throws SQLException {
        try (PreparedStatement save = connection.prepareStatement(SAVE)) {
            save.setArray(1, connection.createArrayOf("text", lastKey));
            save.setLong(2, read);
            save.setLong(3, written);
            save.setLong(4, skipped);
            save.setLong(5, id);
            save.executeUpdate();
        }
    }

    static void finish(Connection connection, long id) throws SQLException {
        try (PreparedStatement done = connection.prepareStatement(FINISH)) {
            done.setLong(1, id);
            done.executeUpdate();
        }
    }
}

package statbridge.sink.dualwrite;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import statbridge.sink.offsets.OffsetTable;

/**
 * The one owner of {@code ml_monitoring.dual_write_state}, its history and the write sequence:
 * the single answer to "is dual-write on?". A sink batch reads the state under a shared row lock
 * ({@link #isOnForBatch}), a switch takes the row exclusively ({@link #lock}), so a switch waits
 * for the batches in flight and every batch is wholly dual-written or not. The legacy name is a
 * table exactly while the state says {@code ON}: the switch changes both in one transaction.
 */
public final class DualWriteState {

    static final String READ_MODE = "SELECT mode FROM ml_monitoring.dual_write_state WHERE id = 1";
    static final String READ_MODE_SHARED = READ_MODE + " FOR SHARE";
    static final String LOCK = """
            SELECT mode, grace_period_end, on_grace_end, write_seq FROM ml_monitoring.dual_write_state WHERE id = 1 FOR UPDATE
            """;
    static final String READ = """
            SELECT mode, grace_period_end, on_grace_end, changed_by, changed_at, reason, forced, write_seq, offsets::text
            FROM ml_monitoring.dual_write_state WHERE id = 1
            """;
    static final String SWITCH = """
            UPDATE ml_monitoring.dual_write_state
            SET mode = ?, grace_period_end = ?, on_grace_end = ?, changed_by = ?, changed_at = now(), reason = ?, forced = ?,
                write_seq = ?, offsets = %s
            WHERE id = 1
            """.formatted(OffsetTable.SNAPSHOT_AS_JSON);
    static final String CONFIGURE_GRACE = """
            UPDATE ml_monitoring.dual_write_state
            SET grace_period_end = ?, on_grace_end = ?, changed_by = ?, changed_at = now(), reason = 'grace period configured'
            WHERE id = 1
            """;
    static final String RECORD_EVENT = """
            UPDATE ml_monitoring.dual_write_state SET changed_by = ?, changed_at = now(), reason = ?, forced = ? WHERE id = 1
            """;
    static final String APPEND_HISTORY = """
            INSERT INTO ml_monitoring.dual_write_history
                   (mode, grace_period_end, on_grace_end, changed_by, changed_at, reason, forced, write_seq, offsets, rows_rebuilt)
            SELECT mode, grace_period_end, on_grace_end, changed_by, changed_at, reason, forced, write_seq, offsets, ?
            FROM ml_monitoring.dual_write_state WHERE id = 1
            """;
    static final String HISTORY = """
            SELECT changed_at, mode, changed_by, reason, forced, rows_rebuilt
            FROM ml_monitoring.dual_write_history ORDER BY id DESC LIMIT ?
            """;
    static final String NEXT_WRITE_SEQ = "SELECT nextval('ml_monitoring.write_seq')";

    private static final String MISSING = "no dual-write state: run 'statbridge db migrate'";

    /** The state a switch holds locked: the mode, the grace period and the write sequence number of the last switch. */
    public record Locked(boolean on, Instant graceEnd, GraceAction action, long writeSeq) {
    }

    private DualWriteState() {
    }

    /** Whether dual-write is on, read without a lock (a tool deciding what to write, a report). */
    public static boolean isOn(Connection connection) throws SQLException {
        return readMode(connection, READ_MODE);
    }

    /**
     * Whether dual-write is on, holding the state row shared until the transaction ends, so no
     * switch happens while the batch writes.
     */
    public static boolean isOnForBatch(Connection connection) throws SQLException {
        return readMode(connection, READ_MODE_SHARED);
    }

    private static boolean readMode(Connection connection, String sql) throws SQLException {
        try (PreparedStatement mode = connection.prepareStatement(sql); ResultSet rows = mode.executeQuery()) {
            if (!rows.next()) {
                throw new IllegalStateException(MISSING);
            }
            return "ON".equals(rows.getString(1));
        }
    }

    /** The next number of the write sequence every change to the new tables is stamped with. */
    public static long nextWriteSeq(Connection connection) throws SQLException {
        try (PreparedStatement seq = connection.prepareStatement(NEXT_WRITE_SEQ); ResultSet rows = seq.executeQuery()) {
            rows.next();
            return rows.getLong(1);
        }
    }

    /** Takes the state row exclusively until the transaction ends, waiting for the batches in flight. */
    static Locked lock(Connection connection) throws SQLException {
        try (PreparedStatement query = connection.prepareStatement(LOCK); ResultSet rows = query.executeQuery()) {
            if (!rows.next()) {
                throw new IllegalStateException(MISSING);
            }
            Timestamp grace = rows.getTimestamp(2);
            return new Locked("ON".equals(rows.getString(1)), grace == null ? null : grace.toInstant(),
                    GraceAction.valueOf(rows.getString(3)), rows.getLong(4));
        }
    }

    /** Records a switch to {@code on}, with the offsets the sink stood at. */
    static void recordSwitch(Connection connection, boolean on, Locked state, String by, String reason, boolean forced,
            long writeSeq) throws SQLException {
        try (PreparedStatement update = connection.prepareStatement(SWITCH)) {
            update.setString(1, on ? "ON" : "OFF");
            update.setTimestamp(2, state.graceEnd() == null ? null : Timestamp.from(state.graceEnd()));
            update.setString(3, state.action().name());
            update.setString(4, by);
            update.setString(5, reason);
            update.setBoolean(6, forced);
            update.setLong(7, writeSeq);
            update.executeUpdate();
        }
    }

    /** Records the grace period's end and action. */
    static void recordGracePeriod(Connection connection, Instant end, GraceAction action, String by) throws SQLException {
        try (PreparedStatement update = connection.prepareStatement(CONFIGURE_GRACE)) {
            update.setTimestamp(1, end == null ? null : Timestamp.from(end));
            update.setString(2, action.name());
            update.setString(3, by);
            update.executeUpdate();
        }
    }

    /** Records a change that keeps the mode (the legacy view retired), for the history. */
    static void recordEvent(Connection connection, String by, String reason, boolean forced) throws SQLException {
        try (PreparedStatement update = connection.prepareStatement(RECORD_EVENT)) {
            update.setString(1, by);
            update.setString(2, reason);
            update.setBoolean(3, forced);
            update.executeUpdate();
        }
    }

    /** Copies the state as it is now to the history, with the legacy rows a switch rebuilt (or null). */
    static void appendHistory(Connection connection, Long rowsRebuilt) throws SQLException {
        try (PreparedStatement append = connection.prepareStatement(APPEND_HISTORY)) {
            if (rowsRebuilt == null) {
                append.setNull(1, Types.BIGINT);
            } else {
                append.setLong(1, rowsRebuilt);
            }
            append.executeUpdate();
        }
    }

    /** The state, the last parity result and the latest {@code historyRows} changes. */
    static DualWriteStatus read(Connection connection, int historyRows) throws SQLException {
        List<DualWriteStatus.Change> history = new ArrayList<>();
        try (PreparedStatement changes = connection.prepareStatement(HISTORY)) {
            changes.setInt(1, historyRows);
            try (ResultSet change = changes.executeQuery()) {
                while (change.next()) {
                    long rebuilt = change.getLong(6);
                    Long rowsRebuilt = change.wasNull() ? null : rebuilt;
                    history.add(new DualWriteStatus.Change(change.getTimestamp(1).toInstant(), change.getString(2),
                            change.getString(3), change.getString(4), change.getBoolean(5), rowsRebuilt));
                }
            }
        }
        try (PreparedStatement query = connection.prepareStatement(READ); ResultSet rows = query.executeQuery()) {
            if (!rows.next()) {
                throw new IllegalStateException(MISSING);
            }
            Timestamp grace = rows.getTimestamp(2);
            return new DualWriteStatus("ON".equals(rows.getString(1)), grace == null ? null : grace.toInstant(),
                    GraceAction.valueOf(rows.getString(3)), rows.getString(4), rows.getTimestamp(5).toInstant(),
                    rows.getString(6), rows.getBoolean(7), rows.getLong(8), rows.getString(9), ParityCheck.last(connection),
                    history);
        }
    }

    /** Keeps a switch from queueing every writer behind a long analyst query on the legacy table. */
    static void lockTimeout(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute("SET LOCAL lock_timeout = '15s'");
        }
    }
}

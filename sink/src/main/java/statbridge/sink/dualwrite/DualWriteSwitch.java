package statbridge.sink.dualwrite;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.YearMonth;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import statbridge.sink.writer.LegacyRowRebuilder;
import statbridge.sink.writer.Partitions;

/**
 * The platform team's switch. The state lives in {@code ml_monitoring.dual_write_state}; every
 * sink batch reads it under a shared row lock, and the switch takes the row exclusively, so a
 * switch waits for the batches in flight and every batch is wholly dual-written or not.
 *
 * <p>{@link #off} checks parity first, then in one transaction renames the legacy table to
 * {@code model_stats_daily_legacy_archive} and puts a view with the same name and columns in its
 * place, so the same queries keep answering with the same rows. {@link #on} reverses that and
 * rebuilds the legacy rows written to the new tables in between, so the table has no gap.
 * PostgreSQL DDL is transactional: no reader ever sees a half switch.
 */
public final class DualWriteSwitch {

    private static final Logger LOG = LoggerFactory.getLogger(DualWriteSwitch.class);

    static final String LOCK_STATE = """
            SELECT mode, grace_period_end, on_grace_end, write_seq FROM ml_monitoring.dual_write_state WHERE id = 1 FOR UPDATE
            """;
    static final String READ_STATE = """
            SELECT mode, grace_period_end, on_grace_end, changed_by, changed_at, reason, forced, write_seq, offsets::text
            FROM ml_monitoring.dual_write_state WHERE id = 1
            """;
    static final String UPDATE_STATE = """
            UPDATE ml_monitoring.dual_write_state
            SET mode = ?, grace_period_end = ?, on_grace_end = ?, changed_by = ?, changed_at = now(), reason = ?, forced = ?,
                write_seq = ?, offsets = COALESCE((SELECT jsonb_object_agg(consumer_group || '/' || topic || '/' || partition, next_offset)
                                                   FROM ml_monitoring.sink_offsets), '{}'::jsonb)
            WHERE id = 1
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
    static final String LEGACY_TO_VIEW = """
            ALTER TABLE ml_monitoring.model_stats_daily_legacy RENAME TO model_stats_daily_legacy_archive;
            REVOKE ALL ON ml_monitoring.model_stats_daily_legacy_archive FROM ml_monitoring_reader;
            CREATE VIEW ml_monitoring.model_stats_daily_legacy AS
                SELECT model_name, model_version, stat_date, slice_key, metric_name, metric_value, business_metric_value, updated_at
                FROM ml_monitoring.model_stats_daily_legacy_rebuilt;
            GRANT SELECT ON ml_monitoring.model_stats_daily_legacy TO ml_monitoring_reader;
            """;
    static final String VIEW_TO_LEGACY = """
            DROP VIEW ml_monitoring.model_stats_daily_legacy;
            ALTER TABLE ml_monitoring.model_stats_daily_legacy_archive RENAME TO model_stats_daily_legacy;
            GRANT SELECT ON ml_monitoring.model_stats_daily_legacy TO ml_monitoring_reader;
            """;
    static final String MONTHS_WRITTEN_SINCE = """
            SELECT min(stat_date), max(stat_date) FROM (
                SELECT stat_date FROM ml_monitoring.model_stats_daily WHERE write_seq > ?
                UNION ALL SELECT stat_date FROM ml_monitoring.model_business_stats_daily WHERE write_seq > ?) written
            """;

    /** What a switch did. */
    public record SwitchResult(boolean changed, boolean on, String message, long rowsRebuilt, ParityResult parity) {
    }

    private final DataSource dataSource;

    public DualWriteSwitch(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** The current state, the last parity result and the latest changes. */
    public DualWriteStatus status(int historyRows) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            try (PreparedStatement query = connection.prepareStatement(READ_STATE); ResultSet rows = query.executeQuery()) {
                if (!rows.next()) {
                    throw new IllegalStateException("no dual-write state: run 'statbridge db migrate'");
                }
                List<DualWriteStatus.Change> history = new ArrayList<>();
                try (PreparedStatement changes = connection.prepareStatement(HISTORY)) {
                    changes.setInt(1, historyRows);
                    try (ResultSet change = changes.executeQuery()) {
                        while (change.next()) {
                            long rebuilt = change.getLong(6);
                            history.add(new DualWriteStatus.Change(change.getTimestamp(1).toInstant(), change.getString(2),
                                    change.getString(3), change.getString(4), change.getBoolean(5), change.wasNull() ? null : rebuilt));
                        }
                    }
                }
                Timestamp grace = rows.getTimestamp(2);
                DualWriteStatus status = new DualWriteStatus("ON".equals(rows.getString(1)),
                        grace == null ? null : grace.toInstant(), GraceAction.valueOf(rows.getString(3)), rows.getString(4),
                        rows.getTimestamp(5).toInstant(), rows.getString(6), rows.getBoolean(7), rows.getLong(8),
                        rows.getString(9), ParityCheck.last(connection), history);
                connection.rollback();
                return status;
            }
        }
    }

    /** Runs a parity check over everything and records it. */
    public ParityResult checkParity() throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            ParityResult result = ParityCheck.run(connection, ParitySelection.all());
            ParityCheck.record(connection, result);
            connection.commit();
            return result;
        }
    }

    /**
     * Switches dual-write off: checks parity (refusing on a difference unless {@code force}),
     * then stops legacy writes and puts the view in place, in one transaction.
     *
     * @throws ParityMismatchException when the shapes disagree and {@code force} is false
     */
    public SwitchResult off(String by, String reason, boolean force) throws SQLException {
        ParityResult parity = checkParity();
        if (!parity.ok() && !force) {
            throw new ParityMismatchException(parity);
        }
        try (Connection connection = dataSource.getConnection()) {
            try {
                lockTimeout(connection);
                State state = lock(connection);
                if (!state.on()) {
                    connection.rollback();
                    return new SwitchResult(false, false, "dual-write is already off", 0, parity);
                }
                long writeSeq = nextWriteSeq(connection);
                try (Statement ddl = connection.createStatement()) {
                    ddl.execute(LEGACY_TO_VIEW);
                }
                update(connection, "OFF", state, by, reasonWithParity(reason, parity, force), force && !parity.ok(), writeSeq);
                appendHistory(connection, null);
                connection.commit();
                LOG.info("dual-write switched OFF by {} (parity {})", by, parity);
                return new SwitchResult(true, false, "dual-write is off: " + LEGACY_VIEW_NOTE, 0, parity);
            } catch (SQLException | RuntimeException e) {
                connection.rollback();
                throw e;
            }
        }
    }

    /** Switches dual-write back on, rebuilding the legacy rows written to the new tables while it was off. */
    public SwitchResult on(String by, String reason) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            try {
                lockTimeout(connection);
                State state = lock(connection);
                if (state.on()) {
                    connection.rollback();
                    return new SwitchResult(false, true, "dual-write is already on", 0, null);
                }
                try (Statement ddl = connection.createStatement()) {
                    ddl.execute(VIEW_TO_LEGACY);
                }
                ensurePartitionsWrittenSince(connection, state.writeSeq());
                int rebuilt = LegacyRowRebuilder.rebuildSince(connection, state.writeSeq());
                update(connection, "ON", state, by, reason, false, nextWriteSeq(connection));
                appendHistory(connection, (long) rebuilt);
                connection.commit();
                LOG.info("dual-write switched ON by {}; {} legacy rows rebuilt", by, rebuilt);
                return new SwitchResult(true, true, "dual-write is on: " + rebuilt
                        + " legacy row(s) written while it was off were rebuilt", rebuilt, null);
            } catch (SQLException | RuntimeException e) {
                connection.rollback();
                throw e;
            }
        }
    }

    /** Records the grace period's end and action when they differ from the stored ones. */
    public boolean configureGracePeriod(Instant end, GraceAction action, String by) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            try {
                State state = lock(connection);
                if (Objects.equals(state.graceEnd(), end) && state.action() == action) {
                    connection.rollback();
                    return false;
                }
                try (PreparedStatement update = connection.prepareStatement("""
                        UPDATE ml_monitoring.dual_write_state
                        SET grace_period_end = ?, on_grace_end = ?, changed_by = ?, changed_at = now(),
                            reason = 'grace period configured'
                        WHERE id = 1
                        """)) {
                    update.setTimestamp(1, end == null ? null : Timestamp.from(end));
                    update.setString(2, action.name());
                    update.setString(3, by);
                    update.executeUpdate();
                }
                appendHistory(connection, null);
                connection.commit();
                return true;
            } catch (SQLException | RuntimeException e) {
                connection.rollback();
                throw e;
            }
        }
    }

    private static final String LEGACY_VIEW_NOTE = "model_stats_daily_legacy is now a view over the new tables "
            + "(the table is kept as model_stats_daily_legacy_archive)";

    private record State(boolean on, Instant graceEnd, GraceAction action, long writeSeq) {
    }

    private static State lock(Connection connection) throws SQLException {
        try (PreparedStatement query = connection.prepareStatement(LOCK_STATE); ResultSet rows = query.executeQuery()) {
            if (!rows.next()) {
                throw new IllegalStateException("no dual-write state: run 'statbridge db migrate'");
            }
            Timestamp grace = rows.getTimestamp(2);
            return new State("ON".equals(rows.getString(1)), grace == null ? null : grace.toInstant(),
                    GraceAction.valueOf(rows.getString(3)), rows.getLong(4));
        }
    }

    private static void lockTimeout(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            // A long analyst query on the legacy table must not make every writer queue behind the switch.
            statement.execute("SET LOCAL lock_timeout = '15s'");
        }
    }

    private static long nextWriteSeq(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("SELECT nextval('ml_monitoring.write_seq')")) {
            rows.next();
            return rows.getLong(1);
        }
    }

    private static void update(Connection connection, String mode, State state, String by, String reason, boolean forced,
            long writeSeq) throws SQLException {
        try (PreparedStatement update = connection.prepareStatement(UPDATE_STATE)) {
            update.setString(1, mode);
            update.setTimestamp(2, state.graceEnd() == null ? null : Timestamp.from(state.graceEnd()));
            update.setString(3, state.action().name());
            update.setString(4, by);
            update.setString(5, reason);
            update.setBoolean(6, forced);
            update.setLong(7, writeSeq);
            update.executeUpdate();
        }
    }

    private static void appendHistory(Connection connection, Long rowsRebuilt) throws SQLException {
        try (PreparedStatement append = connection.prepareStatement(APPEND_HISTORY)) {
            if (rowsRebuilt == null) {
                append.setNull(1, java.sql.Types.BIGINT);
            } else {
                append.setLong(1, rowsRebuilt);
            }
            append.executeUpdate();
        }
    }

    private static void ensurePartitionsWrittenSince(Connection connection, long writeSeq) throws SQLException {
        try (PreparedStatement range = connection.prepareStatement(MONTHS_WRITTEN_SINCE)) {
            range.setLong(1, writeSeq);
            range.setLong(2, writeSeq);
            try (ResultSet rows = range.executeQuery()) {
                if (rows.next() && rows.getDate(1) != null) {
                    // The new tables have their partitions already (the sink wrote those rows); only the
                    // legacy table, locked by this transaction anyway, may lack some.
                    YearMonth last = YearMonth.from(rows.getDate(2).toLocalDate());
                    for (YearMonth month = YearMonth.from(rows.getDate(1).toLocalDate()); !month.isAfter(last); month = month.plusMonths(1)) {
                        Partitions.ensureIn(connection, "model_stats_daily_legacy", month);
                    }
                }
            }
        }
    }

    private static String reasonWithParity(String reason, ParityResult parity, boolean force) {
        String base = reason == null || reason.isBlank() ? "" : reason;
        if (force && !parity.ok()) {
            return (base.isEmpty() ? "" : base + "; ") + "FORCED despite parity: " + parity;
        }
        return base;
    }

    /** The history as text lines, newest first. */
    public static List<String> describe(List<DualWriteStatus.Change> history) {
        List<String> lines = new ArrayList<>();
        for (DualWriteStatus.Change change : history) {
            lines.add(change.at() + "  " + change.mode() + "  by " + change.by()
                    + (change.forced() ? "  (forced)" : "")
                    + (change.rowsRebuilt() == null ? "" : "  rebuilt " + change.rowsRebuilt() + " rows")
                    + (change.reason() == null || change.reason().isBlank() ? "" : "  — " + change.reason()));
        }
        return lines;
    }

    /** Who is making a change, for the record: the OS user and host. */
    public static String currentActor() {
        String user = Optional.ofNullable(System.getProperty("user.name")).orElse("unknown");
        String host;
        try {
            host = java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.net.UnknownHostException e) {
            host = "unknown-host";
        }
        return user + "@" + host;
    }
}

package statbridge.sink.dualwrite;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.YearMonth;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import statbridge.sink.db.Partitions;
import statbridge.sink.legacy.LegacyRowRebuilder;

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

    static final String LEGACY_TO_VIEW = """
            ALTER TABLE ml_monitoring.model_stats_daily_legacy RENAME TO model_stats_daily_legacy_archive;
            REVOKE ALL ON ml_monitoring.model_stats_daily_legacy_archive FROM ml_monitoring_reader;
            CREATE VIEW ml_monitoring.model_stats_daily_legacy AS
                SELECT model_name, model_version, stat_date, slice_key, metric_name, metric_value, business_metric_value, updated_at
                FROM ml_monitoring.model_stats_daily_legacy_rebuilt;
            GRANT SELECT ON ml_monitoring.model_stats_daily_legacy TO ml_monitoring_reader;
            """;
    static final String VIEW_TO_LEGACY = """
            DROP VIEW IF EXISTS ml_monitoring.model_stats_daily_legacy;
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
            DualWriteStatus status = DualWriteState.read(connection, historyRows);
            connection.rollback();
            return status;
        }
    }

    /**
     * Runs a parity check over everything and records it, in one backend: the check comes before a
     * switch, while the sink's batches go on, and parallel workers would take the cores they need
     * (with two cores, the sink's commits paused up to a second while a 5.7 s check ran on three
     * processes).
     */
    public ParityResult checkParity() throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            try (Statement gentle = connection.createStatement()) {
                gentle.execute("SELECT set_config('max_parallel_workers_per_gather', '0', true)");
            }
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
                DualWriteState.lockTimeout(connection);
                DualWriteState.Locked state = DualWriteState.lock(connection);
                if (!state.on()) {
                    connection.rollback();
                    return new SwitchResult(false, false, "dual-write is already off", 0, parity);
                }
                long writeSeq = DualWriteState.nextWriteSeq(connection);
                try (Statement ddl = connection.createStatement()) {
                    ddl.execute(LEGACY_TO_VIEW);
                }
                List<String> repointed = UserViews.repoint(connection, "model_stats_daily_legacy_archive", "model_stats_daily_legacy");
                DualWriteState.recordSwitch(connection, false, state, by, reasonWithParity(reason, parity, force), force && !parity.ok(), writeSeq);
                DualWriteState.appendHistory(connection, null);
                connection.commit();
                LOG.info("dual-write switched OFF by {} (parity {})", by, parity);
                return new SwitchResult(true, false, "dual-write is off: " + LEGACY_VIEW_NOTE + repointedNote(repointed, "view"), 0,
                        parity);
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
                DualWriteState.lockTimeout(connection);
                DualWriteState.Locked state = DualWriteState.lock(connection);
                if (state.on()) {
                    connection.rollback();
                    return new SwitchResult(false, true, "dual-write is already on", 0, null);
                }
                List<String> repointed = UserViews.repoint(connection, "model_stats_daily_legacy", "model_stats_daily_legacy_archive");
                try (Statement ddl = connection.createStatement()) {
                    ddl.execute(VIEW_TO_LEGACY);
                }
                ensurePartitionsWrittenSince(connection, state.writeSeq());
                int rebuilt = LegacyRowRebuilder.rebuildSince(connection, state.writeSeq());
                DualWriteState.recordSwitch(connection, true, state, by, reason, false, DualWriteState.nextWriteSeq(connection));
                DualWriteState.appendHistory(connection, (long) rebuilt);
                connection.commit();
                LOG.info("dual-write switched ON by {}; {} legacy rows rebuilt", by, rebuilt);
                return new SwitchResult(true, true, "dual-write is on: " + rebuilt
                        + " legacy row(s) written while it was off were rebuilt" + repointedNote(repointed, "table"), rebuilt, null);
            } catch (SQLException | RuntimeException e) {
                connection.rollback();
                throw e;
            }
        }
    }

    private static String repointedNote(List<String> views, String what) {
        return views.isEmpty() ? "" : "; " + views.size() + " view(s) of yours over model_stats_daily_legacy now read the " + what
                + ": " + String.join(", ", views);
    }

    /** What {@link #retireView} did. */
    public enum Retired { RETIRED, ALREADY_RETIRED, DUAL_WRITE_ON, VIEWS_DEPEND_ON_IT }

    /**
     * Removes the view that answers for the legacy table while dual-write is off, and records it in
     * the dual-write history. The archived table stays: {@link #on} brings it back with no gap.
     * Views of the users' own over the legacy view make the drop fail (it never cascades).
     */
    public Retired retireView(String by, String reason, boolean forced) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            try {
                DualWriteState.lockTimeout(connection);
                DualWriteState.Locked state = DualWriteState.lock(connection);
                if (state.on()) {
                    connection.rollback();
                    return Retired.DUAL_WRITE_ON;
                }
                if (!legacyViewExists(connection)) {
                    connection.rollback();
                    return Retired.ALREADY_RETIRED;
                }
                if (!UserViews.over(connection, "ml_monitoring.model_stats_daily_legacy").isEmpty()) {
                    connection.rollback();
                    return Retired.VIEWS_DEPEND_ON_IT;
                }
                try (Statement ddl = connection.createStatement()) {
                    ddl.execute("DROP VIEW ml_monitoring.model_stats_daily_legacy");
                }
                DualWriteState.recordEvent(connection, by, reason, forced);
                DualWriteState.appendHistory(connection, null);
                connection.commit();
                LOG.info("the legacy view model_stats_daily_legacy was retired by {}{}", by, forced ? " (forced)" : "");
                return Retired.RETIRED;
            } catch (SQLException | RuntimeException e) {
                connection.rollback();
                throw e;
            }
        }
    }

    /** The views of the users' own that read the legacy name directly (they hold off its retirement). */
    public static List<String> viewsOverLegacy(Connection connection) throws SQLException {
        return UserViews.over(connection, "ml_monitoring.model_stats_daily_legacy");
    }

    /** Whether the name {@code model_stats_daily_legacy} answers at all (a table, or the view while off). */
    public static boolean legacyViewExists(Connection connection) throws SQLException {
        try (Statement query = connection.createStatement();
                java.sql.ResultSet rows = query.executeQuery("SELECT to_regclass('ml_monitoring.model_stats_daily_legacy') IS NOT NULL")) {
            rows.next();
            return rows.getBoolean(1);
        }
    }

    /** Records the grace period's end and action when they differ from the stored ones. */
    public boolean configureGracePeriod(Instant end, GraceAction action, String by) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            try {
                DualWriteState.Locked state = DualWriteState.lock(connection);
                if (Objects.equals(state.graceEnd(), end) && state.action() == action) {
                    connection.rollback();
                    return false;
                }
                DualWriteState.recordGracePeriod(connection, end, action, by);
                DualWriteState.appendHistory(connection, null);
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

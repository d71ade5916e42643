package statbridge.console;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import javax.sql.DataSource;
import statbridge.config.Configuration;
import statbridge.sink.db.Database;
import statbridge.sink.db.DatabaseConfig;
import statbridge.sink.dualwrite.DualWriteStatus;
import statbridge.sink.dualwrite.DualWriteSwitch;
import statbridge.tools.lifecycle.LegacyLifecycle;
import statbridge.tools.lifecycle.LegacyReaders;
import statbridge.tools.lifecycle.LifecycleSettings;
import statbridge.tools.series.SeriesSettings;
import statbridge.tools.series.SilentSeries;

/**
 * Everything the console reads from PostgreSQL, as {@link LegacyReaders#CONSOLE_ROLE} (set on every
 * connection, in read-only transactions), with bound parameters only. Every query reads the
 * metadata tables or an indexed range of one model, version, slice and date range: never a whole
 * stat table.
 */
public final class ConsoleData implements AutoCloseable {

    /** One model and version, as {@code metric_series} knows it. */
    public record ModelVersion(String model, String version) {
    }

    /** One series of a model and version, with the legacy name the catalog gives it (null if none). */
    public record SeriesInfo(String metricType, String metricKey, String metricName, LocalDate firstDate, LocalDate lastDate) {
    }

    /** One day of a series: its metric value, and its KPI (business value) where there is one. */
    public record Point(LocalDate date, Double value, Double business) {
    }

    /**
     * One metric of a Model Health page: the series as the legacy shape has it (by {@code metric_name})
     * and as the new shape has it (by {@code (metric_type, metric_key)}, KPI joined).
     */
    public record Chart(String metricName, String metricType, String metricKey, List<Point> legacy, List<Point> current) {
        public boolean identical() {
            return legacy.equals(current);
        }
    }

    /** The migration's state: the switch, the end of the lifecycle, and the silent series. */
    public record Overview(DualWriteStatus status, LegacyLifecycle.Verdict verdict, String verdictProblem, Duration quietPeriod,
            SilentSeries.Report silent, Map<String, Long> sinkOffsets) {
    }

    static final String MODELS = "SELECT DISTINCT model_name, model_version FROM ml_monitoring.metric_series ORDER BY 1, 2";
    static final String SLICES = """
            SELECT DISTINCT slice_key FROM ml_monitoring.metric_series_slices WHERE model_name = ? AND model_version = ? ORDER BY 1
            """;
    static final String SERIES = """
            SELECT s.metric_type, s.metric_key, c.metric_name, s.first_date, s.last_date
            FROM ml_monitoring.metric_series s
            LEFT JOIN ml_monitoring.metric_catalog c ON c.metric_type = s.metric_type AND c.metric_key = s.metric_key
            WHERE s.model_name = ? AND s.model_version = ?
            ORDER BY s.metric_type, s.metric_key
            """;
    static final String LEGACY_POINTS = """
            SELECT metric_name, stat_date, metric_value, business_metric_value FROM ml_monitoring.model_stats_daily_legacy
            WHERE model_name = ? AND model_version = ? AND slice_key = ? AND stat_date >= ? AND stat_date <= ?
            ORDER BY metric_name, stat_date
            """;
    static final String NEW_POINTS = """
            SELECT s.metric_type, s.metric_key, s.stat_date, s.metric_value, b.business_metric_value
            FROM ml_monitoring.model_stats_daily s
            LEFT JOIN ml_monitoring.model_business_stats_daily b
              ON b.model_name = s.model_name AND b.model_version = s.model_version AND b.stat_date = s.stat_date
             AND b.slice_key = s.slice_key AND b.metric_type = s.metric_type AND b.metric_key = s.metric_key
             AND b.stat_date >= ? AND b.stat_date <= ?
            WHERE s.model_name = ? AND s.model_version = ? AND s.slice_key = ? AND s.stat_date >= ? AND s.stat_date <= ?
            ORDER BY s.metric_type, s.metric_key, s.stat_date
            """;
    static final String SINK_OFFSETS = "SELECT topic, partition, next_offset FROM ml_monitoring.sink_offsets WHERE consumer_group = ?";
    static final String LOGIN = """
            SELECT session_user::text, r.rolsuper,
                   to_regclass('ml_monitoring.dual_write_state') IS NOT NULL
                   AND has_table_privilege(session_user, 'ml_monitoring.model_stats_daily', 'INSERT'),
                   to_regclass('ml_monitoring.dual_write_state') IS NOT NULL
            FROM pg_roles r WHERE r.rolname = session_user
            """;

    private final Database database;
    private final Clock clock;
    private final Duration quietPeriod;
    private final SilentSeries.Rule rule;
    private final String sinkGroup;
    private final String where;

    ConsoleData(Database database, Clock clock, Duration quietPeriod, SilentSeries.Rule rule, String sinkGroup, String where) {
        this.where = where;
        this.database = database;
        this.clock = clock;
        this.quietPeriod = quietPeriod;
        this.rule = rule;
        this.sinkGroup = sinkGroup;
    }

    /** Opens a small read-only pool that reads as the console's role. */
    public static ConsoleData open(Configuration config) {
        DatabaseConfig base = DatabaseConfig.from(config);
        Map<String, String> hikari = new LinkedHashMap<>(base.hikari());
        // In the connection's start-up options, not a SET ROLE after it: the pool rolls back what it runs on a new connection
        // outside autocommit, and a SET rolls back with it.
        hikari.put("dataSource.options", "-c role=" + LegacyReaders.CONSOLE_ROLE + " -c default_transaction_read_only=on");
        hikari.put("readOnly", "true");
        Database database = Database.open(new DatabaseConfig(base.jdbcUrl(), base.user(), base.password(), 3, hikari), "statbridge-console");
        return new ConsoleData(database, Clock.systemUTC(), config.getDuration(LifecycleSettings.QUIET_PERIOD), SeriesSettings.rule(config),
                config.get(statbridge.sink.SinkSettings.GROUP_ID), "PostgreSQL at " + statbridge.config.Secrets.redact(base.jdbcUrl()));
    }

    /** The pool, as the console's role: for the test that tries to write through it. */
    public DataSource dataSource() {
        return database.dataSource();
    }

    /** PostgreSQL did not answer, or answered with an error that is not about the console's role. */
    public static final class Unreachable extends IllegalStateException {
        Unreachable(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** Who the console logs in as, and whether that login itself could write (a warning for the operator), or a reason it cannot read. */
    public record Login(String user, boolean superuser, boolean canWrite) {
    }

    /**
     * Checks that the console can read as its role.
     *
     * @throws IllegalStateException with what to do when the role is missing or the login may not take it
     */
    public Login check() {
        try (Connection connection = database.dataSource().getConnection();
                PreparedStatement query = connection.prepareStatement(LOGIN); ResultSet rows = query.executeQuery()) {
            rows.next();
            Login login = new Login(rows.getString(1), rows.getBoolean(2), rows.getBoolean(3));
            boolean migrated = rows.getBoolean(4);
            connection.rollback();
            if (!migrated) {
                throw new IllegalStateException(where + " has no statbridge tables: run 'statbridge db migrate'");
            }
            return login;
        } catch (SQLException e) {
            Throwable root = e;
            while (root.getCause() != null && root.getCause() != root) {
                root = root.getCause();
            }
            String cause = root.getMessage() == null ? root.toString() : root.getMessage();
            if (cause.contains("role \"" + LegacyReaders.CONSOLE_ROLE + "\" does not exist")) {
                throw new IllegalStateException("the database has no role " + LegacyReaders.CONSOLE_ROLE + ": run 'statbridge db migrate'");
            }
            if ("42501".equals(e.getSQLState()) || cause.contains("permission denied to set role")) {
                throw new IllegalStateException("the console reads as " + LegacyReaders.CONSOLE_ROLE + " and its login may not set that role: "
                        + "GRANT " + LegacyReaders.CONSOLE_ROLE + " TO <the login> (or log in as a role that is only a member of it)");
            }
            throw new Unreachable("cannot read " + where + ": " + cause, e);
        }
    }

    public Overview overview() throws SQLException {
        DualWriteStatus status = new DualWriteSwitch(database.dataSource()).status(10);
        LegacyLifecycle.Verdict verdict = null;
        String problem = null;
        try {
            verdict = new LegacyLifecycle(database.dataSource(), clock, List.of()).verdict(quietPeriod);
        } catch (SQLException | RuntimeException e) {
            problem = e.getMessage();
        }
        SilentSeries.Report silent = new SilentSeries(database.dataSource()).report(null, rule);
        return new Overview(status, verdict, problem, quietPeriod, silent, sinkOffsets());
    }

    /** What to do with each row of a query. */
    @FunctionalInterface
    interface Row {
        void read(ResultSet rows) throws SQLException;
    }

    /** Runs {@code sql} with {@code parameters} bound in order, and hands each row to {@code row}. */
    static void each(Connection connection, String sql, List<Object> parameters, Row row) throws SQLException {
        try (PreparedStatement query = connection.prepareStatement(sql)) {
            for (int i = 0; i < parameters.size(); i++) {
                query.setObject(i + 1, parameters.get(i));
            }
            try (ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    row.read(rows);
                }
            }
        }
    }

    /** As {@link #each}, on a connection of the pool, in a read-only transaction of its own. */
    private void read(String sql, List<Object> parameters, Row row) throws SQLException {
        try (Connection connection = database.dataSource().getConnection()) {
            each(connection, sql, parameters, row);
            connection.rollback();
        }
    }

    static List<Object> legacyParameters(String model, String version, String slice, LocalDate from, LocalDate to) {
        return List.of(model, version, slice, from, to);
    }

    static List<Object> newParameters(String model, String version, String slice, LocalDate from, LocalDate to) {
        return List.of(from, to, model, version, slice, from, to);
    }

    /** The sink's next offset per {@code topic-partition}, as it committed them with its rows. */
    Map<String, Long> sinkOffsets() throws SQLException {
        Map<String, Long> offsets = new TreeMap<>();
        read(SINK_OFFSETS, List.of(sinkGroup), rows -> offsets.put(rows.getString(1) + "-" + rows.getInt(2), rows.getLong(3)));
        return offsets;
    }

    public List<ModelVersion> models() throws SQLException {
        List<ModelVersion> models = new ArrayList<>();
        read(MODELS, List.of(), rows -> models.add(new ModelVersion(rows.getString(1), rows.getString(2))));
        return models;
    }

    public List<String> slices(String model, String version) throws SQLException {
        List<String> slices = new ArrayList<>();
        read(SLICES, List.of(model, version), rows -> slices.add(rows.getString(1)));
        return slices;
    }

    public List<SeriesInfo> series(String model, String version) throws SQLException {
        List<SeriesInfo> series = new ArrayList<>();
        read(SERIES, List.of(model, version), rows -> series.add(new SeriesInfo(rows.getString(1), rows.getString(2), rows.getString(3),
                rows.getObject(4, LocalDate.class), rows.getObject(5, LocalDate.class))));
        return series;
    }

    /**
     * The charts of one model, version and slice from {@code from} to {@code to}: one per series of
     * {@code series}, and one for each legacy {@code metric_name} the new shape has no series for.
     * Both shapes are read in one snapshot.
     */
    public List<Chart> charts(String model, String version, String slice, LocalDate from, LocalDate to, List<SeriesInfo> series)
            throws SQLException {
        Map<String, List<Point>> legacy = new TreeMap<>();
        Map<String, List<Point>> current = new TreeMap<>();
        try (Connection connection = database.dataSource().getConnection()) {
            connection.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            each(connection, LEGACY_POINTS, legacyParameters(model, version, slice, from, to), rows ->
                    legacy.computeIfAbsent(rows.getString(1), k -> new ArrayList<>())
                            .add(new Point(rows.getObject(2, LocalDate.class), number(rows, 3), number(rows, 4))));
            each(connection, NEW_POINTS, newParameters(model, version, slice, from, to), rows ->
                    current.computeIfAbsent(rows.getString(1) + "\u0000" + rows.getString(2), k -> new ArrayList<>())
                            .add(new Point(rows.getObject(3, LocalDate.class), number(rows, 4), number(rows, 5))));
            connection.rollback();
        }
        List<Chart> charts = new ArrayList<>();
        for (SeriesInfo s : series) {
            List<Point> legacyPoints = s.metricName() == null ? List.of() : legacy.getOrDefault(s.metricName(), List.of());
            charts.add(new Chart(s.metricName(), s.metricType(), s.metricKey(), legacyPoints,
                    current.getOrDefault(s.metricType() + "\u0000" + s.metricKey(), List.of())));
        }
        for (Map.Entry<String, List<Point>> name : legacy.entrySet()) {
            if (series.stream().noneMatch(s -> Objects.equals(s.metricName(), name.getKey()))) {
                charts.add(new Chart(name.getKey(), null, null, name.getValue(), List.of()));
            }
        }
        return charts;
    }

    private static Double number(ResultSet rows, int column) throws SQLException {
        double value = rows.getDouble(column);
        return rows.wasNull() ? null : value;
    }

    @Override
    public void close() {
        database.close();
    }
}

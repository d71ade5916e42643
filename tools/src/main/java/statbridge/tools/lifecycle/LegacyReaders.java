package statbridge.tools.lifecycle;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * Who still reads the legacy shape. PostgreSQL's {@code pg_stat_statements} counts every distinct
 * statement by role; a {@link #sample} copies the ones that name {@code model_stats_daily_legacy}
 * (the table, its archive, the view that replaces it after switch-off, its partitions) or a view
 * built over them into {@code ml_monitoring.legacy_readers}, adding only what is new since the last
 * sample, so the record survives {@code pg_stat_statements_reset()} and server restarts.
 * Statements of the role statbridge itself connects as, and of the other roles it is told it runs
 * as, are not readers: the sink's writes, the parity checks, backfill and import run as those.
 */
public final class LegacyReaders {

    /** One distinct statement a role ran on the legacy shape. */
    public record Reader(String role, long queryId, String query, long calls, long rows, Instant firstSeen, Instant lastSeen) {
    }

    /**
     * What the sampling can vouch for.
     *
     * @param since when readers were first recorded: a quiet period can only be measured from here
     * @param sampledAt the last successful sample, or null
     * @param problem why the last attempt could not sample, or null when it could
     */
    public record Sampling(Instant since, Instant sampledAt, String problem, Instant problemAt) {

        /** Whether readers are being recorded now. */
        public boolean working() {
            return sampledAt != null && (problemAt == null || sampledAt.isAfter(problemAt));
        }
    }

    static final String LEGACY_PREFIX = "model_stats_daily_legacy";

    /**
     * The role the console reads as (migration V10): its charts of the legacy shape are
     * statbridge's own reads, not a reader's.
     */
    public static final String CONSOLE_ROLE = "statbridge_console";

    static final String LOCK_SAMPLING = """
            SELECT stats_reset FROM ml_monitoring.legacy_reader_sampling WHERE id = 1 FOR UPDATE
            """;
    static final String EXTENSION_SCHEMA = """
            SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_stat_statements'
            """;
    static final String EXTENSION_AVAILABLE = "SELECT 1 FROM pg_available_extensions WHERE name = 'pg_stat_statements'";
    /** Views of the user's built over the legacy table or its archive, at any depth. */
    static final String VIEWS_OVER_LEGACY = """
            WITH RECURSIVE legacy(oid) AS (
                SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = 'ml_monitoring' AND c.relname IN ('model_stats_daily_legacy', 'model_stats_daily_legacy_archive')
              UNION
                SELECT r.ev_class FROM pg_depend d
                JOIN pg_rewrite r ON r.oid = d.objid
                JOIN legacy l ON d.refobjid = l.oid
                WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass AND r.ev_class <> l.oid)
            SELECT DISTINCT c.relname FROM legacy JOIN pg_class c ON c.oid = legacy.oid
            WHERE c.relname NOT LIKE 'model\\_stats\\_daily\\_legacy%'
            """;
    static final String FORGET_COUNTERS = "UPDATE ml_monitoring.legacy_readers SET seen_calls = 0, seen_rows = 0";
    static final String UPSERT = """
            WITH current AS (
                SELECT r.rolname AS role_name, s.queryid, min(s.query) AS query, sum(s.calls)::bigint AS calls, sum(s.rows)::bigint AS rows
                FROM %1$s.pg_stat_statements s
                JOIN pg_roles r ON r.oid = s.userid
                WHERE s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
                  AND r.rolname <> current_user
                  AND NOT (r.rolname = ANY (?))
                  AND s.queryid IS NOT NULL
                  AND s.query ~* ?
                GROUP BY r.rolname, s.queryid)
            INSERT INTO ml_monitoring.legacy_readers AS l
                   (role_name, queryid, query, calls, rows, first_seen, last_seen, seen_calls, seen_rows)
            SELECT role_name, queryid, query, calls, rows, now(), now(), calls, rows FROM current WHERE calls > 0
            ON CONFLICT (role_name, queryid) DO UPDATE SET
                calls = l.calls + CASE WHEN EXCLUDED.seen_calls < l.seen_calls THEN EXCLUDED.seen_calls
                                       ELSE EXCLUDED.seen_calls - l.seen_calls END,
                rows = l.rows + CASE WHEN EXCLUDED.seen_calls < l.seen_calls THEN EXCLUDED.seen_rows
                                     ELSE greatest(EXCLUDED.seen_rows - l.seen_rows, 0) END,
                last_seen = CASE WHEN EXCLUDED.seen_calls <> l.seen_calls THEN now() ELSE l.last_seen END,
                seen_calls = EXCLUDED.seen_calls,
                seen_rows = EXCLUDED.seen_rows
            """;
    static final String RECORD_SAMPLE = """
            UPDATE ml_monitoring.legacy_reader_sampling
            SET since = coalesce(since, now()), sampled_at = now(), stats_reset = ?
            WHERE id = 1
            """;
    static final String RECORD_PROBLEM = """
            UPDATE ml_monitoring.legacy_reader_sampling SET problem = ?, problem_at = now() WHERE id = 1
            """;
    static final String SAMPLING = """
            SELECT since, sampled_at, problem, problem_at FROM ml_monitoring.legacy_reader_sampling WHERE id = 1
            """;
    static final String SEEN_SINCE = """
            SELECT role_name, queryid, query, calls, rows, first_seen, last_seen FROM ml_monitoring.legacy_readers
            WHERE last_seen >= ? ORDER BY role_name, last_seen DESC, queryid
            """;

    private final DataSource dataSource;
    private final List<String> ownRoles;

    /** Readers sampled as the role {@code dataSource} connects as; its statements are statbridge's own. */
    public LegacyReaders(DataSource dataSource) {
        this(dataSource, List.of());
    }

    /** @param ownRoles other roles statbridge runs as, whose statements are not readers either */
    public LegacyReaders(DataSource dataSource, List<String> ownRoles) {
        this.dataSource = dataSource;
        List<String> own = new java.util.ArrayList<>(ownRoles);
        own.add(CONSOLE_ROLE);
        this.ownRoles = List.copyOf(own);
    }

    /**
     * Copies what {@code pg_stat_statements} counted since the last sample. When it cannot (the
     * extension is not loaded, or not readable), the reason is recorded and returned, and nothing
     * else changes.
     *
     * @return the problem, or empty when the sample was taken
     */
    public Optional<String> sample() throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            Optional<String> schema = extensionSchema(connection);
            if (schema.isEmpty()) {
                return recordProblem(connection, "pg_stat_statements is not available in this database: "
                        + "add it to shared_preload_libraries and run CREATE EXTENSION pg_stat_statements (see docs/analysts.md)");
            }
            try {
                Timestamp previousReset;
                try (PreparedStatement lock = connection.prepareStatement(LOCK_SAMPLING); ResultSet rows = lock.executeQuery()) {
                    if (!rows.next()) {
                        throw new IllegalStateException("no legacy reader sampling row: run 'statbridge db migrate'");
                    }
                    previousReset = rows.getTimestamp(1);
                }
                Timestamp reset;
                try (Statement info = connection.createStatement();
                        ResultSet rows = info.executeQuery("SELECT stats_reset FROM " + schema.get() + ".pg_stat_statements_info")) {
                    rows.next();
                    reset = rows.getTimestamp(1);
                }
                if (previousReset != null && !previousReset.equals(reset)) {
                    try (Statement forget = connection.createStatement()) {
                        forget.executeUpdate(FORGET_COUNTERS);
                    }
                }
                try (PreparedStatement upsert = connection.prepareStatement(UPSERT.formatted(schema.get()))) {
                    upsert.setArray(1, connection.createArrayOf("text", ownRoles.toArray()));
                    upsert.setString(2, relationPattern(connection));
                    upsert.executeUpdate();
                }
                try (PreparedStatement record = connection.prepareStatement(RECORD_SAMPLE)) {
                    record.setTimestamp(1, reset);
                    record.executeUpdate();
                }
                connection.commit();
                return Optional.empty();
            } catch (SQLException e) {
                connection.rollback();
                if (e.getMessage() != null && e.getMessage().contains("shared_preload_libraries")) {
                    return recordProblem(connection, "pg_stat_statements is installed but not loaded: add it to "
                            + "shared_preload_libraries and restart PostgreSQL (see docs/analysts.md)");
                }
                if ("42501".equals(e.getSQLState())) {
                    return recordProblem(connection, "cannot read pg_stat_statements: " + e.getMessage()
                            + " (grant pg_read_all_stats to statbridge's role)");
                }
                throw e;
            }
        }
    }

    /** The statements read from the legacy shape last seen at or after {@code since}, by role. */
    public List<Reader> seenSince(Instant since) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            List<Reader> readers = seenSince(connection, since);
            connection.rollback();
            return readers;
        }
    }

    static List<Reader> seenSince(Connection connection, Instant since) throws SQLException {
        List<Reader> readers = new ArrayList<>();
        try (PreparedStatement query = connection.prepareStatement(SEEN_SINCE)) {
            query.setTimestamp(1, Timestamp.from(since));
            try (ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    readers.add(new Reader(rows.getString(1), rows.getLong(2), rows.getString(3), rows.getLong(4), rows.getLong(5),
                            rows.getTimestamp(6).toInstant(), rows.getTimestamp(7).toInstant()));
                }
            }
        }
        return readers;
    }

    /** What the sampling can vouch for now. */
    public Sampling sampling() throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            Sampling sampling = sampling(connection);
            connection.rollback();
            return sampling;
        }
    }

    static Sampling sampling(Connection connection) throws SQLException {
        try (PreparedStatement query = connection.prepareStatement(SAMPLING); ResultSet rows = query.executeQuery()) {
            if (!rows.next()) {
                throw new IllegalStateException("no legacy reader sampling row: run 'statbridge db migrate'");
            }
            return new Sampling(instant(rows.getTimestamp(1)), instant(rows.getTimestamp(2)), rows.getString(3),
                    instant(rows.getTimestamp(4)));
        }
    }

    private static Instant instant(Timestamp timestamp) {
        return timestamp == null ? null : timestamp.toInstant();
    }

    /**
     * The extension's schema, creating the extension when the server has it and this role may;
     * empty when the server lacks it.
     */
    private static Optional<String> extensionSchema(Connection connection) throws SQLException {
        Optional<String> schema = queryString(connection, EXTENSION_SCHEMA);
        if (schema.isPresent() || queryString(connection, EXTENSION_AVAILABLE).isEmpty()) {
            connection.rollback();
            return schema;
        }
        try (Statement create = connection.createStatement()) {
            create.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
            connection.commit();
        } catch (SQLException e) {
            connection.rollback();
            return Optional.empty();
        }
        schema = queryString(connection, EXTENSION_SCHEMA);
        connection.rollback();
        return schema;
    }

    private static Optional<String> queryString(Connection connection, String sql) throws SQLException {
        try (Statement statement = connection.createStatement(); ResultSet rows = statement.executeQuery(sql)) {
            return rows.next() ? Optional.of(rows.getString(1)) : Optional.empty();
        }
    }

    /** A POSIX regular expression matching statements that name the legacy shape or a view over it. */
    static String relationPattern(Connection connection) throws SQLException {
        List<String> names = new ArrayList<>();
        names.add(LEGACY_PREFIX + "\\w*");
        try (Statement statement = connection.createStatement(); ResultSet rows = statement.executeQuery(VIEWS_OVER_LEGACY)) {
            while (rows.next()) {
                String view = rows.getString(1);
                if (view.matches("[A-Za-z_][A-Za-z0-9_]*")) {
                    names.add(view);
                }
            }
        }
        return "\\m(" + String.join("|", names) + ")\\M";
    }

    private static Optional<String> recordProblem(Connection connection, String problem) throws SQLException {
        try (PreparedStatement record = connection.prepareStatement(RECORD_PROBLEM)) {
            record.setString(1, problem);
            record.executeUpdate();
            connection.commit();
        }
        return Optional.of(problem);
    }
}

package statbridge.sink.db;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDate;
import java.time.YearMonth;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.DataSource;

/**
 * Makes sure the monthly partitions of the stat tables exist before rows for a month are written.
 * Remembers the months it has seen to stay off the hot path.
 *
 * <p>Creating a partition takes an ACCESS EXCLUSIVE lock on the parent table, so each partition is
 * created in a transaction of its own: holding one parent's lock while waiting for another's could
 * deadlock with a reader of both (verify, a parity check, an analyst's join). A short
 * {@code lock_timeout} keeps the queued lock from stalling readers behind a long query; the caller
 * (the sink's retry with backoff) tries again later.
 */
public final class Partitions {

    /** The monthly partitioned stat tables, in the order their partitions are created. */
    public static final List<String> TABLES = List.of("model_stats_daily", "model_business_stats_daily", "model_stats_daily_legacy");

    private static final String ENSURE = "SELECT ml_monitoring.ensure_month_partition(?, ?, ?)";
    /** Pages filled whole: what PostgreSQL does by default. */
    public static final int FULL_PAGES = 100;
    /** How long creating a partition waits for the parent's lock before it gives up (and is tried again). */
    public static final Duration LOCK_TIMEOUT = Duration.ofSeconds(2);
    private static final int ATTEMPTS = 3;

    private final DataSource dataSource;
    private final Duration lockTimeout;
    private final int fillfactor;
    private final Set<YearMonth> known = ConcurrentHashMap.newKeySet();

    public Partitions(DataSource dataSource) {
        this(dataSource, LOCK_TIMEOUT);
    }

    public Partitions(DataSource dataSource, Duration lockTimeout) {
        this(dataSource, lockTimeout, FULL_PAGES);
    }

    /**
     * @param fillfactor how full (in percent) PostgreSQL fills the pages of the partitions created
     *     here ({@code sink.partition.fillfactor}); below 100 leaves room for corrections to be HOT updates
     */
    public Partitions(DataSource dataSource, Duration lockTimeout, int fillfactor) {
        if (fillfactor < 10 || fillfactor > FULL_PAGES) {
            throw new IllegalArgumentException("a fillfactor is from 10 to 100, not " + fillfactor);
        }
        this.dataSource = dataSource;
        this.lockTimeout = lockTimeout;
        this.fillfactor = fillfactor;
    }

    /** Ensures every month from {@code first} to {@code last}. */
    public void ensureRange(YearMonth first, YearMonth last) throws SQLException {
        TreeSet<YearMonth> months = new TreeSet<>();
        for (YearMonth m = first; !m.isAfter(last); m = m.plusMonths(1)) {
            months.add(m);
        }
        ensure(months);
    }

    /** Ensures the months of these dates. */
    public void ensureFor(Collection<LocalDate> dates) throws SQLException {
        TreeSet<YearMonth> missing = new TreeSet<>();
        for (LocalDate date : dates) {
            YearMonth month = YearMonth.from(date);
            if (!known.contains(month)) {
                missing.add(month);
            }
        }
        if (!missing.isEmpty()) {
            ensure(missing);
        }
    }

    /** Forgets what it knows, e.g. after partitions were dropped. */
    public void forget() {
        known.clear();
    }

    /**
     * Creates the partition of one table for one month if it is missing, inside the caller's
     * transaction (which then holds the parent's lock until it ends).
     *
     * @return whether it was created
     */
    public static boolean ensureIn(Connection connection, String table, YearMonth month) throws SQLException {
        return ensureIn(connection, table, month, FULL_PAGES);
    }

    /** As {@link #ensureIn(Connection, String, YearMonth)}, its pages filled to {@code fillfactor} percent. */
    public static boolean ensureIn(Connection connection, String table, YearMonth month, int fillfactor) throws SQLException {
        try (PreparedStatement ensure = connection.prepareStatement(ENSURE)) {
            ensure.setString(1, table);
            ensure.setObject(2, month.atDay(1));
            ensure.setInt(3, fillfactor);
            try (ResultSet result = ensure.executeQuery()) {
                return result.next() && result.getBoolean(1);
            }
        }
    }

    /** Ensures one table's partition for one month, in a transaction of its own. */
    public void ensure(String table, YearMonth month) throws SQLException {
        requireTable(table);
        try (Connection connection = dataSource.getConnection()) {
            ensureOne(connection, table, month);
        }
    }

    /**
     * The columns of {@code model_stats_daily}'s series index (migration V11): a series' rows of a
     * month in date order. A table built to become a partition builds it too ({@code <built>_series}),
     * so that attaching it finds the index instead of building one under the parent's lock.
     */
    public static final String SERIES_INDEX_COLUMNS = "model_name, model_version, metric_type, metric_key, stat_date, slice_key";

    /** The name of {@code table}'s partition for {@code month} (in {@code ml_monitoring}). */
    public static String partitionName(String table, YearMonth month) {
        requireTable(table);
        return table + "_" + month.toString().replace('-', '_');
    }

    /**
     * Makes {@code built} the partition of {@code table} for {@code month}, in the caller's
     * transaction: a table of {@code ml_monitoring} with {@code table}'s columns, its primary key
     * named {@code built + "_pkey"} (and for {@code model_stats_daily} the series index named
     * {@code built + "_series"}), and a CHECK constraint named {@code check} that proves its rows
     * are of the month (so attaching it does not scan them; the constraint is dropped once the
     * partition's bound says the same). The table and its indexes take the partition's names. The
     * parent is locked SHARE UPDATE EXCLUSIVE, which neither readers nor writers of other months
     * wait for; the caller sets {@code lock_timeout}.
     *
     * @return false, changing nothing, when the month already has its partition (someone wrote the month meanwhile)
     */
    public static boolean attachIn(Connection connection, String table, YearMonth month, String built, String check)
            throws SQLException {
        String child = partitionName(table, month);
        try (PreparedStatement exists = connection.prepareStatement("SELECT to_regclass(?) IS NOT NULL OR to_regclass(?) IS NOT NULL")) {
            exists.setString(1, "ml_monitoring." + child);
            exists.setString(2, "ml_monitoring." + child + "_pkey");
            try (ResultSet rows = exists.executeQuery()) {
                rows.next();
                if (rows.getBoolean(1)) {
                    return false;
                }
            }
        }
        LocalDate first = month.atDay(1);
        try (Statement ddl = connection.createStatement()) {
            ddl.execute("ALTER TABLE ml_monitoring." + built + " RENAME TO " + child);
            ddl.execute("ALTER INDEX ml_monitoring." + built + "_pkey RENAME TO " + child + "_pkey");
            ddl.execute("ALTER INDEX IF EXISTS ml_monitoring." + built + "_series RENAME TO " + child + "_series");
            ddl.execute("ALTER TABLE ml_monitoring." + table + " ATTACH PARTITION ml_monitoring." + child
                    + " FOR VALUES FROM ('" + first + "') TO ('" + first.plusMonths(1) + "')");
            ddl.execute("ALTER TABLE ml_monitoring." + child + " DROP CONSTRAINT " + check);
        }
        return true;
    }

    private static void requireTable(String table) {
        if (!TABLES.contains(table)) {
            throw new IllegalArgumentException("not a monthly partitioned stat table: " + table);
        }
    }

    private void ensure(TreeSet<YearMonth> months) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            for (YearMonth month : months) {
                for (String table : TABLES) {
                    ensureOne(connection, table, month);
                }
                known.add(month);
            }
        }
    }

    private void ensureOne(Connection connection, String table, YearMonth month) throws SQLException {
        SQLException last = null;
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            try (Statement timeout = connection.createStatement()) {
                timeout.execute("SET LOCAL lock_timeout = " + lockTimeout.toMillis());
                ensureIn(connection, table, month, fillfactor);
                connection.commit();
                return;
            } catch (SQLException e) {
                // Two instances creating the same partition at once, or the lock not granted in time:
                // the loser tries again and finds it there (or the lock free).
                connection.rollback();
                last = e;
            }
        }
        throw last;
    }
}

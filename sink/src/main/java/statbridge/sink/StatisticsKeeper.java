package statbridge.sink;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the planner's statistics of the stat tables fresh while the sink fills them. Autovacuum
 * never analyzes a partitioned table itself, and the join that rebuilds legacy rows is planned
 * from those statistics: on tables that grew from empty, a stale plan turns each batch into a
 * scan that grows with the table. So the sink runs {@code ANALYZE} itself, on its own connection
 * beside the writes (it takes only a SHARE UPDATE EXCLUSIVE lock): first after
 * {@link #FIRST_THRESHOLD} rows written, then whenever the tables have grown by half (at least
 * {@link #FIRST_THRESHOLD} rows) since the last one. Growth is what PostgreSQL counted as
 * inserted ({@code pg_stat_user_tables.n_tup_ins}), checked in the background every
 * {@link #FIRST_THRESHOLD} rows written: updates of rows the tables hold change no plan, and an
 * {@code ANALYZE} of every partition for them took an eighth of PostgreSQL's time under a stream
 * of corrections.
 */
final class StatisticsKeeper implements AutoCloseable {

    static final long FIRST_THRESHOLD = 10_000;
    static final String ANALYZE = "ANALYZE ml_monitoring.model_stats_daily, ml_monitoring.model_business_stats_daily, "
            + "ml_monitoring.business_withdrawals, ml_monitoring.model_stats_daily_legacy";
    /**
     * The sample of this analysis: {@value #SAMPLE_TARGET} as the statistics target, 3,000 rows a
     * table instead of the default's 30,000. What the sink's plans need is the tables' size and the
     * keys' spread, which a small sample gives; an analysis of a partitioned table samples the
     * partitions twice (for the parent and for each partition), and at the default target the
     * analyses of tables that grow under the sink took a fifth of PostgreSQL's time. Autovacuum's own
     * analyses of the partitions keep the server's target.
     */
    static final int SAMPLE_TARGET = 10;
    private static final String SAMPLE = "SELECT set_config('default_statistics_target', '" + SAMPLE_TARGET + "', true)";
    private static final String TABLES = "'{ml_monitoring.model_stats_daily, ml_monitoring.model_business_stats_daily, "
            + "ml_monitoring.business_withdrawals, ml_monitoring.model_stats_daily_legacy}'::regclass[]";
    /** The tables' rows as PostgreSQL counts them: inserted since its statistics began, and live at the last analysis. */
    static final String ROWS = """
            SELECT coalesce(sum(s.n_tup_ins), 0), coalesce(sum(greatest(c.reltuples, 0)), 0)::bigint
            FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
            WHERE c.relkind = 'r'
              AND (s.relid = ANY (%1$s) OR s.relid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = ANY (%1$s)))
            """.formatted(TABLES);

    private static final Logger LOG = LoggerFactory.getLogger(StatisticsKeeper.class);

    private final DataSource dataSource;
    private final ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
        Thread thread = new Thread(r, "statbridge-sink-analyze");
        thread.setDaemon(true);
        return thread;
    });
    private final AtomicBoolean running = new AtomicBoolean();
    private final AtomicLong checks = new AtomicLong();
    private long sinceCheck;
    /** Rows inserted, as counted at the last analysis; -1 before the first (background thread only). */
    private long insertedAtAnalysis = -1;
    /** Rows to insert after the last analysis before the next (background thread only). */
    private long growth = FIRST_THRESHOLD;

    public StatisticsKeeper(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** Counts rows a batch wrote; checks in the background, every {@link #FIRST_THRESHOLD} of them, whether to analyze. */
    public void written(int rows) {
        sinceCheck += rows;
        if (sinceCheck < FIRST_THRESHOLD || !running.compareAndSet(false, true)) {
            return;
        }
        sinceCheck = 0;
        executor.execute(() -> {
            try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement()) {
                long inserted = rows(statement)[0];
                connection.commit();
                if (insertedAtAnalysis >= 0 && inserted >= insertedAtAnalysis && inserted - insertedAtAnalysis < growth) {
                    return;
                }
                long started = System.nanoTime();
                statement.execute(SAMPLE);
                statement.execute(ANALYZE);
                connection.commit();
                long live = rows(statement)[1];
                connection.commit();
                insertedAtAnalysis = inserted;
                growth = Math.max(FIRST_THRESHOLD, live / 2);
                LOG.debug("refreshed table statistics in {} ms ({} rows; next after {} more)", (System.nanoTime() - started) / 1_000_000,
                        live, growth);
            } catch (SQLException e) {
                LOG.debug("cannot refresh table statistics now: {}", e.toString());
            } finally {
                checks.incrementAndGet();
                running.set(false);
            }
        });
    }

    /** How many background checks have ended (for tests). */
    long checks() {
        return checks.get();
    }

    private static long[] rows(Statement statement) throws SQLException {
        try (ResultSet rows = statement.executeQuery(ROWS)) {
            rows.next();
            return new long[] {rows.getLong(1), rows.getLong(2)};
        }
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}

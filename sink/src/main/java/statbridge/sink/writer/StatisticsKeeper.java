package statbridge.sink.writer;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the planner's statistics of the stat tables fresh while the sink fills them. Autovacuum
 * never analyzes a partitioned table itself, and the join that rebuilds legacy rows is planned
 * from those statistics: on tables that grew from empty, a stale plan turns each batch into a
 * scan that grows with the table. So the sink runs {@code ANALYZE} itself, on its own connection
 * beside the writes (it takes only a SHARE UPDATE EXCLUSIVE lock), first after
 * {@link #FIRST_THRESHOLD} rows and then whenever the rows written since have grown by half.
 */
public final class StatisticsKeeper implements AutoCloseable {

    static final long FIRST_THRESHOLD = 10_000;
    static final String ANALYZE = "ANALYZE ml_monitoring.model_stats_daily, ml_monitoring.model_business_stats_daily, "
            + "ml_monitoring.business_withdrawals, ml_monitoring.model_stats_daily_legacy";

    private static final Logger LOG = LoggerFactory.getLogger(StatisticsKeeper.class);

    private final DataSource dataSource;
    private final ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
        Thread thread = new Thread(r, "statbridge-sink-analyze");
        thread.setDaemon(true);
        return thread;
    });
    private final AtomicBoolean running = new AtomicBoolean();
    private long sinceLast;
    private long threshold = FIRST_THRESHOLD;
    private long total;

    public StatisticsKeeper(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** Counts rows a batch wrote; starts an analysis in the background when enough have accumulated. */
    public void written(int rows) {
        sinceLast += rows;
        total += rows;
        if (sinceLast < threshold || !running.compareAndSet(false, true)) {
            return;
        }
        sinceLast = 0;
        threshold = Math.max(FIRST_THRESHOLD, total / 2);
        executor.execute(() -> {
            long started = System.nanoTime();
            try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement()) {
                statement.execute(ANALYZE);
                connection.commit();
                LOG.debug("refreshed table statistics in {} ms", (System.nanoTime() - started) / 1_000_000);
            } catch (SQLException e) {
                LOG.debug("cannot refresh table statistics now: {}", e.toString());
            } finally {
                running.set(false);
            }
        });
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}

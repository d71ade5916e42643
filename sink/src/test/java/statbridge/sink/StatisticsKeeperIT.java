package statbridge.sink;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.LocalDate;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import statbridge.sink.SinkDatabase;
import statbridge.sink.db.Partitions;
import statbridge.testing.PostgresServer;
import statbridge.testing.RealInfrastructure;

/**
 * The sink's own ANALYZE follows the tables' growth: once rows arrive, again when they have grown by
 * half, and not for updates of rows the tables hold, however many.
 */
@ExtendWith(RealInfrastructure.class)
class StatisticsKeeperIT {

    private static final LocalDate DAY = LocalDate.of(2025, 6, 1);
    private static final String PARTITION = "ml_monitoring.model_stats_daily_2025_06";

    private final SinkDatabase db;
    private final StatisticsKeeper keeper;

    StatisticsKeeperIT(PostgresServer postgres) throws Exception {
        db = SinkDatabase.create(postgres, "statistics_keeper");
        new Partitions(db.database.dataSource()).ensureFor(List.of(DAY));
        keeper = new StatisticsKeeper(db.database.dataSource());
    }

    @AfterEach
    void close() {
        keeper.close();
        db.close();
    }

    @Test
    void analyzesAsTheTablesGrowAndNotForUpdates() throws Exception {
        insert(0, 12_000);
        written(12_000);
        assertThat(analyses()).as("after the first rows").isEqualTo(1);
        // A small sample: the 12,000 distinct slices get a histogram of at most target + 1 bounds (101 at the default).
        assertThat(db.rows("SELECT array_length(histogram_bounds::text::text[], 1) FROM pg_stats WHERE schemaname = 'ml_monitoring' "
                + "AND tablename = 'model_stats_daily_2025_06' AND attname = 'slice_key'"))
                .singleElement().satisfies(bounds -> assertThat(Integer.parseInt(bounds)).isBetween(2, StatisticsKeeper.SAMPLE_TARGET + 1));

        // Corrections of the same 12,000 rows, five times over: 60,000 rows written, none inserted.
        for (int round = 1; round <= 5; round++) {
            db.execute("UPDATE ml_monitoring.model_stats_daily SET metric_value = metric_value + 1");
            written(12_000);
        }
        assertThat(analyses()).as("after 60,000 updated rows").isEqualTo(1);

        // Grown by 10,000 rows (the least growth that counts, more than half of 12,000).
        insert(12_000, 10_000);
        written(10_000);
        assertThat(analyses()).as("after the tables grew by 10,000 rows").isEqualTo(2);
    }

    private void insert(int from, int rows) throws Exception {
        db.execute(("INSERT INTO ml_monitoring.model_stats_daily (model_name, model_version, stat_date, slice_key, metric_type, "
                + "metric_key, metric_value, event_time, source_offset, source_topic, source_partition, write_seq, updated_at) "
                + "SELECT 'M', 'v1', DATE '%s', 'slice-' || g, 'ONLINE', 'accuracy', g, now(), g, 't', 0, 1, now() "
                + "FROM generate_series(%d, %d) AS g").formatted(DAY, from, from + rows - 1));
    }

    /** Tells the keeper about rows written, once its cumulative statistics have counted them, and waits for its check. */
    private void written(int rows) throws Exception {
        db.execute("SELECT pg_stat_force_next_flush()");
        long before = keeper.checks();
        keeper.written(rows);
        Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> keeper.checks() > before);
    }

    private long analyses() throws Exception {
        return Long.parseLong(db.rows("SELECT analyze_count FROM pg_stat_user_tables WHERE relid = '" + PARTITION + "'::regclass")
                .get(0));
    }
}

package statbridge.sink.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.YearMonth;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import statbridge.sink.SinkDatabase;
import statbridge.testing.PostgresServer;
import statbridge.testing.RealInfrastructure;

/** Partition creation next to readers of several stat tables, on a real PostgreSQL. */
@ExtendWith(RealInfrastructure.class)
class PartitionsIT {

    private final SinkDatabase db;

    PartitionsIT(PostgresServer postgres) throws Exception {
        db = SinkDatabase.create(postgres, "partitions");
    }

    @AfterEach
    void close() {
        db.close();
    }

    /**
     * A reader holds the legacy table and then reads the new one while partitions are being
     * created: creating all three in one transaction deadlocked here (the creator held the new
     * table's lock and waited for the legacy one), and PostgreSQL aborted one of the two.
     */
    @Test
    void aReaderOfTwoTablesAndPartitionCreationNeverDeadlock() throws Exception {
        YearMonth month = YearMonth.of(2033, 5);
        Partitions partitions = new Partitions(db.database.dataSource(), Duration.ofSeconds(20));
        try (Connection reader = db.connection(); Statement read = reader.createStatement()) {
            read.executeQuery("SELECT count(*) FROM ml_monitoring.model_stats_daily_legacy").close();

            CompletableFuture<Void> creating = CompletableFuture.runAsync(() -> {
                try {
                    partitions.ensureRange(month, month);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            // The creator is now queued behind the reader's lock on the legacy table.
            await().atMost(Duration.ofSeconds(30)).until(() -> waitingForLocks() > 0);

            try (ResultSet rows = read.executeQuery("SELECT count(*) FROM ml_monitoring.model_stats_daily")) {
                assertThat(rows.next()).isTrue();
                assertThat(rows.getLong(1)).isZero();
            }
            assertThat(creating).as("the creator waits for the reader").isNotDone();
            reader.commit();
            creating.get(30, TimeUnit.SECONDS);
        }
        for (String table : Partitions.TABLES) {
            assertThat(db.rows("SELECT to_regclass('ml_monitoring." + table + "_2033_05') IS NOT NULL")).containsExactly("t");
        }
    }

    @Test
    void aPartitionLockNotGrantedInTimeFailsWithoutBlockingForeverAndLaterSucceeds() throws Exception {
        YearMonth month = YearMonth.of(2034, 1);
        Partitions partitions = new Partitions(db.database.dataSource(), Duration.ofMillis(200));
        try (Connection reader = db.connection(); Statement read = reader.createStatement()) {
            read.executeQuery("SELECT count(*) FROM ml_monitoring.model_business_stats_daily").close();
            CompletableFuture<Void> creating = CompletableFuture.runAsync(() -> {
                try {
                    partitions.ensureRange(month, month);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            assertThat(creating).failsWithin(Duration.ofSeconds(30))
                    .withThrowableOfType(java.util.concurrent.ExecutionException.class)
                    .withMessageContaining("lock timeout");
            reader.commit();
        }
        partitions.ensureRange(month, month);
        for (String table : Partitions.TABLES) {
            assertThat(db.rows("SELECT to_regclass('ml_monitoring." + table + "_2034_01') IS NOT NULL")).containsExactly("t");
        }
    }

    /**
     * Partitions created with a fillfactor below 100 ({@code sink.partition.fillfactor}) keep room
     * on their pages: a correction of a stored row is then a HOT update (no new index entry), where
     * on pages filled whole it moves to another page and adds an entry to every index.
     */
    @Test
    void aFillfactorLeavesRoomOnThePagesForCorrectionsToBeHotUpdates() throws Exception {
        new Partitions(db.database.dataSource(), Partitions.LOCK_TIMEOUT, 80).ensureRange(YearMonth.of(2035, 1), YearMonth.of(2035, 1));
        new Partitions(db.database.dataSource()).ensureRange(YearMonth.of(2035, 2), YearMonth.of(2035, 2));
        for (String table : Partitions.TABLES) {
            assertThat(db.rows("SELECT coalesce(reloptions::text, 'none') FROM pg_class WHERE relname = '" + table + "_2035_01'"))
                    .containsExactly("{fillfactor=80}");
            assertThat(db.rows("SELECT coalesce(reloptions::text, 'none') FROM pg_class WHERE relname = '" + table + "_2035_02'"))
                    .containsExactly("none");
        }
        for (String month : java.util.List.of("2035-01-01", "2035-02-01")) {
            db.execute("""
                    INSERT INTO ml_monitoring.model_stats_daily (model_name, model_version, stat_date, slice_key, metric_type, metric_key,
                           metric_value, event_time, source_offset, source_topic, write_seq)
                    SELECT 'M', 'v1', DATE '%s' + s %% 28, 'slice-' || s, 'ONLINE', 'accuracy', s, now(), s, 'model-stats.v2', 1
                    FROM generate_series(1, 2000) s""".formatted(month));
            // a correction of every tenth row
            db.execute("UPDATE ml_monitoring.model_stats_daily SET metric_value = metric_value + 1, source_offset = source_offset + 5000 "
                    + "WHERE stat_date >= DATE '" + month + "' AND stat_date < DATE '" + month + "' + 28 AND source_offset % 10 = 0");
        }
        String updates = "SELECT relname || ' ' || n_tup_upd || ' ' || n_tup_hot_upd FROM pg_stat_user_tables "
                + "WHERE relname IN ('model_stats_daily_2035_01', 'model_stats_daily_2035_02')";
        await().atMost(30, TimeUnit.SECONDS).until(() -> db.rows(updates).stream().allMatch(row -> row.split(" ")[1].equals("200")));
        java.util.Map<String, Long> hot = new java.util.HashMap<>();
        db.rows(updates).forEach(row -> hot.put(row.split(" ")[0], Long.parseLong(row.split(" ")[2])));
        assertThat(hot.get("model_stats_daily_2035_01")).as("HOT updates of 200 on pages 80 % full").isEqualTo(200);
        assertThat(hot.get("model_stats_daily_2035_02")).as("HOT updates of 200 on full pages").isLessThan(20);
    }

    private long waitingForLocks() throws Exception {
        return Long.parseLong(db.rows("SELECT count(*) FROM pg_locks WHERE NOT granted").get(0));
    }
}

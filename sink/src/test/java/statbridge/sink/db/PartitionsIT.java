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

    private long waitingForLocks() throws Exception {
        return Long.parseLong(db.rows("SELECT count(*) FROM pg_locks WHERE NOT granted").get(0));
    }
}

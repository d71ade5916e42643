package statbridge.tools.series;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.common.TopicPartition;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import statbridge.catalog.CatalogEntry;
import statbridge.sink.SinkDatabase;
import statbridge.sink.db.Partitions;
import statbridge.sink.dualwrite.DualWriteSwitch;
import statbridge.sink.offsets.OffsetRange;
import statbridge.sink.writer.Batch;
import statbridge.sink.writer.BatchWriter;
import statbridge.sink.writer.Fact;
import statbridge.testing.PostgresServer;
import statbridge.testing.RealInfrastructure;
import statbridge.v2.MetricType;

/**
 * {@code metric_series} on a real PostgreSQL equals the literal aggregate of the stat rows: after
 * a stream of new rows, corrections up and down (which take minimums and maximums away), late and
 * redelivered events, KPIs and their withdrawals, with dual-write on and off; after a rebuild of
 * history the sink never saw; and with a rebuild running while batches are written.
 */
@ExtendWith(RealInfrastructure.class)
class MetricSeriesIT {

    private static final List<String> KEYS = List.of("accuracy", "churn_rate", "feature_missing_rate");
    private static final List<MetricType> TYPES = List.of(MetricType.ONLINE, MetricType.BUSINESS, MetricType.DRIFT);

    private final PostgresServer postgres;
    private SinkDatabase db;

    MetricSeriesIT(PostgresServer postgres) {
        this.postgres = postgres;
    }

    @AfterEach
    void close() {
        if (db != null) {
            db.close();
        }
    }

    private SinkDatabase database(String name) throws Exception {
        db = SinkDatabase.create(postgres, name);
        db.addCatalog(List.of(CatalogEntry.of("accuracy", MetricType.ONLINE, "accuracy"),
                CatalogEntry.of("churn_rate", MetricType.BUSINESS, "churn_rate"),
                CatalogEntry.of("drift_feature_missing_rate", MetricType.DRIFT, "feature_missing_rate")));
        return db;
    }

    /** Writes random batches of one partition: each key's events in log order, some of them older than what is stored. */
    private static final class Stream {
        final Random random;
        final int partition;
        final Map<TopicPartition, Long> stored = new HashMap<>();
        long offset;
        long clock = 1_000_000;

        Stream(long seed, int partition) {
            this.random = new Random(seed);
            this.partition = partition;
        }

        List<Fact> batch(int size) {
            List<Fact> facts = new ArrayList<>();
            for (int i = 0; i < size; i++) {
                int m = random.nextInt(3);
                String model = "Model" + random.nextInt(3);
                LocalDate day = LocalDate.of(2025, 1, 1).plusDays(random.nextInt(80)); // three months
                String slice = "segment=" + random.nextInt(4);
                // a small range of values, so corrections often hit a minimum or a maximum
                double value = random.nextInt(20) / 10.0;
                long time = random.nextInt(10) == 0 ? clock - random.nextInt(5_000) : clock++; // some late
                if (random.nextInt(4) == 0) {
                    Double kpi = random.nextInt(3) == 0 ? null : value * 100;
                    facts.add(new Fact(Fact.Kind.BUSINESS, model, "v1", day, slice, TYPES.get(m), KEYS.get(m), kpi, time,
                            "model-business-stats.v2", partition, offset++));
                } else {
                    facts.add(new Fact(Fact.Kind.STAT, model, "v1", day, slice, TYPES.get(m), KEYS.get(m), value, time,
                            "model-stats.v2", partition, offset++, random.nextBoolean() ? Fact.V1 : Fact.V2));
                }
            }
            return facts;
        }

        void write(BatchWriter writer, SinkDatabase db, List<Fact> facts) throws Exception {
            Map<TopicPartition, OffsetRange> offsets = new HashMap<>();
            for (Fact fact : facts) {
                TopicPartition tp = new TopicPartition(fact.topic(), fact.partition());
                offsets.merge(tp, new OffsetRange(stored.getOrDefault(tp, -1L), fact.offset() + 1),
                        (a, b) -> new OffsetRange(a.expected(), Math.max(a.next(), b.next())));
            }
            new Partitions(db.database.dataSource()).ensureFor(facts.stream().map(Fact::statDate).toList());
            try (Connection connection = db.connection()) {
                writer.write(connection, new Batch(facts, List.of(), offsets));
            }
            offsets.forEach((p, o) -> stored.put(p, o.next()));
        }
    }

    @Test
    void equalsTheAggregateOfTheStatRowsThroughCorrectionsWithdrawalsAndBothModes() throws Exception {
        SinkDatabase db = database("series_stream");
        BatchWriter writer = new BatchWriter("series-sink");
        Stream stream = new Stream(17, 0);
        DualWriteSwitch dualWrite = new DualWriteSwitch(db.database.dataSource());
        for (int round = 0; round < 40; round++) {
            if (round == 15) {
                dualWrite.off("test", "series with dual-write off", false);
            } else if (round == 30) {
                dualWrite.on("test", "and back on");
            }
            List<Fact> facts = stream.batch(150);
            stream.write(writer, db, facts);
            if (round % 5 == 1) {
                // the same events published again (a producer's retry): they win "later wins" by offset and change no value
                stream.write(writer, db, facts.stream().map(f -> new Fact(f.kind(), f.modelName(), f.modelVersion(), f.statDate(),
                        f.sliceKey(), f.metricType(), f.metricKey(), f.value(), f.eventTimeMillis(), f.topic(), f.partition(),
                        stream.offset++, f.path())).toList());
            }
            assertThat(db.series()).as("after round %d", round).isEqualTo(db.seriesAggregate());
        }
        assertThat(db.rows("SELECT count(*) FROM ml_monitoring.model_stats_daily")).as("a stream with repeats")
                .allSatisfy(count -> assertThat(Long.parseLong(count)).isGreaterThan(1_000));
        assertThat(db.rows("SELECT DISTINCT last_path FROM ml_monitoring.metric_series")).containsExactly("v1", "v2");
    }

    /**
     * A raised minimum is recomputed from the rows of its own series and month (56 here), through
     * the series index, not from every metric of the model for the month (20,216 here) through the
     * primary key or a scan: the index blocks of the month's partition that PostgreSQL counts as
     * read by the batch are a few (8 measured; 34 with a month of 5,096 rows and no series index),
     * and no row is read by a sequential scan.
     */
    @Test
    void aRaisedMinimumIsRecomputedFromItsSeriesRowsOnly() throws Exception {
        SinkDatabase db = database("series_one_series");
        LocalDate first = LocalDate.of(2025, 3, 1);
        new Partitions(db.database.dataSource()).ensureFor(List.of(first));
        // the model's other metrics in the month: 720 of them, 28 days
        db.execute("""
                INSERT INTO ml_monitoring.model_stats_daily (model_name, model_version, stat_date, slice_key, metric_type, metric_key,
                       metric_value, event_time, source_offset, source_topic, write_seq)
                SELECT 'Wide', 'v1', DATE '2025-03-01' + d, 'ALL', 'DRIFT', 'other_' || m, m, '-infinity', -1, 'backfill', 0
                FROM generate_series(0, 27) d, generate_series(1, 720) m""");
        Stream stream = new Stream(1, 0);
        BatchWriter writer = new BatchWriter("series-sink");
        List<Fact> month = new ArrayList<>();
        for (int d = 0; d < 28; d++) {
            for (String slice : List.of("segment=a", "segment=b")) {
                month.add(new Fact(Fact.Kind.STAT, "Wide", "v1", first.plusDays(d), slice, MetricType.ONLINE, "accuracy",
                        d == 3 && slice.equals("segment=a") ? 0.01 : 0.5 + d / 100.0, stream.clock++, "model-stats.v2", 0,
                        stream.offset++, Fact.V1));
            }
        }
        stream.write(writer, db, month);
        // What the batch read of the month's partition: rows by sequential scans, and blocks of its indexes. The
        // counters arrive when each backend flushes its statistics: first those of the 20,216 rows inserted.
        String monthReads = "SELECT (SELECT coalesce(seq_tup_read, 0) FROM pg_stat_user_tables WHERE relname = 'model_stats_daily_2025_03')"
                + " + (SELECT sum(idx_blks_hit + idx_blks_read) FROM pg_statio_user_indexes WHERE relname = 'model_stats_daily_2025_03')";
        String changes = "SELECT n_tup_ins, n_tup_upd FROM pg_stat_user_tables WHERE relname = 'model_stats_daily_2025_03'";
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> db.rows(changes).equals(List.of("20216|0")));
        long before = Long.parseLong(db.rows(monthReads).get(0));

        // the minimum raised: the month's minimum is now the next smallest value
        stream.write(writer, db, List.of(new Fact(Fact.Kind.STAT, "Wide", "v1", first.plusDays(3), "segment=a", MetricType.ONLINE,
                "accuracy", 0.9, stream.clock++, "model-stats.v2", 0, stream.offset++, Fact.V1)));
        assertThat(db.rows("SELECT min_value FROM ml_monitoring.metric_series WHERE model_name = 'Wide' AND metric_key = 'accuracy'"))
                .containsExactly("0.5");
        // the batch's update and its reads arrive together (one transaction, one backend)
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> db.rows(changes).equals(List.of("20216|1")));
        assertThat(Long.parseLong(db.rows(monthReads).get(0)) - before).as("rows of the month scanned and index blocks read by the batch")
                .isLessThan(30);
    }

    /**
     * The trigger that summarises updated stat rows pairs each new version with its old one by key
     * in a hash join, whatever size of statement its session's plan was first made for: after a
     * correction of one row, a correction of 2,000 rows compares none of them with the others (the
     * plan made for the one row compared every new row with every old one, 2,000 x 2,000, seconds a
     * batch). The plan is the one PostgreSQL ran, as {@code auto_explain} sends it to this session.
     */
    @Test
    void aLargeCorrectionIsPairedByKeyAfterASmallOneInTheSameSession() throws Exception {
        SinkDatabase db = database("series_pairing");
        new Partitions(db.database.dataSource()).ensureFor(List.of(LocalDate.of(2025, 3, 1)));
        db.execute("""
                INSERT INTO ml_monitoring.model_stats_daily (model_name, model_version, stat_date, slice_key, metric_type, metric_key,
                       metric_value, event_time, source_offset, source_topic, write_seq)
                SELECT 'M', 'v1', DATE '2025-03-01' + s % 28, 'slice-' || s, 'ONLINE', 'accuracy', s, '-infinity', -1, 'backfill', 0
                FROM generate_series(1, 2000) s""");
        List<String> plans = new ArrayList<>();
        long summarised;
        try (Connection connection = db.connection(); java.sql.Statement statement = connection.createStatement()) {
            for (String sql : List.of("LOAD 'auto_explain'", "SET auto_explain.log_min_duration = 0", "SET auto_explain.log_analyze = on",
                    "SET auto_explain.log_nested_statements = on", "SET auto_explain.log_level = notice", "SET client_min_messages = notice",
                    "SELECT ml_monitoring.metric_series_batch()",
                    "UPDATE ml_monitoring.model_stats_daily SET metric_value = metric_value + 1 WHERE slice_key = 'slice-1'")) {
                statement.execute(sql);
            }
            statement.clearWarnings();
            statement.execute("UPDATE ml_monitoring.model_stats_daily SET metric_value = metric_value + 1");
            for (java.sql.SQLWarning w = statement.getWarnings(); w != null; w = w.getNextWarning()) {
                if (w.getMessage().contains("metric_series_delta") && w.getMessage().contains("old_rows")) {
                    plans.add(w.getMessage());
                }
            }
            try (java.sql.ResultSet delta = statement.executeQuery("SELECT count(*) FROM pg_temp.metric_series_delta")) {
                delta.next();
                summarised = delta.getLong(1);
            }
            connection.rollback();
            statement.execute("RESET ALL");
        }
        assertThat(summarised).as("the slices the two corrections summarised").isEqualTo(2001);
        assertThat(plans).as("the plan of the large correction's pairing").hasSize(1);
        assertThat(plans.get(0)).contains("Hash Join").doesNotContain("Nested Loop").doesNotContain("Rows Removed by Join Filter");
    }

    @Test
    void aRebuildComputesHistoryTheSinkNeverSawAndARerunChangesNothing() throws Exception {
        SinkDatabase db = database("series_rebuild");
        Stream stream = new Stream(5, 0);
        stream.write(new BatchWriter("series-sink"), db, stream.batch(400));
        // history written without the table: as a backfill or an import leaves it
        db.execute("""
                INSERT INTO ml_monitoring.model_stats_daily (model_name, model_version, stat_date, slice_key, metric_type, metric_key,
                       metric_value, event_time, source_offset, source_topic, write_seq)
                SELECT 'Old' || (g % 2), 'v0', DATE '2025-01-01' + (g % 70), 'ALL', 'ONLINE', 'accuracy', g / 7.0, '-infinity', -1,
                       'backfill', 0
                FROM generate_series(1, 500) g ON CONFLICT DO NOTHING""");
        assertThat(db.series()).isNotEqualTo(db.seriesAggregate());

        SeriesRebuild.Result first = new SeriesRebuild(db.database.dataSource()).run(2, p -> { });
        assertThat(db.series()).isEqualTo(db.seriesAggregate());
        assertThat(first.rows()).isEqualTo(Long.parseLong(db.rows("SELECT count(*) FROM ml_monitoring.model_stats_daily").get(0)));
        List<String> after = db.rows("SELECT * FROM ml_monitoring.metric_series_months");
        new SeriesRebuild(db.database.dataSource()).run(1, p -> { });
        assertThat(db.rows("SELECT * FROM ml_monitoring.metric_series_months")).as("a second rebuild").isEqualTo(after);
        assertThat(db.rows("SELECT DISTINCT last_path FROM ml_monitoring.metric_series WHERE model_name LIKE 'Model%'"))
                .as("the paths the sink recorded survive a rebuild").isNotEmpty().doesNotContainNull();
    }

    @Test
    void aRebuildWhileTheSinkWritesNeitherMissesNorDoubleCountsABatch() throws Exception {
        SinkDatabase db = database("series_concurrent");
        Stream seed = new Stream(9, 0);
        BatchWriter writer = new BatchWriter("series-sink");
        seed.write(writer, db, seed.batch(2_000));
        db.execute("TRUNCATE ml_monitoring.metric_series_months, ml_monitoring.metric_series_slices");
        AtomicBoolean rebuilding = new AtomicBoolean(true);
        AtomicReference<Throwable> failed = new AtomicReference<>();
        int[] batches = {0};
        Thread sink = new Thread(() -> {
            try {
                while (rebuilding.get() || batches[0] < 5) {
                    seed.write(writer, db, seed.batch(100));
                    batches[0]++;
                }
            } catch (Throwable e) {
                failed.set(e);
            }
        });
        sink.start();
        for (int i = 0; i < 4; i++) {
            new SeriesRebuild(db.database.dataSource()).run(2, p -> { });
        }
        rebuilding.set(false);
        sink.join();
        assertThat(failed.get()).isNull();
        assertThat(batches[0]).as("batches written while rebuilding").isGreaterThanOrEqualTo(5);
        assertThat(db.series()).isEqualTo(db.seriesAggregate());
    }
}

package statbridge.sink.bench;

import java.io.File;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDate;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;
import statbridge.registry.server.SchemaRegistryServer;
import statbridge.sink.SinkFixture;
import statbridge.sink.SinkIT;
import statbridge.sink.SinkMain;
import statbridge.sink.dualwrite.DualWriteSwitch;
import statbridge.testing.KafkaBroker;
import statbridge.testing.PostgresServer;
import statbridge.testing.RealInfrastructure;
import statbridge.v2.BusinessStat;
import statbridge.v2.MetricType;
import statbridge.v2.ModelStat;

/**
 * P2: rows written per second by the sink (a separate JVM, heap capped at 512 MB) draining
 * 1,000,000 v2 events already in Kafka, with dual-write on and then off, against the ceiling of
 * {@code COPY FROM STDIN} of as many rows into a table of the same shape, on the same PostgreSQL
 * (fsync and synchronous_commit on), in the same run.
 *
 * <p>Run: {@code mvn -B -Pbench -pl sink -am verify -Dit.test=SinkThroughputBenchmark}
 * ({@code -Dbench.events=N} for another number of events, {@code -Dbench.sink.settings=key=value,...} to try other
 * sink settings on both drains, {@code -Dbench.sink.log=DEBUG} for per-batch timings).
 */
@ExtendWith(RealInfrastructure.class)
class SinkThroughputBenchmark {

    private static final int EVENTS = Integer.getInteger("bench.events", 1_000_000);

    @Test
    void sinkAgainstCopyCeiling(KafkaBroker kafka, SchemaRegistryServer registry) throws Exception {
        try (PostgresServer postgres = PostgresServer.start(Map.of("fsync", "on", "synchronous_commit", "on",
                "shared_buffers", "512MB", "max_wal_size", "4GB"))) {
            SinkFixture on = new SinkFixture(kafka, registry, postgres, "bench-on");
            on.seedCatalog(SinkIT.CATALOG);
            produce(on);

            // With and without metric_series in the order A B B A, so that a drift of the machine over the run
            // (the first drain after producing is the slowest) weighs on both alike.
            Run firstOn = drain(on, "on");
            if (!on.db.series().equals(on.db.seriesAggregate())) {
                throw new AssertionError("metric_series differs from the aggregate of the stat rows after the drain");
            }
            List<SinkFixture> others = new java.util.ArrayList<>();
            Run withoutSeries = Run.both(drain(sameTopics(on, registry, postgres, others, "bench-on-no-series", false), "on-no-series-1"),
                    drain(sameTopics(on, registry, postgres, others, "bench-on-no-series", false), "on-no-series-2"));
            Run dualWriteOn = Run.both(firstOn, drain(sameTopics(on, registry, postgres, others, "bench-on", true), "on-2"));
            SinkFixture off = new SinkFixture(kafka, registry, postgres, "bench-off");
            off.settings.put("topic.v2", on.topic("topic.v2"));
            off.settings.put("topic.business.v2", on.topic("topic.business.v2"));
            off.settings.put("topic.catalog", on.topic("topic.catalog"));
            new DualWriteSwitch(off.db.database.dataSource()).off("benchmark", "measure dual-write off", false);
            Run dualWriteOff = drain(off, "off");
            DebeziumPeer.produce(kafka, EVENTS);
            DebeziumPeer.Run peerDefaults = DebeziumPeer.drain(kafka, postgres, "defaults", EVENTS, Map.of(), Map.of("tasks.max", "1"), "");
            DebeziumPeer.Run peerTuned = DebeziumPeer.drain(kafka, postgres, "tuned", EVENTS, Map.of("consumer.max.poll.records", "3000"),
                    Map.of("tasks.max", "2", "batch.size", "3000"), "?reWriteBatchedInserts=true");
            double copy = copyCeiling(postgres, dualWriteOn.rows());
            double upsert = upsertCeiling(postgres, dualWriteOn.rows());

            String report = String.format(Locale.ROOT, """
                    P2 sink, dual-write on  | %,.0f rows/s (%,d rows in %.1f s; %,.0f events/s; mean of 2 drains) | COPY ceiling %,.0f rows/s | ratio %.2f | target >= 0.50
                    P2 sink, dual-write on, metric_series not kept | %,.0f rows/s (%,d rows in %.1f s; %,.0f events/s; mean of 2 drains, order A B B A) | keeping metric_series runs at %.2f of it | target >= 0.90
                    P2 sink, dual-write off | %,.0f rows/s (%,d rows in %.1f s; %,.0f events/s) | COPY ceiling %,.0f rows/s | ratio %.2f | (information)
                    P2 PostgreSQL's own upsert of the COPY ceiling's rows | %,.0f rows/s (INSERT ... SELECT FROM unnest ... ON CONFLICT DO UPDATE, 5,000 a transaction) | COPY ceiling %,.0f rows/s | ratio %.2f | (information: the sink with dual-write on runs at %.2f of it)
                    P2 sink heap: -Xmx512m; peak RSS of the sink process %d MB (on), %d MB (off)
                    P2 peer: Debezium JDBC sink %s on Kafka Connect standalone, defaults (1 task, batch.size 500), upsert, JSON with schemas | %,.0f events/s (%,d rows in %.1f s; same events, same PostgreSQL, same run) | | | (information)
                    P2 peer: Debezium JDBC sink, tuned (2 tasks, batch.size 3000, max.poll.records 3000, reWriteBatchedInserts) | %,.0f events/s (%,d rows in %.1f s) | defaults %,.0f events/s | ratio %.2f | (information)
                    P2 sink vs the tuned peer, per event, dual-write off | %,.0f events/s | tuned Debezium %,.0f events/s | ratio %.2f | target >= 1.5
                    P2 sink vs the tuned peer, per event, dual-write on (three tables and the offsets, exactly once) | %,.0f events/s | tuned Debezium %,.0f events/s | ratio %.2f | target >= 1.0
                    P2 CPU seconds per 1,000,000 events, dual-write on | %s | | | (information)
                    P2 CPU seconds per 1,000,000 events, dual-write off | %s | | | (information)
                    P2 CPU seconds per 1,000,000 events, tuned peer | %s | | | (information)
                    """,
                    dualWriteOn.rowsPerSecond(), dualWriteOn.rows(), dualWriteOn.seconds(), EVENTS / dualWriteOn.seconds(), copy,
                    dualWriteOn.rowsPerSecond() / copy,
                    withoutSeries.rowsPerSecond(), withoutSeries.rows(), withoutSeries.seconds(), EVENTS / withoutSeries.seconds(),
                    dualWriteOn.seconds() > 0 ? withoutSeries.seconds() / dualWriteOn.seconds() : 0,
                    dualWriteOff.rowsPerSecond(), dualWriteOff.rows(), dualWriteOff.seconds(), EVENTS / dualWriteOff.seconds(), copy,
                    dualWriteOff.rowsPerSecond() / copy, upsert, copy, upsert / copy, dualWriteOn.rowsPerSecond() / upsert,
                    dualWriteOn.peakRssMb(), dualWriteOff.peakRssMb(),
                    DebeziumPeer.version(), peerDefaults.perSecond(EVENTS), peerDefaults.rows(), peerDefaults.seconds(),
                    peerTuned.perSecond(EVENTS), peerTuned.rows(), peerTuned.seconds(), peerDefaults.perSecond(EVENTS),
                    peerTuned.perSecond(EVENTS) / peerDefaults.perSecond(EVENTS),
                    EVENTS / dualWriteOff.seconds(), peerTuned.perSecond(EVENTS), EVENTS / dualWriteOff.seconds() / peerTuned.perSecond(EVENTS),
                    EVENTS / dualWriteOn.seconds(), peerTuned.perSecond(EVENTS), EVENTS / dualWriteOn.seconds() / peerTuned.perSecond(EVENTS),
                    dualWriteOn.cpu().per("sink JVM", EVENTS), dualWriteOff.cpu().per("sink JVM", EVENTS),
                    peerTuned.cpu().per("Connect JVM", EVENTS));
            System.out.print(report);
            Path out = Path.of("target", "bench", "P2-sink.txt");
            Files.createDirectories(out.getParent());
            Files.writeString(out, report);
            on.close();
            others.forEach(SinkFixture::close);
            off.close();
        }
    }

    /** Event pair {@code i} of the benchmark: a stat and its business stat, over realistic keys, every row distinct. */
    record Event(String model, LocalDate day, String slice, MetricType type, String metric, double value, Double business, long at) {
    }

    private static final List<String> METRICS = List.of("accuracy", "churn_rate", "psi_country", "revenue");
    private static final List<MetricType> TYPES = List.of(MetricType.ONLINE, MetricType.BUSINESS, MetricType.DRIFT, MetricType.BUSINESS);

    static Event event(int i) {
        int m = (i / 10) % METRICS.size(); // with model, day and slice below: every row distinct
        return new Event("Model" + (i % 10), LocalDate.of(2024, 1, 1).plusDays((i / 40) % 365), "segment=" + (i / 14_600), TYPES.get(m),
                METRICS.get(m), i / 1000.0, i % 4 == 0 ? null : i / 10.0, 1_700_000_000_000L + i);
    }

    /** Half stats, half business stats (a quarter of them withdrawals). */
    private static void produce(SinkFixture fixture) {
        Map<String, Object> tuning = Map.of(ProducerConfig.LINGER_MS_CONFIG, 20, ProducerConfig.BATCH_SIZE_CONFIG, 262_144,
                ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        try (KafkaProducer<byte[], byte[]> producer = fixture.producer(tuning)) {
            for (int i = 0; i < EVENTS / 2; i++) {
                Event e = event(i);
                fixture.send(producer, new ModelStat(e.model(), "v1", e.day(), e.slice(), e.type(), e.metric(), e.value()), e.at());
                fixture.send(producer, new BusinessStat(e.model(), "v1", e.day(), e.slice(), e.type(), e.metric(), e.business()), e.at());
            }
            producer.flush();
        }
    }

    private record Run(long rows, double seconds, long peakRssMb, Cpu.Seconds cpu) {
        double rowsPerSecond() {
            return rows / seconds;
        }

        /** Two drains of the same events, as one: their rows over their time (and the events per second of one). */
        static Run both(Run a, Run b) {
            return new Run((a.rows + b.rows) / 2, (a.seconds + b.seconds) / 2, Math.max(a.peakRssMb, b.peakRssMb),
                    new Cpu.Seconds((a.cpu.component() + b.cpu.component()) / 2, (a.cpu.postgres() + b.cpu.postgres()) / 2,
                            (a.cpu.broker() + b.cpu.broker()) / 2));
        }
    }

    /** A sink of its own database and group draining {@code on}'s topics, keeping metric_series or not. */
    private static SinkFixture sameTopics(SinkFixture on, SchemaRegistryServer registry, PostgresServer postgres, List<SinkFixture> created,
            String name, boolean series) throws Exception {
        SinkFixture fixture = new SinkFixture(on.kafka, registry, postgres, name);
        fixture.settings.put("topic.v2", on.topic("topic.v2"));
        fixture.settings.put("topic.business.v2", on.topic("topic.business.v2"));
        fixture.settings.put("topic.catalog", on.topic("topic.catalog"));
        fixture.settings.put("sink.metric.series", Boolean.toString(series));
        created.add(fixture);
        return fixture;
    }

    private static Run drain(SinkFixture fixture, String name) throws Exception {
        fixture.settings.put("sink.partitions.ahead.months", "0");
        // -Dbench.sink.settings=key=value,... applies the same sink settings to both drains.
        for (String pair : System.getProperty("bench.sink.settings", "").split(",")) {
            if (pair.contains("=")) {
                fixture.settings.put(pair.substring(0, pair.indexOf('=')).trim(), pair.substring(pair.indexOf('=') + 1).trim());
            }
        }
        Path config = fixture.writeConfig();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        File log = Path.of("target", "bench-sink-" + name + ".log").toFile();
        ProcessBuilder builder = new ProcessBuilder(java, "-Xmx512m", "-cp", System.getProperty("java.class.path"),
                SinkMain.class.getName(), config.toString());
        builder.environment().put("STATBRIDGE_LOG_LEVEL", System.getProperty("bench.sink.log", "INFO"));
        Process sink = builder.redirectErrorStream(true).redirectOutput(log).start();
        try {
            String group = fixture.settings.get("sink.group.id");
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(20);
            while (fixture.db.offsets(group).isEmpty()) {
                if (System.nanoTime() > deadline || !sink.isAlive()) {
                    throw new IllegalStateException("the sink did not start; see " + log);
                }
                Thread.sleep(20);
            }
            long start = System.nanoTime();
            Cpu.Snapshot before = Cpu.snapshot(sink.pid());
            long peakRss = 0;
            while (fixture.unconsumed() > 0) {
                if (System.nanoTime() > deadline || !sink.isAlive()) {
                    throw new IllegalStateException("the sink did not finish; see " + log);
                }
                peakRss = Math.max(peakRss, rssMb(sink.pid()));
                Thread.sleep(500);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            Cpu.Seconds cpu = Cpu.since(before, sink.pid());
            // Rows written: the new tables, the withdrawals, and the legacy table only when it is one (not the view).
            long rows = Long.parseLong(fixture.db.rows("SELECT (SELECT count(*) FROM ml_monitoring.model_stats_daily) "
                    + "+ (SELECT count(*) FROM ml_monitoring.model_business_stats_daily) "
                    + "+ (SELECT count(*) FROM ml_monitoring.business_withdrawals) "
                    + "+ CASE WHEN (SELECT relkind FROM pg_class WHERE oid = 'ml_monitoring.model_stats_daily_legacy'::regclass) = 'p' "
                    + "THEN (SELECT count(*) FROM ml_monitoring.model_stats_daily_legacy) ELSE 0 END").get(0));
            return new Run(rows, seconds, Math.max(peakRss, rssMb(sink.pid())), cpu);
        } finally {
            sink.destroy();
            sink.waitFor(60, TimeUnit.SECONDS);
        }
    }

    private static long rssMb(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
                }
            }
        } catch (Exception e) {
            // the process has ended
        }
        return 0;
    }

    private static final String CEILING_TABLE = """
            CREATE TABLE stats (model_name text, model_version text, stat_date date, slice_key text,
                                metric_type text, metric_key text, metric_value double precision,
                                PRIMARY KEY (model_name, model_version, stat_date, slice_key, metric_type, metric_key))
            """;

    /** A new database holding the empty ceiling table, on a connection that commits explicitly. */
    private static Connection ceilingDatabase(PostgresServer postgres, String name) throws Exception {
        Connection connection = DriverManager.getConnection(postgres.createDatabase(name));
        try (Statement ddl = connection.createStatement()) {
            ddl.execute(CEILING_TABLE);
        }
        connection.setAutoCommit(false);
        return connection;
    }

    /** The key columns of ceiling row {@code i}, every row distinct; its value is {@code i / 1000.0}. */
    private static String[] ceilingKey(long i) {
        return new String[] {"Model" + (i % 10), "v1", LocalDate.of(2024, 1, 1).plusDays((i / 40) % 365).toString(),
            "segment=" + i, "ONLINE", "accuracy"};
    }

    /** COPY FROM STDIN of {@code rows} rows into a table shaped like model_stats_daily, 5,000 a transaction. */
    private static double copyCeiling(PostgresServer postgres, long rows) throws Exception {
        try (Connection connection = ceilingDatabase(postgres, "copy_ceiling")) {
            CopyManager copy = connection.unwrap(PGConnection.class).getCopyAPI();
            long start = System.nanoTime();
            StringBuilder chunk = new StringBuilder();
            for (long i = 0; i < rows; i++) {
                chunk.append(String.join("\t", ceilingKey(i))).append('\t').append(i / 1000.0).append('\n');
                if (i % 5_000 == 4_999 || i == rows - 1) {
                    copy.copyIn("COPY stats FROM STDIN", new StringReader(chunk.toString()));
                    connection.commit();
                    chunk.setLength(0);
                }
            }
            return rows / ((System.nanoTime() - start) / 1e9);
        }
    }

    /**
     * The rows of the COPY ceiling through PostgreSQL's own upsert path, bound as arrays the way the
     * sink binds them, 5,000 a transaction: what upserting these rows costs before any of the sink's
     * own work (later-wins checks, three tables, the legacy shape, offsets).
     */
    private static double upsertCeiling(PostgresServer postgres, long rows) throws Exception {
        try (Connection connection = ceilingDatabase(postgres, "upsert_ceiling");
                PreparedStatement upsert = connection.prepareStatement("""
                    INSERT INTO stats AS t
                    SELECT * FROM unnest(?::text[], ?::text[], ?::date[], ?::text[], ?::text[], ?::text[], ?::float8[])
                    ON CONFLICT (model_name, model_version, stat_date, slice_key, metric_type, metric_key) DO UPDATE
                    SET metric_value = EXCLUDED.metric_value
                    """)) {
            int chunk = 5_000;
            long start = System.nanoTime();
            for (long first = 0; first < rows; first += chunk) {
                int n = (int) Math.min(chunk, rows - first);
                String[][] columns = new String[6][n];
                Double[] values = new Double[n];
                for (int j = 0; j < n; j++) {
                    String[] key = ceilingKey(first + j);
                    for (int c = 0; c < 6; c++) {
                        columns[c][j] = key[c];
                    }
                    values[j] = (first + j) / 1000.0;
                }
                for (int c = 0; c < 6; c++) {
                    upsert.setArray(c + 1, connection.createArrayOf("text", columns[c]));
                }
                upsert.setArray(7, connection.createArrayOf("float8", values));
                upsert.executeUpdate();
                connection.commit();
            }
            return rows / ((System.nanoTime() - start) / 1e9);
        }
    }
}

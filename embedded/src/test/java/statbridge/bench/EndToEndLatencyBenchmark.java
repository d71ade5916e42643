package statbridge.bench;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import statbridge.catalog.CatalogEntry;
import statbridge.config.Configuration;
import statbridge.contract.StatKey;
import statbridge.embedded.EmbeddedStack;
import statbridge.pipeline.runner.PipelineApp;
import statbridge.pipeline.PipelineConfig;
import statbridge.registry.server.SchemaRegistryServer;
import statbridge.serde.AvroSerializer;
import statbridge.sink.SinkApp;
import statbridge.sink.SinkFixture;
import statbridge.sink.bench.Cpu;
import statbridge.sink.dualwrite.DualWriteSwitch;
import statbridge.testing.KafkaBroker;
import statbridge.testing.PostgresServer;
import statbridge.testing.RealInfrastructure;
import statbridge.v1.ModelStat;

/**
 * End-to-end latency: v1 events published at a steady 5,000 events/s (and again at a lower rate the
 * stack sustains on a 2-core machine), each timed from the send to
 * the moment its row is visible in both shapes (new table and legacy table) in PostgreSQL. The
 * ceiling is a plain Kafka produce-to-consume round trip at the same rate, measured in the same
 * run. Then it gathers the figures the other benchmarks of this run wrote into one table.
 */
@ExtendWith(RealInfrastructure.class)
class EndToEndLatencyBenchmark {

    private static final int TARGET_RATE = Integer.getInteger("bench.e2e.rate", 5_000);
    /** A second, lower rate the stack sustains on a 2-core machine, for the steady-state latency. */
    private static final int STEADY_RATE = Integer.getInteger("bench.e2e.steady.rate", 2_000);
    private static final int SECONDS = Integer.getInteger("bench.e2e.seconds", 60);
    /**
     * Every event a row of its own ({@code -Dbench.e2e.distinct=true}) instead of the default's 59,500
     * keys published over and over, so that nearly every event updates a row: to tell the cost of
     * updates from the rest of the path.
     */
    private static final boolean DISTINCT = Boolean.getBoolean("bench.e2e.distinct");
    /**
     * {@code -Dbench.e2e.fillfactor=N}: the sink's {@code sink.partition.fillfactor}, 80 by default,
     * as for a stream that corrects what it writes, which the default workload does with every event
     * (100 packs the pages as for rows written once).
     */
    private static final int FILLFACTOR = Integer.getInteger("bench.e2e.fillfactor", 80);
    /**
     * The settings of a deployment tuned for latency, under any {@code -Dbench.e2e.settings}: the
     * fillfactor above, the sink's batch waiting 50 ms instead of 200 for more records, and the
     * pipeline committing its transactions every 100 ms instead of 200 (Kafka Streams' own default
     * under exactly-once), so that what it wrote is readable sooner.
     */
    private static final Map<String, String> LATENCY_SETTINGS = Map.of("sink.partition.fillfactor", Integer.toString(FILLFACTOR),
            "sink.batch.max.wait.ms", "50", "pipeline.commit.interval.ms", "100");
    /**
     * {@code -Dbench.e2e.explain=MS} logs the plan, with timings and buffers, of every statement of
     * the benchmark's databases that runs longer than MS ms ({@code auto_explain}, nested statements
     * included): to see where a slow statement's blocks go.
     */
    private static final int EXPLAIN_MS = Integer.getInteger("bench.e2e.explain", -1);
    /**
     * {@code -Dbench.e2e.warmup.seconds=N}: the path runs this long at the target rate, untimed,
     * before anything is measured (0 measures a JVM that has just started).
     */
    private static final int WARMUP_SECONDS = Integer.getInteger("bench.e2e.warmup.seconds", 40);
    /** {@code -Dbench.p5=false} leaves P5 out (a latency-only run). */
    private static final boolean P5 = Boolean.parseBoolean(System.getProperty("bench.p5", "true"));
    /** One event in this many is a probe whose visibility is timed. */
    private static final int PROBE_EVERY = 25;
    /** How many of the oldest pending probes one poll asks for. */
    private static final int POLLED = 200;

    @Test
    void publishToVisibleInBothShapes(KafkaBroker kafka, SchemaRegistryServer registry, PostgresServer postgres) throws Exception {
        List<String> lines = new ArrayList<>();
        if (WARMUP_SECONDS > 0) {
            warmUp(kafka, registry, postgres);
        }
        for (int rate : List.of(TARGET_RATE, STEADY_RATE)) {
            double[] ceiling = kafkaRoundTrip(kafka, rate);
            double[] latency;
            List<CatalogEntry> seed = EmbeddedStack.seedCatalog();
            try (SinkFixture fixture = pipelineAndSink(kafka, registry, postgres, "e2e_bench_" + rate, seed)) {
                Configuration configuration = Configuration.load(null, Map.of(), fixture.settings);
                SimpleMeterRegistry sinkMetrics = new SimpleMeterRegistry();
                try (PipelineApp pipeline = new PipelineApp(PipelineConfig.from(configuration), new SimpleMeterRegistry());
                        SinkApp sink = new SinkApp(fixture.config(), sinkMetrics);
                        KafkaProducer<byte[], byte[]> producer = fixture.producer()) {
                    start(pipeline, sink);
                    latency = measure(fixture, producer, seed, rate);
                }
                io.micrometer.core.instrument.Timer batches = sinkMetrics.find("statbridge.sink.batch.latency").timer();
                if (batches != null && batches.count() > 0) {
                    System.out.printf(Locale.ROOT, "E2E sink batches at %,d events/s: %,d batches, mean %.0f ms, max %.0f ms in the last 2 min (%,d v1 events "
                            + "published, so about %,.0f events a batch)%n", rate, batches.count(),
                            batches.mean(java.util.concurrent.TimeUnit.MILLISECONDS), batches.max(java.util.concurrent.TimeUnit.MILLISECONDS),
                            (long) rate * SECONDS, (double) rate * SECONDS * 2 / batches.count());
                }
            }
            String line = String.format(Locale.ROOT, "E2E latency, v1 publish -> visible in both shapes, %,d events/s for %d s%s, %s | "
                    + "p50 %,.0f ms, p99 %,.0f ms (%,d probes) | plain Kafka produce->consume at the same rate: p50 %.0f ms, "
                    + "p99 %.0f ms | ratio p99 %.1f | %s", rate, SECONDS, DISTINCT ? ", every event a row of its own" : "",
                    new java.util.TreeMap<>(LATENCY_SETTINGS).toString().replaceAll("[{}]", ""), latency[0], latency[1], (long) latency[2], ceiling[0],
                    ceiling[1], latency[1] / ceiling[1], rate == TARGET_RATE ? "p50/p99 at 5,000 events/s (information)"
                            : "steady state below the stack's capacity on this machine (information)");
            System.out.println(line);
            lines.add(line);
        }
        if (P5) {
            lines.addAll(switchPause(kafka, registry, postgres));
        }
        Path out = Path.of("target", "bench", "E2E-latency.txt");
        Files.createDirectories(out.getParent());
        Files.writeString(out, String.join(System.lineSeparator(), lines) + System.lineSeparator());
        BenchmarkTable.write(ZonedDateTime.now().format(DateTimeFormatter.ISO_LOCAL_DATE));
    }

    /**
     * The same path at the target rate for {@link #WARMUP_SECONDS}, into a database of its own and
     * not timed: the JVM compiles its hot code first (without it, compilation and garbage collection
     * took 24 of the two cores' 84 s in the first rate's 40 s, beside the Java threads' 26 s),
     * so that what is measured is the steady state of a sink and a pipeline that run for days.
     */
    private static void warmUp(KafkaBroker kafka, SchemaRegistryServer registry, PostgresServer postgres) throws Exception {
        long cpuBefore = Cpu.ticks(ProcessHandle.current().pid());
        double[] latency;
        try (SinkFixture fixture = pipelineAndSink(kafka, registry, postgres, "e2e_warmup", EmbeddedStack.seedCatalog())) {
            Configuration configuration = Configuration.load(null, Map.of(), fixture.settings);
            try (PipelineApp pipeline = new PipelineApp(PipelineConfig.from(configuration), new SimpleMeterRegistry());
                    SinkApp sink = new SinkApp(fixture.config(), new SimpleMeterRegistry());
                    KafkaProducer<byte[], byte[]> producer = fixture.producer()) {
                start(pipeline, sink);
                latency = measure(fixture, producer, EmbeddedStack.seedCatalog(), TARGET_RATE, WARMUP_SECONDS, false);
            }
        }
        String line = String.format(Locale.ROOT, "E2E warm-up, not measured: %,d events/s for %d s into a database of its own "
                + "(p50 %,.0f ms, p99 %,.0f ms; this JVM's CPU %.1f s)", TARGET_RATE, WARMUP_SECONDS, latency[0], latency[1],
                (Cpu.ticks(ProcessHandle.current().pid()) - cpuBefore) / Cpu.TICKS);
        System.out.println(line);
    }

    /** How long dual-write stays off in P5's second round, in minutes (the issue's ten make the benchmark command too long). */
    private static final int LONG_OFF_MINUTES = Integer.getInteger("bench.p5.long.minutes", 2);

    /**
     * P5, the switch's pause: with {@link #TARGET_RATE} v1 events/s flowing through the pipeline and
     * the sink, dual-write is switched off and back on, after one minute and after
     * {@link #LONG_OFF_MINUTES} off. Around each switch: the longest gap between two commits of the
     * sink as a reader sees them (its offsets in PostgreSQL, read every 10 ms), against the longest
     * gap in the quiet 20 s before, and the p99 of probes sent from 5 s before to 15 s after.
     */
    private static List<String> switchPause(KafkaBroker kafka, SchemaRegistryServer registry, PostgresServer postgres) throws Exception {
        List<String> lines = new ArrayList<>();
        List<CatalogEntry> seed = EmbeddedStack.seedCatalog();
        try (SinkFixture fixture = pipelineAndSink(kafka, registry, postgres, "e2e_switch", seed)) {
            Configuration configuration = Configuration.load(null, Map.of(), fixture.settings);
            try (PipelineApp pipeline = new PipelineApp(PipelineConfig.from(configuration), new SimpleMeterRegistry());
                    SinkApp sink = new SinkApp(fixture.config(), new SimpleMeterRegistry());
                    KafkaProducer<byte[], byte[]> producer = fixture.producer()) {
                start(pipeline, sink);
                Flow flow = new Flow(fixture, producer, seed, TARGET_RATE);
                flow.start();
                try {
                    DualWriteSwitch dualWrite = new DualWriteSwitch(fixture.db.database.dataSource());
                    Thread.sleep(30_000);
                    for (int minutes : List.of(1, LONG_OFF_MINUTES)) {
                        long quietFrom = System.nanoTime() - 20_000_000_000L;
                        long offAt = System.nanoTime();
                        DualWriteSwitch.SwitchResult off = dualWrite.off("benchmark", "P5", false);
                        double offSeconds = (System.nanoTime() - offAt) / 1e9;
                        Thread.sleep(minutes * 60_000L);
                        long onAt = System.nanoTime();
                        DualWriteSwitch.SwitchResult on = dualWrite.on("benchmark", "P5");
                        double onSeconds = (System.nanoTime() - onAt) / 1e9;
                        long rowsWhileOff = on.rowsRebuilt(); // the legacy rows of what the sink wrote while off
                        Thread.sleep(20_000);
                        double quiet = flow.longestGap(quietFrom, offAt);
                        double offGap = flow.longestGap(offAt - 2_000_000_000L, offAt + 20_000_000_000L);
                        double onGap = flow.longestGap(onAt - 2_000_000_000L, onAt + 20_000_000_000L);
                        lines.add(String.format(Locale.ROOT, "P5 dual-write off at %,d v1 events/s (parity checked first: %s) | longest gap between "
                                + "sink commits %,.0f ms (the switch itself %.1f s); p99 of probes around it %s | longest gap in the quiet "
                                + "20 s before %,.0f ms | ratio %.1f | target <= 1 s", TARGET_RATE, off.parity().ok() ? "equal" : "DIFFERENT",
                                offGap, offSeconds, millis(flow.p99(offAt - 5_000_000_000L, offAt + 15_000_000_000L)), quiet, offGap / quiet));
                        lines.add(String.format(Locale.ROOT, "P5 dual-write on after %d min off (%,d rows written while off, their legacy rows "
                                + "rebuilt when it came back on) | longest gap between sink commits %,.0f ms (the switch itself %.1f s); p99 of probes around it %s "
                                + "| %,.0f ms per 100,000 rows written while off | | (information: grows with the rows written while off)",
                                minutes, rowsWhileOff, onGap, onSeconds,
                                millis(flow.p99(onAt - 5_000_000_000L, onAt + 15_000_000_000L)), onGap / Math.max(1, rowsWhileOff) * 100_000));
                        System.out.println(lines.get(lines.size() - 2));
                        System.out.println(lines.get(lines.size() - 1));
                    }
                } finally {
                    flow.stop();
                }
            }
        }
        return lines;
    }

    /**
     * Events flowing at a steady rate with probes timed to both shapes, and the moments the sink's
     * committed offsets change as a reader sees them.
     */
    private static final class Flow {
        private final SinkFixture fixture;
        private final KafkaProducer<byte[], byte[]> producer;
        private final List<CatalogEntry> seed;
        private final int rate;
        private final Map<String, Long> pending = new ConcurrentHashMap<>();
        /** Each probe: when it was sent (nanoTime) and its latency in ms. */
        private final List<double[]> probes = Collections.synchronizedList(new ArrayList<>());
        private final List<Long> commits = Collections.synchronizedList(new ArrayList<>());
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final List<Thread> threads = new ArrayList<>();

        Flow(SinkFixture fixture, KafkaProducer<byte[], byte[]> producer, List<CatalogEntry> seed, int rate) {
            this.fixture = fixture;
            this.producer = producer;
            this.seed = seed;
            this.rate = rate;
        }

        void start() {
            threads.add(new Thread(this::publish, "p5-publisher"));
            threads.add(new Thread(this::watchProbes, "p5-probes"));
            threads.add(new Thread(this::watchCommits, "p5-commits"));
            threads.forEach(Thread::start);
        }

        void stop() throws InterruptedException {
            running.set(false);
            for (Thread thread : threads) {
                thread.join(60_000);
            }
        }

        private void publish() {
            AvroSerializer<Object> serializer = new AvroSerializer<>(fixture.registry, false, Map.of());
            String topic = fixture.topic("topic.v1");
            long started = System.nanoTime();
            LocalDate day = LocalDate.of(2026, 3, 1);
            try {
                for (long n = 0; running.get(); n++) {
                    pace(started, n, rate);
                    CatalogEntry entry = seed.get((int) (n % seed.size()));
                    boolean probe = n % PROBE_EVERY == 0;
                    String model = probe ? "LatencyProbe" : "LatencyModel";
                    String version = probe ? "p" + n : "v" + (n / 100_000);
                    ModelStat stat = new ModelStat(model, version, day.plusDays(n % 28), slice(n), entry.metricName(),
                            (double) n, n % 3 == 0 ? null : n / 2.0);
                    if (probe) {
                        pending.put(version, System.nanoTime());
                    }
                    producer.send(new ProducerRecord<>(topic, StatKey.of(stat).render().getBytes(StandardCharsets.UTF_8),
                            serializer.serialize(topic, stat)));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        private void watchProbes() {
            poll(fixture, pending, (sentAt, latency) -> probes.add(new double[] {sentAt, latency}), running);
        }

        private void watchCommits() {
            String group = fixture.settings.get("sink.group.id");
            try (Connection connection = fixture.db.connection();
                    PreparedStatement offsets = connection.prepareStatement(
                            "SELECT coalesce(sum(next_offset), 0) FROM ml_monitoring.sink_offsets WHERE consumer_group = ?")) {
                offsets.setString(1, group);
                long last = -1;
                while (running.get()) {
                    try (ResultSet rows = offsets.executeQuery()) {
                        rows.next();
                        long now = rows.getLong(1);
                        if (now != last) {
                            commits.add(System.nanoTime());
                            last = now;
                        }
                    }
                    connection.rollback();
                    Thread.sleep(10);
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }

        /** The longest time, in ms, between two commits seen from {@code from} to {@code to} (nanoTime). */
        double longestGap(long from, long to) {
            List<Long> seen;
            synchronized (commits) {
                seen = commits.stream().filter(t -> t >= from && t <= to).toList();
            }
            long longest = 0;
            for (int i = 1; i < seen.size(); i++) {
                longest = Math.max(longest, seen.get(i) - seen.get(i - 1));
            }
            return longest / 1e6;
        }

        /** The p99 latency, in ms, of the probes sent from {@code from} to {@code to} (nanoTime). */
        double p99(long from, long to) {
            List<Double> latencies;
            synchronized (probes) {
                latencies = new ArrayList<>(probes.stream().filter(p -> p[0] >= from && p[0] <= to).map(p -> p[1]).toList());
            }
            latencies.sort(null);
            return percentile(latencies, 0.99);
        }
    }

    private static double[] measure(SinkFixture fixture, KafkaProducer<byte[], byte[]> producer, List<CatalogEntry> seed, int rate)
            throws Exception {
        return measure(fixture, producer, seed, rate, SECONDS, true);
    }

    /** Publishes at {@code rate} for {@code seconds} and times the probes; prints where the time went when {@code report}. */
    private static double[] measure(SinkFixture fixture, KafkaProducer<byte[], byte[]> producer, List<CatalogEntry> seed, int rate,
            int seconds, boolean report) throws Exception {
        AvroSerializer<Object> serializer = new AvroSerializer<>(fixture.registry, false, Map.of());
        String topic = fixture.topic("topic.v1");
        Map<String, Long> pending = new ConcurrentHashMap<>();
        Map<String, Long> sentAt = new ConcurrentHashMap<>();
        List<Double> latencies = Collections.synchronizedList(new ArrayList<>());
        AtomicBoolean publishing = new AtomicBoolean(true);
        Map<String, Long> upcastAt = new ConcurrentHashMap<>();
        Map<String, Long> visibleAt = new ConcurrentHashMap<>();
        Map<String, Double> statementsBefore = statementTimes(fixture);
        Map<String, Long> threadCpuBefore = threadCpu();
        long postgresBefore = Cpu.postgresTicks();
        long processBefore = Cpu.ticks(ProcessHandle.current().pid());
        long cpuStarted = System.nanoTime();
        Thread poller = new Thread(() -> poll(fixture, pending, (sent, ms) -> latencies.add(ms), publishing), "e2e-poller");
        Thread upcasts = new Thread(() -> watchUpcasts(fixture, upcastAt, publishing), "e2e-upcasts");
        Map<String, Integer> waits = new ConcurrentHashMap<>();
        Thread sampler = new Thread(() -> sampleWaits(fixture, waits, publishing), "e2e-waits");
        sampler.start();
        upcasts.start();
        poller.start();
        long started = System.nanoTime();
        long total = (long) rate * seconds;
        LocalDate day = LocalDate.of(2026, 3, 1);
        for (long n = 0; n < total; n++) {
            pace(started, n, rate);
            CatalogEntry entry = seed.get((int) (n % seed.size()));
            boolean probe = n % PROBE_EVERY == 0;
            // A probe is a model version of its own, so that finding it is an index lookup, not a scan.
            String model = probe ? "LatencyProbe" : "LatencyModel";
            String version = probe ? "p" + n : "v1";
            ModelStat stat = new ModelStat(model, version, day.plusDays(n % 28), slice(n), entry.metricName(),
                    (double) n, n % 3 == 0 ? null : n / 2.0);
            if (probe) {
                long now = System.nanoTime();
                pending.put(version, now);
                sentAt.put(version, now);
            }
            producer.send(new ProducerRecord<>(topic, StatKey.of(stat).render().getBytes(StandardCharsets.UTF_8),
                    serializer.serialize(topic, stat)));
        }
        producer.flush();
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        while (!pending.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        publishing.set(false);
        poller.join();
        upcasts.join();
        sampler.join();
        if (report) {
            printWaits(rate, waits);
        }
        if (!pending.isEmpty()) {
            throw new AssertionError(pending.size() + " probes never became visible in both shapes");
        }
        List<Double> sorted = new ArrayList<>(latencies);
        sorted.sort(null);
        // Where the time went: publish -> the upcast committed on the v2 topic (the pipeline, its transaction's commit
        // interval and read_committed visibility), then -> visible in both tables (the sink's batch wait and write).
        List<Double> pipeline = new ArrayList<>();
        sentAt.forEach((version, sent) -> {
            Long seen = upcastAt.get(version);
            if (seen != null) {
                pipeline.add((seen - sent) / 1e6);
            }
        });
        pipeline.sort(null);
        if (!report) {
            return new double[] {percentile(sorted, 0.50), percentile(sorted, 0.99), sorted.size()};
        }
        printCpu(rate, threadCpuBefore, postgresBefore, processBefore, (System.nanoTime() - cpuStarted) / 1e9);
        printStatements(rate, statementsBefore, statementTimes(fixture));
        printTables(fixture, rate);
        System.out.printf(Locale.ROOT, "E2E breakdown at %,d events/s: publish -> upcast committed on the v2 topic p50 %,.0f ms, "
                + "p99 %,.0f ms (%,d probes); the rest, upcast -> visible in both tables, is the sink's%n", rate,
                percentile(pipeline, 0.50), percentile(pipeline, 0.99), pipeline.size());
        return new double[] {percentile(sorted, 0.50), percentile(sorted, 0.99), sorted.size()};
    }

    /**
     * Every 50 ms while the rate runs: what each busy backend of the sink's database is doing, from
     * pg_stat_activity (running on CPU, or the wait event it is in), counted by state and statement,
     * so that time in the sink's lanes that is not PostgreSQL's CPU shows where it waits.
     */
    private static void sampleWaits(SinkFixture fixture, Map<String, Integer> waits, AtomicBoolean publishing) {
        String sql = "SELECT coalesce(wait_event_type || ':' || wait_event, 'CPU') || ' ' || state || ' | '"
                + " || left(regexp_replace(query, '\\s+', ' ', 'g'), 70) FROM pg_stat_activity"
                + " WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
                + " AND state <> 'idle' AND query NOT LIKE '%LatencyProbe%'";
        try (Connection connection = fixture.db.connection(); PreparedStatement statement = connection.prepareStatement(sql)) {
            while (publishing.get()) {
                try (ResultSet rows = statement.executeQuery()) {
                    while (rows.next()) {
                        waits.merge(rows.getString(1), 1, Integer::sum);
                    }
                }
                connection.rollback();
                waits.merge("(samples)", 1, Integer::sum);
                Thread.sleep(50);
            }
        } catch (Exception e) {
            System.out.println("pg_stat_activity not sampled: " + e.getMessage());
        }
    }

    private static void printWaits(int rate, Map<String, Integer> waits) {
        StringBuilder top = new StringBuilder();
        waits.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed()).limit(14)
                .forEach(e -> top.append(String.format(Locale.ROOT, "%n    %6d  %s", e.getValue(), e.getKey())));
        System.out.printf(Locale.ROOT, "E2E PostgreSQL backends at %,d events/s, sampled every 50 ms (count, what it was doing):%s%n",
                rate, top);
    }

    /** Total execution time in ms of each statement of the server, from pg_stat_statements (empty without it). */
    private static Map<String, Double> statementTimes(SinkFixture fixture) {
        Map<String, Double> times = new java.util.HashMap<>();
        try (Connection connection = fixture.db.connection(); java.sql.Statement statement = connection.createStatement()) {
            statement.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
            try (ResultSet rows = statement.executeQuery("SELECT queryid::text || ' ' || left(regexp_replace(query, '\\s+', ' ', 'g'), 110), "
                    + "total_exec_time, calls, rows, shared_blks_hit + shared_blks_read FROM pg_stat_statements")) {
                while (rows.next()) {
                    times.merge(rows.getString(1), rows.getDouble(2), Double::sum);
                    times.merge("calls\u0000" + rows.getString(1), rows.getDouble(3), Double::sum);
                    times.merge("rows\u0000" + rows.getString(1), rows.getDouble(4), Double::sum);
                    times.merge("blocks\u0000" + rows.getString(1), rows.getDouble(5), Double::sum);
                }
            }
            connection.commit();
        } catch (java.sql.SQLException e) {
            System.out.println("pg_stat_statements not read: " + e.getMessage());
        }
        return times;
    }

    /** The written tables' row counts, updates and how many were HOT, and dead rows, summed over partitions. */
    private static void printTables(SinkFixture fixture, int rate) {
        String sql = "SELECT coalesce(i.inhparent::regclass::text, s.relid::regclass::text), sum(n_live_tup), sum(n_tup_ins), sum(n_tup_upd), "
                + "sum(n_tup_hot_upd), sum(n_dead_tup), sum(autovacuum_count), sum(pg_relation_size(s.relid)) / 8192, "
                + "sum(pg_indexes_size(s.relid)) / 8192 FROM pg_stat_user_tables s LEFT JOIN pg_inherits i ON i.inhrelid = s.relid "
                + "WHERE s.schemaname = 'ml_monitoring' AND s.relname LIKE 'model_%' GROUP BY 1 ORDER BY 1";
        StringBuilder out = new StringBuilder();
        try (Connection connection = fixture.db.connection(); PreparedStatement statement = connection.prepareStatement(sql);
                ResultSet rows = statement.executeQuery()) {
            while (rows.next()) {
                out.append(String.format(Locale.ROOT, "%n    %s: live %,d, inserted %,d, updated %,d (HOT %,d), dead %,d, autovacuums %d, "
                        + "heap %,d pages, indexes %,d pages", rows.getString(1), rows.getLong(2), rows.getLong(3), rows.getLong(4),
                        rows.getLong(5), rows.getLong(6), rows.getLong(7), rows.getLong(8), rows.getLong(9)));
            }
            connection.rollback();
        } catch (java.sql.SQLException e) {
            out.append(" not read: ").append(e.getMessage());
        }
        System.out.printf(Locale.ROOT, "E2E tables at %,d events/s:%s%n", rate, out);
    }

    /** The statements PostgreSQL spent most time in while the rate ran. */
    private static void printStatements(int rate, Map<String, Double> before, Map<String, Double> after) {
        StringBuilder top = new StringBuilder();
        java.util.function.BiFunction<String, String, Double> delta = (what, key) ->
                after.getOrDefault(what + "\u0000" + key, 0.0) - before.getOrDefault(what + "\u0000" + key, 0.0);
        after.entrySet().stream().filter(e -> e.getKey().indexOf('\u0000') < 0)
                .map(e -> Map.entry(e.getKey(), e.getValue() - before.getOrDefault(e.getKey(), 0.0)))
                .sorted(Map.Entry.<String, Double>comparingByValue().reversed()).limit(10)
                .forEach(e -> top.append(String.format(Locale.ROOT, "%n    %8.1f s  %,7.0f calls  %,9.0f rows  %,11.0f blocks  %s",
                        e.getValue() / 1000, delta.apply("calls", e.getKey()), delta.apply("rows", e.getKey()),
                        delta.apply("blocks", e.getKey()), e.getKey())));
        System.out.printf(Locale.ROOT, "E2E PostgreSQL statements at %,d events/s, by execution time:%s%n", rate, top);
    }

    /** CPU nanoseconds of this JVM's threads by name, digits and ids folded ("StreamThread-#"), so that like threads add up. */
    private static Map<String, Long> threadCpu() {
        java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        Map<String, Long> byName = new java.util.HashMap<>();
        for (java.lang.management.ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (info != null) {
                long cpu = threads.getThreadCpuTime(info.getThreadId());
                if (cpu > 0) {
                    byName.merge(info.getThreadId() + "\u0000" + info.getThreadName(), cpu, Long::sum);
                }
            }
        }
        return byName;
    }

    /**
     * Where this JVM's CPU went while the rate ran (the broker, the pipeline, the sink and the
     * publisher all run in it), by thread name, beside PostgreSQL's processes: the largest parts.
     */
    private static void printCpu(int rate, Map<String, Long> before, long postgresBefore, long processBefore, double seconds) {
        Map<String, Long> grouped = new java.util.TreeMap<>();
        threadCpu().forEach((id, cpu) -> {
            String name = id.substring(id.indexOf('\u0000') + 1)
                    .replaceAll("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<id>").replaceAll("[0-9]+", "#");
            grouped.merge(name, cpu - before.getOrDefault(id, 0L), Long::sum);
        });
        double total = grouped.values().stream().mapToLong(Long::longValue).sum() / 1e9;
        double postgres = (Cpu.postgresTicks() - postgresBefore) / Cpu.TICKS;
        double process = (Cpu.ticks(ProcessHandle.current().pid()) - processBefore) / Cpu.TICKS;
        StringBuilder top = new StringBuilder();
        grouped.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(12)
                .forEach(e -> top.append(String.format(Locale.ROOT, "%n    %6.1f s  %s", e.getValue() / 1e9, e.getKey())));
        System.out.printf(Locale.ROOT, "E2E CPU at %,d events/s over %.0f s (2 cores: %.0f s): this JVM %.1f s (its Java threads %.1f s, "
                + "so garbage collection and the compilers %.1f s), PostgreSQL %.1f s; the JVM's largest:%s%n", rate, seconds, 2 * seconds,
                process, total, process - total, postgres, top);
        StringBuilder gc = new StringBuilder();
        for (java.lang.management.GarbageCollectorMXBean bean : java.lang.management.ManagementFactory.getGarbageCollectorMXBeans()) {
            gc.append(String.format(Locale.ROOT, " %s %,d collections %,d ms;", bean.getName(), bean.getCollectionCount(),
                    bean.getCollectionTime()));
        }
        System.out.printf(Locale.ROOT, "E2E garbage collection since this JVM started (heap %,d MB of %,d MB used):%s%n",
                (Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory()) >> 20, Runtime.getRuntime().maxMemory() >> 20, gc);
    }

    /**
     * Records when each probe's v2 stat is first readable by a read_committed consumer of the v2 topic:
     * when the pipeline's transaction that wrote it committed.
     */
    private static void watchUpcasts(SinkFixture fixture, Map<String, Long> upcastAt, AtomicBoolean publishing) {
        Map<String, Object> config = fixture.kafka.consumerConfig("e2e-upcasts-" + System.nanoTime());
        config.put("key.deserializer", "org.apache.kafka.common.serialization.ByteArrayDeserializer");
        config.put("value.deserializer", "org.apache.kafka.common.serialization.ByteArrayDeserializer");
        String topic = fixture.topic("topic.v2");
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config)) {
            consumer.subscribe(List.of(topic));
            long idleSince = System.nanoTime();
            while (publishing.get() || System.nanoTime() - idleSince < 2_000_000_000L) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(20))) {
                    long now = System.nanoTime();
                    idleSince = now;
                    String key = new String(record.key(), StandardCharsets.UTF_8);
                    if (key.startsWith("LatencyProbe/")) {
                        upcastAt.putIfAbsent(key.substring("LatencyProbe/".length(), key.indexOf('/', "LatencyProbe/".length())), now);
                    }
                }
            }
        }
    }

    /** Every 20 ms: which pending probes are visible in both the new table and the legacy table. */
    /** What a probe's poller records: when the probe was sent (nanoTime) and its latency in ms. */
    @FunctionalInterface
    private interface Recorder {
        void record(long sentAt, double latencyMs);
    }

    private static void poll(SinkFixture fixture, Map<String, Long> pending, Recorder latencies, AtomicBoolean publishing) {
        String sql = "SELECT s.model_version FROM ml_monitoring.model_stats_daily s JOIN ml_monitoring.model_stats_daily_legacy l "
                + "USING (model_name, model_version, stat_date, slice_key) WHERE s.model_name = 'LatencyProbe' "
                + "AND s.model_version = ANY (?) AND l.model_name = 'LatencyProbe' AND l.model_version = ANY (?)";
        try (Connection connection = fixture.db.connection(); PreparedStatement statement = connection.prepareStatement(sql)) {
            while (publishing.get() || !pending.isEmpty()) {
                // The oldest probes only: they arrive about in order, and asking for thousands at once every 20 ms would make
                // the poller itself a large part of PostgreSQL's work once the stack falls behind.
                List<String> waiting = pending.entrySet().stream().sorted(Map.Entry.comparingByValue()).limit(POLLED)
                        .map(Map.Entry::getKey).toList();
                if (!waiting.isEmpty()) {
                    Array slices = connection.createArrayOf("text", waiting.toArray());
                    statement.setArray(1, slices);
                    statement.setArray(2, slices);
                    try (ResultSet rows = statement.executeQuery()) {
                        long now = System.nanoTime();
                        while (rows.next()) {
                            Long sent = pending.remove(rows.getString(1));
                            if (sent != null) {
                                latencies.record(sent, (now - sent) / 1e6);
                            }
                        }
                    }
                    connection.rollback();
                }
                Thread.sleep(20);
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Produce-to-consume latency of plain Kafka at the same rate: the floor under any pipeline on this broker. */
    private static double[] kafkaRoundTrip(KafkaBroker kafka, int rate) throws Exception {
        String topic = "e2e-ceiling-" + System.nanoTime();
        kafka.createTopics(4, topic);
        Map<String, Object> producerConfig = kafka.producerConfig();
        producerConfig.put("key.serializer", "org.apache.kafka.common.serialization.ByteArraySerializer");
        producerConfig.put("value.serializer", "org.apache.kafka.common.serialization.ByteArraySerializer");
        Map<String, Object> consumerConfig = kafka.consumerConfig("e2e-ceiling-" + System.nanoTime());
        consumerConfig.put("key.deserializer", "org.apache.kafka.common.serialization.ByteArrayDeserializer");
        consumerConfig.put("value.deserializer", "org.apache.kafka.common.serialization.ByteArrayDeserializer");
        consumerConfig.put("auto.offset.reset", "earliest");
        List<Double> latencies = Collections.synchronizedList(new ArrayList<>());
        int seconds = Math.min(SECONDS, 20);
        long total = (long) rate * seconds;
        AtomicBoolean done = new AtomicBoolean();
        Thread consumerThread = new Thread(() -> {
            try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerConfig)) {
                consumer.subscribe(List.of(topic));
                long seen = 0;
                while (seen < total && !done.get()) {
                    for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(50))) {
                        seen++;
                        long sent = Long.parseLong(new String(record.value(), StandardCharsets.UTF_8));
                        if (seen % PROBE_EVERY == 0) {
                            latencies.add((System.nanoTime() - sent) / 1e6);
                        }
                    }
                }
            }
        }, "e2e-ceiling-consumer");
        consumerThread.start();
        Thread.sleep(3000);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerConfig)) {
            long started = System.nanoTime();
            for (long n = 0; n < total; n++) {
                pace(started, n, rate);
                producer.send(new ProducerRecord<>(topic, Long.toString(n).getBytes(StandardCharsets.UTF_8),
                        Long.toString(System.nanoTime()).getBytes(StandardCharsets.UTF_8)));
            }
        }
        consumerThread.join(Duration.ofMinutes(2).toMillis());
        done.set(true);
        List<Double> sorted = new ArrayList<>(latencies);
        sorted.sort(null);
        return new double[] {percentile(sorted, 0.50), percentile(sorted, 0.99)};
    }

    /** Waits (sleeping, not spinning: the machine has two cores) until event {@code n} is due at the steady rate. */
    private static void pace(long started, long n, int rate) throws InterruptedException {
        long due = started + n * 1_000_000_000L / rate;
        long early = due - System.nanoTime();
        if (early > 0) {
            Thread.sleep(early / 1_000_000, (int) (early % 1_000_000));
        }
    }

    /**
     * A fixture for a pipeline and a sink of their own: its v1 topic and application id, the seed
     * catalog, the three topics, and {@code -Dbench.e2e.settings=key=value,...} (pipeline and sink
     * settings to try, e.g. sink.metric.series=false) over it all.
     */
    private static SinkFixture pipelineAndSink(KafkaBroker kafka, SchemaRegistryServer registry, PostgresServer postgres, String name,
            List<CatalogEntry> seed) throws Exception {
        SinkFixture fixture = new SinkFixture(kafka, registry, postgres, name);
        fixture.settings.put("topic.v1", fixture.prefix + ".model-stats.v1");
        fixture.settings.put("pipeline.application.id", fixture.prefix + "-pipeline");
        fixture.settings.put("pipeline.state.dir", Files.createTempDirectory(name).toString());
        fixture.settings.putAll(LATENCY_SETTINGS);
        for (String pair : System.getProperty("bench.e2e.settings", "").split(",")) {
            if (pair.contains("=")) {
                fixture.settings.put(pair.substring(0, pair.indexOf('=')).trim(), pair.substring(pair.indexOf('=') + 1).trim());
            }
        }
        fixture.seedCatalog(seed);
        if (EXPLAIN_MS >= 0) {
            for (String setting : List.of("session_preload_libraries = 'auto_explain'", "auto_explain.log_min_duration = " + EXPLAIN_MS,
                    "auto_explain.log_analyze = on", "auto_explain.log_buffers = on", "auto_explain.log_nested_statements = on")) {
                fixture.db.execute("DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET " + setting.replace("'", "''")
                        + "', current_database()); END $$");
            }
        }
        kafka.createTopics(4, fixture.topic("topic.v1"), fixture.topic("topic.v2"), fixture.topic("topic.business.v2"));
        return fixture;
    }

    /** Event {@code n}'s slice: one of 500, or one of its own with {@link #DISTINCT}. */
    private static String slice(long n) {
        return "slice-" + (DISTINCT ? n : n % 500);
    }

    /**
     * Starts both and waits until the pipeline runs and the sink has its partitions, so that what
     * is timed is the path, not the start-up (Kafka Streams' first rebalance takes seconds).
     */
    private static void start(PipelineApp pipeline, SinkApp sink) throws InterruptedException {
        pipeline.start();
        sink.start();
        if (!pipeline.awaitRunning(Duration.ofMinutes(2)) || !sink.awaitAssignment(Duration.ofMinutes(2))) {
            throw new IllegalStateException("the pipeline or the sink did not start: " + pipeline.health() + ", " + sink.health());
        }
    }

    /** A latency in ms, or why there is none: no probe of the window was visible by the end (a backlog). */
    private static String millis(double ms) {
        return Double.isNaN(ms) ? "n/a (none of them visible by the end)" : String.format(Locale.ROOT, "%,.0f ms", ms);
    }

    private static double percentile(List<Double> sorted, double p) {
        if (sorted.isEmpty()) {
            return Double.NaN;
        }
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p * sorted.size()) - 1));
    }
}

package statbridge.chaos;

import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import statbridge.catalog.CatalogEntry;
import statbridge.catalog.CatalogTopic;
import statbridge.catalog.MetricCatalog;
import statbridge.cli.Statbridge;
import statbridge.contract.StatKey;
import statbridge.deadletter.DeadLetter;
import statbridge.embedded.EmbeddedStack;
import statbridge.registry.RegistryUnavailableException;
import statbridge.registry.SchemaRegistryClient;
import statbridge.registry.SchemaRegistryClients;
import statbridge.serde.AvroSerializer;
import statbridge.sink.PublishedModel;
import statbridge.sink.SinkDatabase;
import statbridge.sink.SinkFixture;
import statbridge.topics.TopicReader;
import statbridge.v2.BusinessStat;
import statbridge.v2.MetricType;

/**
 * The whole path under the faults real deployments meet. {@code statbridge up --infra-only} runs
 * Kafka, the registry and PostgreSQL in one process; two pipeline and two sink processes share the
 * work; a publisher sends v1 and v2 events at a steady rate (corrections, the same fact through
 * both paths, bad records) and logs what Kafka acknowledged; a schedule drawn from the seed kills,
 * stops and restarts processes, restarts PostgreSQL and the broker, switches dual-write off and on
 * and adds catalog entries. Then everything drains and the tables, the topics and the dead letters
 * are checked against the publisher's log.
 */
public final class ChaosSoak {

    /** What can go wrong. */
    public enum Fault {
        KILL_PIPELINE, KILL_SINK, TERM_PIPELINE, TERM_SINK, RESTART_POSTGRES, RESTART_BROKER, DUAL_WRITE_SWITCH, CATALOG_ADD,
        /** PostgreSQL refuses connections for a few seconds while a sink is killed and started again: a rebalance in an outage. */
        OUTAGE_REBALANCE,
        /** The catalog topic is deleted and created again empty; the components restore it from the database when they start. */
        CATALOG_LOST;

        String label() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    /**
     * @param seed draws the fault schedule and the data
     * @param duration how long events are published and faults injected
     * @param faultInterval mean pause between two faults
     * @param minFaults the run goes on past its duration until this many faults were injected
     * @param eventsPerSecond the publishers' steady rate
     * @param faults the kinds of fault to inject, each at least once
     * @param deployment where the pipelines and sinks run
     */
    public record Options(long seed, Duration duration, Duration faultInterval, int minFaults, int eventsPerSecond, Path workDir,
            Set<Fault> faults, Deployment deployment) {

        /** Every kind of fault, the pipelines and sinks as processes of this machine. */
        public Options(long seed, Duration duration, Duration faultInterval, int minFaults, int eventsPerSecond, Path workDir) {
            this(seed, duration, faultInterval, minFaults, eventsPerSecond, workDir, java.util.EnumSet.allOf(Fault.class),
                    new ProcessDeployment());
        }
    }

    /** What the run found. */
    public record Summary(long seed, long events, long badRecords, Map<Fault, Integer> faults, long rowsChecked, long lost,
            long duplicated, long wrong, List<String> examples) {

        public int totalFaults() {
            return faults.values().stream().mapToInt(Integer::intValue).sum();
        }

        public boolean clean() {
            return lost == 0 && duplicated == 0 && wrong == 0;
        }

        public String line() {
            StringBuilder kinds = new StringBuilder();
            faults.forEach((fault, count) -> kinds.append(kinds.length() == 0 ? "" : ", ").append(fault.label()).append('=').append(count));
            return String.format(Locale.ROOT, "chaos soak seed=%d: events=%,d (bad=%,d), faults=%d {%s}, rows checked=%,d, "
                    + "lost=%d, duplicated=%d, wrong=%d", seed, events, badRecords, totalFaults(), kinds, rowsChecked, lost,
                    duplicated, wrong);
        }
    }

    private static final Pattern READY = Pattern.compile("READY kafka=(\\S+) registry=(\\S+) jdbc=(\\S+) console=(\\S+)");
    private static final List<String> MODELS = List.of("IntentClassifier", "ChurnPredictor", "FraudScorer");
    private static final List<String> SLICES = List.of("ALL", "country=PL", "country=DE", "device=ios");

    private final Options options;
    private final Random random;
    private final Path dir;
    private final int kafkaPort;
    private final int registryPort;
    private final int postgresPort;
    private String kafka;
    private String registry;
    private String jdbc;
    private Process infra;
    /** READY lines the infrastructure log held when it last became ready; a restart is ready at the next one. */
    private int readyCount;
    private final Deployment deployment;
    private final Deployment.Component[] pipelines;
    private final Deployment.Component[] sinks;
    private final Map<Fault, Integer> injected = new EnumMap<>(Fault.class);
    private final List<String> log = new CopyOnWriteArrayList<>();
    private volatile MetricCatalog catalog;
    private final List<String> metricNames = new CopyOnWriteArrayList<>();
    private boolean dualWriteOn = true;
    private int catalogAdditions;

    public ChaosSoak(Options options) throws IOException {
        this.options = options;
        this.random = new Random(options.seed());
        this.dir = options.workDir();
        this.deployment = options.deployment();
        this.pipelines = new Deployment.Component[deployment.replicas()];
        this.sinks = new Deployment.Component[deployment.replicas()];
        if (Files.exists(dir)) {
            try (var files = Files.walk(dir)) {
                for (Path file : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(file);
                }
            }
        }
        Files.createDirectories(dir);
        this.kafkaPort = freePort();
        this.registryPort = freePort();
        this.postgresPort = freePort();
    }

    public Summary run() throws Exception {
        try {
            startInfra();
            catalog = MetricCatalog.of(EmbeddedStack.seedCatalog());
            metricNames.addAll(List.of("accuracy", "f1_score", "churn_rate", "psi_country", "precision", "recall"));
            for (String name : metricNames) {
                catalog.byName(name).orElseThrow(() -> new IllegalStateException("the seed catalog lacks " + name));
            }
            jdbc = deployment.prepare(kafka, registry, jdbc, dir);
            for (int i = 0; i < pipelines.length; i++) {
                pipelines[i] = deployment.start("pipeline", i);
                sinks[i] = deployment.start("sink", i);
            }
            Publisher publisher = new Publisher(new Random(options.seed() * 31 + 7));
            Thread publishing = new Thread(publisher, "chaos-publisher");
            publishing.start();
            injectFaults(System.nanoTime() + options.duration().toNanos());
            publisher.stop.set(true);
            publishing.join();
            publisher.finish();
            if (publisher.failure != null) {
                throw new AssertionError("the publisher stopped (seed " + options.seed() + ")", publisher.failure);
            }
            if (!dualWriteOn) {
                switchDualWrite();
            }
            drain();
            return check(publisher);
        } finally {
            stopAll();
        }
    }

    // ---------------------------------------------------------------- processes

    private void startInfra() throws Exception {
        infra = ProcessDeployment.launch(dir, "infra", "-Xmx1g", List.of("up", "--infra-only", "--kafka-port", "" + kafkaPort, "--registry-port", "" + registryPort,
                "--pg-port", "" + postgresPort, "--data-dir", dir.resolve("data").toString(), "--metrics-port", "-1"), Map.of());
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        Path out = dir.resolve("infra.log");
        while (System.nanoTime() < deadline) {
            List<String> lines = Files.exists(out) ? new String(Files.readAllBytes(out), StandardCharsets.UTF_8).lines().toList() : List.of();
            List<Matcher> ready = lines.stream().map(READY::matcher).filter(Matcher::matches).toList();
            if (ready.size() > readyCount) {
                Matcher m = ready.get(ready.size() - 1);
                if (kafka != null && !m.group(1).equals(kafka)) {
                    throw new IllegalStateException("the restarted broker came back on " + m.group(1) + ", not " + kafka);
                }
                kafka = m.group(1);
                registry = m.group(2);
                if (jdbc == null) {
                    jdbc = m.group(3);
                }
                readyCount = ready.size();
                return;
            }
            if (!infra.isAlive()) {
                throw new IllegalStateException("statbridge up --infra-only exited with " + infra.exitValue() + ":\n" + tail(out));
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("statbridge up --infra-only did not print READY:\n" + tail(out));
    }

    private void restart(Deployment.Component[] group, int instance, String kind, boolean kill) throws Exception {
        Deployment.Component component = group[instance];
        if (kill) {
            component.kill();
        } else {
            component.terminate();
        }
        if (!component.waitFor(Duration.ofSeconds(90))) {
            component.kill();
            component.waitFor(Duration.ofSeconds(60));
            log.add(kind + "-" + instance + " did not stop within 90 s of SIGTERM; killed");
        }
        Thread.sleep(random.nextInt(1500));
        group[instance] = deployment.start(kind, instance);
    }

    /** Restarts PostgreSQL under the infrastructure process ({@code statbridge up} does it on SIGUSR2), and waits until it answers. */
    private void restartPostgres() throws Exception {
        Path out = dir.resolve("infra.log");
        long before = restarts(out);
        new ProcessBuilder("kill", "-USR2", Long.toString(infra.pid())).start().waitFor();
        await("PostgreSQL restarts; see " + out).atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(200))
                .failFast("the infrastructure process exited", () -> !infra.isAlive())
                .until(() -> restarts(out) != before);
        if (Files.readString(out).contains("could not restart PostgreSQL")) {
            throw new IllegalStateException("PostgreSQL did not restart:\n" + tail(out));
        }
    }

    private static long restarts(Path out) throws IOException {
        return new String(Files.readAllBytes(out), StandardCharsets.UTF_8).lines()
                .filter(line -> line.contains("restarted PostgreSQL") || line.contains("could not restart PostgreSQL")).count();
    }

    /**
     * PostgreSQL refuses every connection to the sinks' database for a few seconds, and one sink is
     * killed and started again meanwhile: the survivor's partitions are revoked and assigned while
     * both retry, and every one of them must be consumed again once the database answers.
     */
    private void outageWithRebalance() throws Exception {
        String admin = jdbc.replace("/postgres?", "/template1?");
        try (java.sql.Connection connection = java.sql.DriverManager.getConnection(admin);
                java.sql.Statement statement = connection.createStatement()) {
            statement.execute("ALTER DATABASE postgres ALLOW_CONNECTIONS false");
            statement.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'postgres'");
            try {
                restart(sinks, random.nextInt(sinks.length), "sink", true);
                Thread.sleep(2_000 + random.nextInt(6_000)); // how long the outage lasts
            } finally {
                statement.execute("ALTER DATABASE postgres ALLOW_CONNECTIONS true");
            }
        }
    }

    /**
     * An operator deletes the catalog topic and creates it again, empty: the pipelines are stopped
     * first (their global store reads that topic), the topic goes, the sinks and then the pipelines
     * are started again, and each publishes what the topic lacks from ml_monitoring.metric_catalog.
     */
    private void loseTheCatalogTopic() throws Exception {
        // The database is the durable copy of what it has: wait until the sinks have copied every entry added so far.
        try (SinkDatabase db = SinkDatabase.attach(jdbc)) {
            await("the sinks copy the catalog to the database").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(200))
                    .until(() -> Long.parseLong(db.rows("SELECT count(*) FROM ml_monitoring.metric_catalog").get(0)) >= catalog.entries().size());
        }
        for (Deployment.Component pipeline : pipelines) {
            pipeline.terminate();
            if (!pipeline.waitFor(Duration.ofSeconds(90))) {
                pipeline.kill();
                pipeline.waitFor(Duration.ofSeconds(60));
            }
        }
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka))) {
            admin.deleteTopics(List.of("metric-catalog")).all().get(60, TimeUnit.SECONDS);
            await("metric-catalog deleted").atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(100))
                    .until(() -> !admin.listTopics().names().get().contains("metric-catalog"));
        }
        statbridge.topics.TopicCreator.ensure(Map.of("bootstrap.servers", kafka), List.of(new statbridge.topics.TopicCreator.Spec(
                "metric-catalog", statbridge.topics.TopicCreator.COMPACTED)), 4, (short) 1);
        for (int i = 0; i < sinks.length; i++) {
            restart(sinks, i, "sink", true);
        }
        for (int i = 0; i < pipelines.length; i++) {
            pipelines[i] = deployment.start("pipeline", i);
        }
    }

    /** Stops the postmaster of the data directory, whoever started it, with a fast shutdown. */
    private void stopPostgres() throws Exception {
        Path pidFile = dir.resolve("data").resolve("postgres").resolve("postmaster.pid");
        if (!Files.exists(pidFile)) {
            return;
        }
        long pid = Long.parseLong(Files.readAllLines(pidFile).get(0).strip());
        var handle = ProcessHandle.of(pid);
        if (handle.isEmpty()) {
            return;
        }
        new ProcessBuilder("kill", "-INT", Long.toString(pid)).start().waitFor();
        try {
            handle.get().onExit().get(60, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            handle.get().destroyForcibly();
            handle.get().onExit().get(30, TimeUnit.SECONDS);
        }
    }

    /** Restarts the infrastructure process: the broker (and with it the registry and PostgreSQL), on the same ports and data. */
    private void restartBroker() throws Exception {
        infra.destroy();
        if (!infra.waitFor(2, TimeUnit.MINUTES)) {
            infra.destroyForcibly().waitFor();
            log.add("the infrastructure process did not stop within 2 minutes of SIGTERM; killed");
        }
        stopPostgres();
        startInfra();
    }

    private void stopAll() {
        List<Deployment.Component> all = new ArrayList<>();
        Collections.addAll(all, pipelines);
        Collections.addAll(all, sinks);
        for (Deployment.Component component : all) {
            if (component != null) {
                try {
                    component.kill();
                    component.waitFor(Duration.ofSeconds(30));
                } catch (Exception e) {
                    log.add("stopping a component: " + e);
                }
            }
        }
        try {
            deployment.close();
        } catch (Exception e) {
            log.add("closing the deployment: " + e);
        }
        if (infra != null) {
            infra.destroy();
            try {
                if (!infra.waitFor(2, TimeUnit.MINUTES)) {
                    infra.destroyForcibly();
                }
                stopPostgres();
            } catch (Exception e) {
                log.add("stopping PostgreSQL: " + e);
            }
        }
    }

    // ---------------------------------------------------------------- faults

    private void injectFaults(long until) throws Exception {
        List<Fault> firstRound = new ArrayList<>(options.faults());
        Collections.shuffle(firstRound, random);
        int n = 0;
        while (System.nanoTime() < until || total() < options.minFaults()) {
            Thread.sleep((long) (options.faultInterval().toMillis() * (0.5 + random.nextDouble())));
            Fault fault = n < firstRound.size() ? firstRound.get(n) : drawAllowed();
            n++;
            if (inject(fault)) {
                injected.merge(fault, 1, Integer::sum);
            }
        }
    }

    private int total() {
        return injected.values().stream().mapToInt(Integer::intValue).sum();
    }

    /** A fault of the kinds the run injects, drawn with {@link #draw}'s weights among them. */
    private Fault drawAllowed() {
        while (true) {
            Fault fault = draw();
            if (options.faults().contains(fault)) {
                return fault;
            }
        }
    }

    private Fault draw() {
        int roll = random.nextInt(100);
        if (roll < 18) {
            return Fault.KILL_PIPELINE;
        }
        if (roll < 36) {
            return Fault.KILL_SINK;
        }
        if (roll < 48) {
            return Fault.TERM_PIPELINE;
        }
        if (roll < 60) {
            return Fault.TERM_SINK;
        }
        if (roll < 66) {
            return Fault.RESTART_POSTGRES;
        }
        if (roll < 70) {
            return Fault.OUTAGE_REBALANCE;
        }
        if (roll < 76) {
            return Fault.RESTART_BROKER;
        }
        if (roll < 88) {
            return Fault.DUAL_WRITE_SWITCH;
        }
        if (roll < 90) {
            return Fault.CATALOG_LOST;
        }
        return Fault.CATALOG_ADD;
    }

    private boolean inject(Fault fault) throws Exception {
        switch (fault) {
            case KILL_PIPELINE -> restart(pipelines, random.nextInt(pipelines.length), "pipeline", true);
            case KILL_SINK -> restart(sinks, random.nextInt(sinks.length), "sink", true);
            case TERM_PIPELINE -> restart(pipelines, random.nextInt(pipelines.length), "pipeline", false);
            case TERM_SINK -> restart(sinks, random.nextInt(sinks.length), "sink", false);
            case RESTART_POSTGRES -> restartPostgres();
            case RESTART_BROKER -> restartBroker();
            case OUTAGE_REBALANCE -> outageWithRebalance();
            case CATALOG_LOST -> loseTheCatalogTopic();
            case DUAL_WRITE_SWITCH -> {
                return switchDualWrite();
            }
            case CATALOG_ADD -> {
                CatalogEntry entry = CatalogEntry.of("chaos_metric_" + ++catalogAdditions, MetricType.ONLINE,
                        "chaos_metric_" + catalogAdditions);
                new CatalogTopic(Map.of("bootstrap.servers", kafka), "metric-catalog").add(List.of(entry));
                catalog = catalog.with(entry);
                metricNames.add(entry.metricName());
            }
            default -> throw new IllegalArgumentException(fault.name());
        }
        return true;
    }

    /** Flips dual-write with the real command; a refusal (e.g. a lock wait) is logged and not counted. */
    private boolean switchDualWrite() {
        StringWriter out = new StringWriter();
        var commandLine = Statbridge.commandLine();
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(out, true));
        int exit = commandLine.execute("dual-write", dualWriteOn ? "off" : "on", "--jdbc", jdbc, "--reason", "chaos soak");
        if (exit != 0) {
            log.add("dual-write " + (dualWriteOn ? "off" : "on") + " exited " + exit + ": " + out.toString().strip());
            return false;
        }
        dualWriteOn = !dualWriteOn;
        return true;
    }

    // ---------------------------------------------------------------- publishing

    /** Publishes at a steady rate and logs every event Kafka acknowledged. */
    private final class Publisher implements Runnable {
        final AtomicBoolean stop = new AtomicBoolean();
        final PublishedModel model = new PublishedModel();
        final Random random;
        final KafkaProducer<byte[], byte[]> producer;
        final SchemaRegistryClient registryClient;
        final AvroSerializer<Object> serializer;
        final AtomicLong inFlight = new AtomicLong();
        final AtomicLong events = new AtomicLong();
        /** Timestamps of the events sent exactly once (for the exactly-once check of the topics), by topic. */
        final Map<String, Set<Long>> sentOnce = new ConcurrentHashMap<>();
        /** Keys of the bad records and the reason each must be dead-lettered with. */
        final Map<String, String> bad = new ConcurrentHashMap<>();
        final Set<Long> badTimes = ConcurrentHashMap.newKeySet();
        /** Times of events whose send failed and that were sent again (they may be in a topic twice). */
        final Set<Long> resent = ConcurrentHashMap.newKeySet();
        final java.util.Queue<Runnable> resends = new java.util.concurrent.ConcurrentLinkedQueue<>();
        long clock = System.currentTimeMillis();

        Publisher(Random random) {
            this.random = random;
            Map<String, Object> config = new HashMap<>();
            config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka);
            config.put(ProducerConfig.ACKS_CONFIG, "all");
            config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
            config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 600_000);
            config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 600_000);
            config.put(ProducerConfig.LINGER_MS_CONFIG, 5);
            config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
            config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
            producer = new KafkaProducer<>(config);
            registryClient = SchemaRegistryClients.create(Map.of("schema.registry.url", registry));
            serializer = new AvroSerializer<>(registryClient, false, Map.of());
        }

        /** Why the publisher stopped before it was told to, or null. */
        volatile Throwable failure;

        @Override
        public void run() {
            try {
                publish();
            } catch (RuntimeException | Error e) {
                failure = e;
            }
        }

        /**
         * Serializes a record, waiting out a registry outage (the broker restart takes the registry down with it): a
         * publisher must not drop or give up on an event because the registry is briefly away.
         */
        private byte[] encode(String topic, Object record) {
            long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
            while (true) {
                try {
                    return serializer.serialize(topic, record);
                } catch (SerializationException e) {
                    if (!(e.getCause() instanceof RegistryUnavailableException) || System.nanoTime() > deadline) {
                        throw e;
                    }
                    try {
                        Thread.sleep(250);
                    } catch (InterruptedException interrupted) {
                        Thread.currentThread().interrupt();
                        throw e;
                    }
                }
            }
        }

        private void publish() {
            long started = System.nanoTime();
            long sent = 0;
            while (!stop.get()) {
                long due = (long) ((System.nanoTime() - started) / 1e9 * options.eventsPerSecond());
                while (sent < due && !stop.get()) {
                    publishOne(sent++);
                }
                for (Runnable resend; (resend = resends.poll()) != null; ) {
                    resend.run();
                }
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        private long tick() {
            clock = Math.max(clock + 1, System.currentTimeMillis());
            return clock;
        }

        private void publishOne(long n) {
            if (n % 97 == 13) {
                publishBad(n);
                return;
            }
            int modelIndex = random.nextInt(MODELS.size());
            String modelName = MODELS.get(modelIndex);
            String version = modelIndex == 0 ? "v4" : "v3";
            LocalDate day = LocalDate.now().minusDays(random.nextInt(20));
            String slice = SLICES.get(random.nextInt(SLICES.size()));
            String name = metricNames.get(random.nextInt(metricNames.size()));
            CatalogEntry entry = catalog.byName(name).orElseThrow();
            double value = Math.round(random.nextDouble() * 1_000_000) / 1000.0;
            Double kpi = random.nextInt(4) == 0 ? null : Math.round(random.nextDouble() * 100_000) / 100.0;
            PublishedModel.Row row = new PublishedModel.Row(modelName, version, day, slice, entry.metricType(), entry.metricKey());
            // IntentClassifier is a legacy job (v1), ChurnPredictor a migrated one (v2), FraudScorer publishes both while it
            // migrates: sometimes one path, sometimes the same fact through both.
            int path = modelIndex == 0 ? 0 : modelIndex == 1 ? 1 : random.nextInt(3);
            if (path == 0 || path == 2) {
                var stat = new statbridge.v1.ModelStat(modelName, version, day, slice, name, value, kpi);
                send("model-stats.v1", StatKey.of(stat).render(), encode("model-stats.v1", stat), tick(),
                        time -> {
                            model.stat(row, value, time);
                            model.business(row, kpi, time);
                        });
            }
            if (path == 1 || path == 2) {
                long time = tick();
                var stat = new statbridge.v2.ModelStat(modelName, version, day, slice, entry.metricType(), entry.metricKey(), value);
                var business = new BusinessStat(modelName, version, day, slice, entry.metricType(), entry.metricKey(), kpi);
                String key = StatKey.of(stat).render();
                send("model-stats.v2", key, encode("model-stats.v2", stat), time, t -> model.stat(row, value, t));
                // FraudScorer's job runs on another client library, whose partitioner puts a KPI elsewhere than its stat.
                Integer partition = modelIndex == 2 ? otherPartitioner(key) : null;
                send("model-business-stats.v2", partition, key, encode("model-business-stats.v2", business), time,
                        t -> model.business(row, kpi, t));
            }
        }

        private void publishBad(long n) {
            String key;
            byte[] value;
            String reason;
            String topic = "model-stats.v1";
            switch ((int) (n / 97) % 7) {
                case 0 -> {
                    key = "chaos-bad-" + n;
                    value = new byte[] {(byte) 0x7f, 1, 2, 3, 4, 5};
                    reason = "bad-wire-format";
                }
                case 1 -> {
                    key = "chaos-bad-" + n;
                    value = new byte[] {0, 0x7f, 0x7f, 0x7f, 0x70, 2, 4};
                    reason = "unknown-schema-id";
                }
                case 2 -> {
                    var stat = new statbridge.v1.ModelStat("chaos-bad-" + n, "v1", LocalDate.now(), "ALL", "accuracy", Double.NaN, null);
                    key = StatKey.of(stat).render();
                    value = encode("model-stats.v1", stat);
                    reason = "invalid-field";
                }
                case 3 -> {
                    var stat = new statbridge.v1.ModelStat("chaos-bad-" + n, "v1", LocalDate.now(), "ALL", "accuracy", 0.5, null);
                    key = "chaos-bad-" + n + "/v1/1999-01-01/ALL";
                    value = encode("model-stats.v1", stat);
                    reason = "key-mismatch";
                }
                case 4 -> {
                    // 13 bytes that declare a 1.5 GB string, with the v1 schema's real id: to the pipeline.
                    key = "chaos-bad-" + n;
                    value = poison(encode("model-stats.v1", new statbridge.v1.ModelStat("m", "v", LocalDate.now(), "ALL", "accuracy", 1.0, null)));
                    reason = "bad-wire-format";
                }
                case 5 -> {
                    // The same poison with the v2 schema's id: to the sinks.
                    topic = "model-stats.v2";
                    key = "chaos-bad-" + n;
                    value = poison(encode("model-stats.v2", new statbridge.v2.ModelStat("m", "v", LocalDate.now(), "ALL",
                            MetricType.ONLINE, "accuracy", 1.0)));
                    reason = "bad-wire-format";
                }
                default -> {
                    // A v2 stat whose key names another row: the sinks dead-letter it.
                    topic = "model-stats.v2";
                    var stat = new statbridge.v2.ModelStat("chaos-bad-" + n, "v1", LocalDate.now(), "ALL", MetricType.ONLINE, "accuracy", 0.5);
                    key = "chaos-bad-" + n + "/v1/1999-01-01/ALL";
                    value = encode("model-stats.v2", stat);
                    reason = "key-mismatch";
                }
            }
            bad.put(key, reason);
            long time = tick();
            badTimes.add(time);
            send(topic, key, value, time, t -> { });
        }

        /** The Confluent header of a real message, then a string length of 1.5 billion and three bytes. */
        private static byte[] poison(byte[] real) {
            byte[] poison = {0, 0, 0, 0, 0, (byte) 0x80, (byte) 0xbc, (byte) 0xc1, (byte) 0x96, 0x0b, 'a', 'b', 'c'};
            System.arraycopy(real, 0, poison, 0, 5);
            return poison;
        }

        private void send(String topic, String key, byte[] value, long time, java.util.function.LongConsumer acknowledged) {
            send(topic, null, key, value, time, acknowledged);
        }

        /** {@code partition} null: the Java partitioner's choice; otherwise the choice of another client's partitioner. */
        private void send(String topic, Integer partition, String key, byte[] value, long time,
                java.util.function.LongConsumer acknowledged) {
            inFlight.incrementAndGet();
            events.incrementAndGet();
            sentOnce.computeIfAbsent(topic, t -> ConcurrentHashMap.newKeySet()).add(time);
            producer.send(new ProducerRecord<>(topic, partition, time, key.getBytes(StandardCharsets.UTF_8), value), (metadata, error) -> {
                if (error != null) {
                    // Unknown whether it landed: send it again (same bytes, same time: a duplicate changes no row).
                    resent.add(time);
                    sentOnce.get(topic).remove(time);
                    events.decrementAndGet();
                    resends.add(() -> send(topic, partition, key, value, time, acknowledged));
                    inFlight.decrementAndGet();
                    return;
                }
                acknowledged.accept(time);
                inFlight.decrementAndGet();
            });
        }

        /** Not murmur2's partition of the key: what a client with another partitioner might choose. */
        private static int otherPartitioner(String key) {
            byte[] bytes = key.getBytes(StandardCharsets.UTF_8);
            return (org.apache.kafka.common.utils.Utils.toPositive(org.apache.kafka.common.utils.Utils.murmur2(bytes)) + 1) % 4;
        }

        void finish() throws InterruptedException {
            long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
            do {
                for (Runnable resend; (resend = resends.poll()) != null; ) {
                    resend.run();
                }
                producer.flush();
                Thread.sleep(100);
            } while ((inFlight.get() > 0 || !resends.isEmpty()) && System.nanoTime() < deadline);
            producer.close();
            registryClient.close();
        }
    }

    // ---------------------------------------------------------------- drain and check

    private void drain() throws Exception {
        Map<String, Object> client = Map.of("bootstrap.servers", kafka);
        try (Admin admin = Admin.create(client)) {
            await("the pipelines drain model-stats.v1 (seed " + options.seed() + ")").atMost(Duration.ofMinutes(5))
                    .pollInterval(Duration.ofMillis(500)).until(() -> pipelineDrained(admin));
        }
        try (SinkDatabase db = SinkDatabase.attach(jdbc)) {
            await("the sinks catch up (seed " + options.seed() + ")").atMost(Duration.ofMinutes(5))
                    .pollInterval(Duration.ofMillis(500)).until(() -> unconsumed(db) == 0);
        }
    }

    private boolean pipelineDrained(Admin admin) throws Exception {
        var committed = admin.listConsumerGroupOffsets(deployment.pipelineGroup()).partitionsToOffsetAndMetadata().get();
        var partitions = admin.describeTopics(List.of("model-stats.v1")).allTopicNames().get().get("model-stats.v1").partitions()
                .stream().map(p -> new TopicPartition("model-stats.v1", p.partition())).toList();
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        partitions.forEach(p -> latest.put(p, OffsetSpec.latest()));
        var end = admin.listOffsets(latest).all().get();
        // A partition nothing was ever published to has no committed offset, and needs none.
        return partitions.stream().allMatch(p -> (committed.get(p) == null ? 0 : committed.get(p).offset()) >= end.get(p).offset());
    }

    /** Committed records of the sink's input topics after the offsets stored with the rows. */
    private long unconsumed(SinkDatabase db) throws Exception {
        return SinkFixture.unconsumed(kafka, db.offsets(deployment.sinkGroup()), List.of("model-stats.v2", "model-business-stats.v2"));
    }

    private Summary check(Publisher publisher) throws Exception {
        long[] lost = {0};
        long[] duplicated = {0};
        long[] wrong = {0};
        long checked = 0;
        List<String> examples = new ArrayList<>();
        try (SinkDatabase db = SinkDatabase.attach(jdbc)) {
            checked += compare("model_stats_daily", 6, db.stats(), publisher.model.stats(), lost, wrong, examples);
            checked += compare("model_business_stats_daily", 6, db.business(), publisher.model.business(), lost, wrong, examples);
            checked += compare("model_stats_daily_legacy", 5, db.legacy(), publisher.model.legacy(catalog), lost, wrong, examples);
        }
        // Exactly once through the pipeline: every good v1 event sent once became exactly one record on each v2 topic, every
        // v2 event sent once is there once, and nothing else is.
        for (String topic : List.of("model-stats.v2", "model-business-stats.v2")) {
            Map<Long, Integer> seen = new HashMap<>();
            TopicReader.readAll(Map.of("bootstrap.servers", kafka), topic, Duration.ofMinutes(2),
                    record -> seen.merge(record.timestamp(), 1, Integer::sum));
            Set<Long> expected = new HashSet<>(publisher.sentOnce.getOrDefault(topic, Set.of()));
            publisher.sentOnce.getOrDefault("model-stats.v1", Set.of()).stream().filter(t -> !publisher.badTimes.contains(t))
                    .forEach(expected::add);
            for (long time : expected) {
                int count = seen.getOrDefault(time, 0);
                if (count == 0) {
                    lost[0]++;
                    example(examples, topic + ": no record for the event published at " + time);
                } else if (count > 1) {
                    duplicated[0] += count - 1;
                    example(examples, topic + ": the event published at " + time + " is there " + count + " times");
                }
            }
            for (long time : seen.keySet()) {
                if (!expected.contains(time) && !publisher.resent.contains(time)) {
                    wrong[0]++;
                    example(examples, topic + ": a record nobody published, at " + time);
                }
            }
            checked += expected.size();
        }
        // The dead letters are exactly the bad records, each once, with the reason it deserves.
        Map<String, List<String>> deadLetters = new TreeMap<>();
        TopicReader.readAll(Map.of("bootstrap.servers", kafka), "model-stats.dlq", Duration.ofMinutes(2), record -> deadLetters
                .computeIfAbsent(new String(record.key(), StandardCharsets.UTF_8), k -> new ArrayList<>())
                .add(String.valueOf(DeadLetter.header(record.headers(), DeadLetter.REASON))));
        for (Map.Entry<String, String> expected : publisher.bad.entrySet()) {
            List<String> found = deadLetters.getOrDefault(expected.getKey(), List.of());
            if (found.isEmpty()) {
                lost[0]++;
                example(examples, "dead letter missing for " + expected.getKey());
            } else {
                duplicated[0] += found.size() - 1;
                if (!found.get(0).equals(expected.getValue())) {
                    wrong[0]++;
                    example(examples, "dead letter " + expected.getKey() + " has reason " + found.get(0) + ", expected " + expected.getValue());
                }
            }
        }
        for (String key : deadLetters.keySet()) {
            if (!publisher.bad.containsKey(key)) {
                wrong[0]++;
                example(examples, "unexpected dead letter " + key + " " + deadLetters.get(key));
            }
        }
        checked += publisher.bad.size();
        examples.addAll(log);
        return new Summary(options.seed(), publisher.events.get(), publisher.bad.size(), new EnumMap<>(injected), checked, lost[0],
                duplicated[0], wrong[0], examples);
    }

    private static long compare(String table, int identity, List<String> actual, List<String> expected, long[] lost, long[] wrong,
            List<String> examples) {
        Map<String, String> actualByKey = byKey(actual, identity);
        Map<String, String> expectedByKey = byKey(expected, identity);
        for (Map.Entry<String, String> row : expectedByKey.entrySet()) {
            String found = actualByKey.get(row.getKey());
            if (found == null) {
                lost[0]++;
                example(examples, table + ": missing " + row.getKey() + "|" + row.getValue());
            } else if (!found.equals(row.getValue())) {
                wrong[0]++;
                example(examples, table + ": " + row.getKey() + " holds " + found + ", expected " + row.getValue());
            }
        }
        for (String key : actualByKey.keySet()) {
            if (!expectedByKey.containsKey(key)) {
                wrong[0]++;
                example(examples, table + ": a row nobody published: " + key + "|" + actualByKey.get(key));
            }
        }
        return expected.size();
    }

    /** Rows "k1|...|kn|v..." split into their first {@code identity} columns and the rest. */
    private static Map<String, String> byKey(List<String> rows, int identity) {
        Map<String, String> map = new HashMap<>();
        for (String row : rows) {
            String[] cells = row.split("\\|", -1);
            map.put(String.join("|", List.of(cells).subList(0, identity)), String.join("|", List.of(cells).subList(identity, cells.length)));
        }
        return map;
    }

    private static void example(List<String> examples, String text) {
        if (examples.size() < 20) {
            examples.add(text);
        }
    }

    /** The last lines of a log, for a failure message. */
    static String tail(Path file) {
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(Files.newInputStream(file), StandardCharsets.UTF_8))) {
            List<String> lines = reader.lines().toList();
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}

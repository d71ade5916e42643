package statbridge.sink.bench;

import java.io.File;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import statbridge.testing.KafkaBroker;
import statbridge.testing.PostgresServer;

/**
 * The sink's peer in its benchmark: the Debezium JDBC sink connector on Kafka Connect's standalone
 * worker, a process of its own (its jars gathered by {@code bench/debezium-peer}), draining the same
 * events as JSON with schemas (Connect's {@code JsonConverter}; the Confluent Avro converter is not
 * on Maven Central) into two tables shaped like the new ones, upserting by the key from the record
 * value, at-least-once.
 */
final class DebeziumPeer {

    static final Path CONNECT = Path.of("..", "bench", "debezium-peer", "target", "connect");
    static final String STATS = "peer_stats";
    static final String BUSINESS = "peer_business";

    private static final String KEY = "model_name,model_version,stat_date,slice_key,metric_type,metric_key";
    private static final String KEY_FIELDS = """
            {"field":"model_name","type":"string","optional":false},{"field":"model_version","type":"string","optional":false},\
            {"field":"stat_date","type":"int32","name":"org.apache.kafka.connect.data.Date","version":1,"optional":false},\
            {"field":"slice_key","type":"string","optional":false},{"field":"metric_type","type":"string","optional":false},\
            {"field":"metric_key","type":"string","optional":false}""";
    private static final String STATS_SCHEMA = "{\"type\":\"struct\",\"name\":\"ModelStat\",\"optional\":false,\"fields\":[" + KEY_FIELDS
            + ",{\"field\":\"metric_value\",\"type\":\"double\",\"optional\":false}]}";
    private static final String BUSINESS_SCHEMA = "{\"type\":\"struct\",\"name\":\"BusinessStat\",\"optional\":false,\"fields\":["
            + KEY_FIELDS + ",{\"field\":\"business_metric_value\",\"type\":\"double\",\"optional\":true}]}";

    /** One drain: rows it wrote, its time from the first row to the last, and CPU seconds by part. */
    record Run(String name, long rows, double seconds, Cpu.Seconds cpu) {
        double perSecond(long count) {
            return count / seconds;
        }
    }

    private DebeziumPeer() {
    }

    /** The benchmark's events ({@link SinkThroughputBenchmark#event}) as Connect JSON, to {@link #STATS} and {@link #BUSINESS}. */
    static void produce(KafkaBroker kafka, int events) {
        kafka.createTopics(4, STATS, BUSINESS);
        Map<String, Object> config = kafka.producerConfig();
        config.put(ProducerConfig.LINGER_MS_CONFIG, 20);
        config.put(ProducerConfig.BATCH_SIZE_CONFIG, 262_144);
        config.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        // A retried batch is a duplicate at worst, which the upsert absorbs; one in flight keeps the order.
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false);
        config.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
        config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        java.util.concurrent.atomic.AtomicReference<Exception> failed = new java.util.concurrent.atomic.AtomicReference<>();
        org.apache.kafka.clients.producer.Callback check = (metadata, e) -> {
            if (e != null) {
                failed.compareAndSet(null, e);
            }
        };
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(config)) {
            for (int i = 0; i < events / 2; i++) {
                SinkThroughputBenchmark.Event e = SinkThroughputBenchmark.event(i);
                String key = e.model() + "/v1/" + e.day() + "/" + e.slice();
                String fields = "\"model_name\":\"" + e.model() + "\",\"model_version\":\"v1\",\"stat_date\":" + e.day().toEpochDay()
                        + ",\"slice_key\":\"" + e.slice() + "\",\"metric_type\":\"" + e.type() + "\",\"metric_key\":\"" + e.metric() + "\"";
                producer.send(new ProducerRecord<>(STATS, null, e.at(), key,
                        "{\"schema\":" + STATS_SCHEMA + ",\"payload\":{" + fields + ",\"metric_value\":" + e.value() + "}}"), check);
                producer.send(new ProducerRecord<>(BUSINESS, null, e.at(), key,
                        "{\"schema\":" + BUSINESS_SCHEMA + ",\"payload\":{" + fields + ",\"business_metric_value\":"
                                + (e.business() == null ? "null" : e.business().toString()) + "}}"), check);
            }
            producer.flush();
        }
        if (failed.get() != null) {
            throw new IllegalStateException("could not publish the peer's events: " + failed.get(), failed.get());
        }
    }

    /**
     * Drains {@link #STATS} and {@link #BUSINESS} into a new database with Connect standalone and
     * the connector set as {@code connector} (over the upsert basics) and the worker as {@code worker}.
     */
    static Run drain(KafkaBroker kafka, PostgresServer postgres, String name, long expectedRows, Map<String, String> worker,
            Map<String, String> connector, String urlParameters) throws Exception {
        if (!Files.isDirectory(CONNECT)) {
            throw new IllegalStateException(CONNECT.toAbsolutePath().normalize() + " is missing: run the benchmark with -Pbench from the "
                    + "project's root (the bench profile builds bench/debezium-peer), e.g. mvn -B -Pbench -pl sink -am verify");
        }
        String jdbc = postgres.createDatabase("peer_" + name);
        try (Connection db = DriverManager.getConnection(jdbc); Statement ddl = db.createStatement()) {
            String key = "model_name text NOT NULL, model_version text NOT NULL, stat_date date NOT NULL, slice_key text NOT NULL, "
                    + "metric_type text NOT NULL, metric_key text NOT NULL, ";
            ddl.execute("CREATE TABLE " + STATS + " (" + key + "metric_value double precision NOT NULL, PRIMARY KEY (" + KEY + "))");
            ddl.execute("CREATE TABLE " + BUSINESS + " (" + key + "business_metric_value double precision, PRIMARY KEY (" + KEY + "))");
        }
        Path dir = Files.createTempDirectory("peer-" + name);
        Map<String, String> workerProperties = new LinkedHashMap<>();
        workerProperties.put("bootstrap.servers", kafka.bootstrapServers());
        workerProperties.put("key.converter", "org.apache.kafka.connect.storage.StringConverter");
        workerProperties.put("value.converter", "org.apache.kafka.connect.json.JsonConverter");
        workerProperties.put("value.converter.schemas.enable", "true");
        workerProperties.put("offset.storage.file.filename", dir.resolve("offsets").toString());
        workerProperties.put("listeners", "http://127.0.0.1:0");
        workerProperties.putAll(worker);
        Map<String, String> connectorProperties = new LinkedHashMap<>();
        connectorProperties.put("name", "peer-" + name);
        connectorProperties.put("connector.class", "io.debezium.connector.jdbc.JdbcSinkConnector");
        connectorProperties.put("topics", STATS + "," + BUSINESS);
        connectorProperties.put("connection.url", jdbc.substring(0, jdbc.indexOf('?')) + urlParameters);
        connectorProperties.put("connection.username", "postgres");
        connectorProperties.put("connection.password", "postgres");
        connectorProperties.put("insert.mode", "upsert");
        connectorProperties.put("primary.key.mode", "record_value");
        connectorProperties.put("primary.key.fields", KEY);
        connectorProperties.put("schema.evolution", "none");
        connectorProperties.putAll(connector);
        Path workerFile = write(dir.resolve("worker.properties"), workerProperties);
        Path connectorFile = write(dir.resolve("connector.properties"), connectorProperties);
        File log = Path.of("target", "bench-peer-" + name + ".log").toFile();
        Process connect = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g",
                "-cp", CONNECT.toAbsolutePath().normalize() + File.separator + "*", "org.apache.kafka.connect.cli.ConnectStandalone",
                workerFile.toString(), connectorFile.toString()).redirectErrorStream(true).redirectOutput(log).start();
        try (Connection db = DriverManager.getConnection(jdbc)) {
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(20);
            while (rows(db) == 0) {
                check(connect, deadline, log);
                Thread.sleep(20);
            }
            long start = System.nanoTime();
            Cpu.Snapshot before = Cpu.snapshot(connect.pid());
            long rows;
            // Counting a table of up to a million rows costs PostgreSQL CPU the peer would be charged for: once a second.
            while ((rows = rows(db)) < expectedRows) {
                check(connect, deadline, log);
                Thread.sleep(1000);
            }
            Cpu.Seconds cpu = Cpu.since(before, connect.pid());
            return new Run(name, rows, (System.nanoTime() - start) / 1e9, cpu);
        } finally {
            connect.destroy();
            if (!connect.waitFor(60, TimeUnit.SECONDS)) {
                connect.destroyForcibly();
            }
        }
    }

    /** The connector's version, from its jar's name. */
    static String version() throws IOException {
        try (var jars = Files.list(CONNECT)) {
            return jars.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("debezium-connector-jdbc-")).findFirst()
                    .map(n -> n.substring("debezium-connector-jdbc-".length(), n.length() - ".jar".length())).orElse("?");
        }
    }

    private static void check(Process connect, long deadline, File log) {
        if (!connect.isAlive() || System.nanoTime() > deadline) {
            throw new IllegalStateException("the Debezium peer " + (connect.isAlive() ? "did not finish" : "stopped") + "; see " + log);
        }
    }

    private static long rows(Connection db) throws Exception {
        try (Statement count = db.createStatement();
                ResultSet rows = count.executeQuery("SELECT (SELECT count(*) FROM " + STATS + ") + (SELECT count(*) FROM " + BUSINESS + ")")) {
            rows.next();
            return rows.getLong(1);
        }
    }

    private static Path write(Path file, Map<String, String> settings) throws IOException {
        Properties properties = new Properties();
        properties.putAll(settings);
        try (Writer writer = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            properties.store(writer, null);
        }
        return file;
    }
}

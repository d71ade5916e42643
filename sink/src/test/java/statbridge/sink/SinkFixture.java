package statbridge.sink;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.Writer;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import statbridge.catalog.CatalogEntry;
import statbridge.catalog.CatalogTopic;
import statbridge.config.Configuration;
import statbridge.contract.StatKey;
import statbridge.registry.SchemaRegistryClient;
import statbridge.registry.SchemaRegistryClients;
import statbridge.registry.server.SchemaRegistryServer;
import statbridge.serde.AvroSerializer;
import statbridge.testing.KafkaBroker;
import statbridge.testing.PostgresServer;
import statbridge.topics.TopicReader;
import statbridge.v2.BusinessStat;
import statbridge.v2.ModelStat;

/** One isolated sink setup: its own topics, consumer group and database. */
public final class SinkFixture implements AutoCloseable {

    private static final AtomicInteger COUNTER = new AtomicInteger();

    public final KafkaBroker kafka;
    public final SchemaRegistryClient registry;
    public final SinkDatabase db;
    public final String prefix;
    public final Map<String, String> settings = new HashMap<>();
    private final AvroSerializer<Object> serializer;

    public SinkFixture(KafkaBroker kafka, SchemaRegistryServer registryServer, PostgresServer postgres, String name)
            throws SQLException {
        this.kafka = kafka;
        this.prefix = name + "-" + COUNTER.incrementAndGet();
        this.registry = SchemaRegistryClients.create(Map.of("schema.registry.url", registryServer.url()));
        this.serializer = new AvroSerializer<>(registry, false, Map.of());
        this.db = SinkDatabase.create(postgres, name.replace('-', '_'));
        settings.put("kafka.bootstrap.servers", kafka.bootstrapServers());
        settings.put("schema.registry.url", registryServer.url());
        settings.put("jdbc.url", db.jdbcUrl);
        settings.put("topic.v2", prefix + ".model-stats.v2");
        settings.put("topic.business.v2", prefix + ".model-business-stats.v2");
        settings.put("topic.dlq", prefix + ".model-stats.dlq");
        settings.put("topic.catalog", prefix + ".metric-catalog");
        settings.put("sink.group.id", prefix + "-sink");
        settings.put("sink.batch.max.wait.ms", "100");
        settings.put("sink.consumer.session.timeout.ms", "6000");
        settings.put("sink.consumer.heartbeat.interval.ms", "1000");
        settings.put("sink.retry.max.backoff.ms", "2000");
        kafka.createTopics(4, topic("topic.v2"), topic("topic.business.v2"), topic("topic.dlq"));
        kafka.createTopics(1, Map.of("cleanup.policy", "compact"), topic("topic.catalog"));
    }

    public String topic(String key) {
        return settings.get(key);
    }

    public SinkConfig config() {
        return SinkConfig.from(configuration());
    }

    /** The settings as a configuration, for what runs beside the sink. */
    public Configuration configuration() {
        return Configuration.load(null, Map.of(), settings);
    }

    public Path writeConfig() throws IOException {
        Path file = Files.createTempFile("sink-", ".properties");
        Properties properties = new Properties();
        properties.putAll(settings);
        try (Writer writer = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            properties.store(writer, "sink test");
        }
        return file;
    }

    public CatalogTopic catalog() {
        return new CatalogTopic(Map.of("bootstrap.servers", kafka.bootstrapServers()), topic("topic.catalog"));
    }

    public KafkaProducer<byte[], byte[]> producer() {
        return producer(Map.of());
    }

    /** A producer of raw bytes with extra settings (e.g. batching for bulk loads). */
    public KafkaProducer<byte[], byte[]> producer(Map<String, Object> extra) {
        Map<String, Object> config = kafka.producerConfig();
        config.putAll(extra);
        config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        return new KafkaProducer<>(config);
    }

    public void send(KafkaProducer<byte[], byte[]> producer, ModelStat stat, long timestamp) {
        String topic = topic("topic.v2");
        producer.send(new ProducerRecord<>(topic, null, timestamp, StatKey.of(stat).render().getBytes(StandardCharsets.UTF_8),
                serializer.serialize(topic, stat)));
    }

    public void send(KafkaProducer<byte[], byte[]> producer, BusinessStat stat, long timestamp) {
        String topic = topic("topic.business.v2");
        producer.send(new ProducerRecord<>(topic, null, timestamp, StatKey.of(stat).render().getBytes(StandardCharsets.UTF_8),
                serializer.serialize(topic, stat)));
    }

    public void sendRaw(KafkaProducer<byte[], byte[]> producer, String topicKey, byte[] key, byte[] value) {
        producer.send(new ProducerRecord<>(topic(topicKey), key, value));
    }

    /** End offsets of the two input topics. */
    public Map<String, Long> endOffsets() {
        Map<String, Object> config = new HashMap<>(Map.of("bootstrap.servers", kafka.bootstrapServers(),
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName(),
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"));
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config)) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (String topic : List.of(topic("topic.v2"), topic("topic.business.v2"))) {
                consumer.partitionsFor(topic).forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
            }
            Map<String, Long> end = new java.util.TreeMap<>();
            consumer.endOffsets(partitions).forEach((p, o) -> {
                if (o > 0) {
                    end.put(p.topic() + "/" + p.partition(), o);
                }
            });
            return end;
        }
    }

    /**
     * Committed records of the two input topics after the offsets stored with the rows. Zero means
     * the sink has written everything there is (transaction markers occupy offsets but are no records).
     */
    public long unconsumed() throws SQLException {
        return unconsumed(kafka.bootstrapServers(), db.offsets(settings.get("sink.group.id")),
                List.of(topic("topic.v2"), topic("topic.business.v2")));
    }

    /**
     * Committed records of {@code topics} after the offsets in {@code stored} ("topic/partition" to
     * the next offset), read with read_committed: zero means a sink with those offsets is caught up.
     */
    public static long unconsumed(String bootstrapServers, Map<String, Long> stored, List<String> topics) {
        Map<String, Object> config = new HashMap<>(Map.of("bootstrap.servers", bootstrapServers,
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName(),
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"));
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config)) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (String topic : topics) {
                consumer.partitionsFor(topic).forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
            }
            consumer.assign(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            for (TopicPartition partition : partitions) {
                consumer.seek(partition, stored.getOrDefault(partition.topic() + "/" + partition.partition(), 0L));
            }
            long[] read = {0};
            await("read to the end offsets " + end).atMost(Duration.ofSeconds(30)).pollInterval(Duration.ZERO).until(() -> {
                read[0] += consumer.poll(Duration.ofMillis(100)).count();
                return partitions.stream().allMatch(p -> consumer.position(p) >= end.get(p));
            });
            return read[0];
        }
    }

    /** Waits until the sink has written every committed record of both input topics. */
    public void awaitCaughtUp(Duration timeout) throws Exception {
        await("the sink catches up with both input topics").atMost(timeout).pollInterval(Duration.ofMillis(200))
                .until(() -> unconsumed() == 0);
    }

    public List<ConsumerRecord<byte[], byte[]>> deadLetters() {
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        TopicReader.readAll(Map.of("bootstrap.servers", kafka.bootstrapServers()), topic("topic.dlq"), Duration.ofSeconds(30),
                records::add);
        return records;
    }

    public void seedCatalog(List<CatalogEntry> entries) {
        catalog().add(entries);
    }

    /** A double as PostgreSQL prints it (for the values the tests use). */
    public static String pg(Double value) {
        return value == null ? "null" : BigDecimal.valueOf(value).stripTrailingZeros().toPlainString();
    }

    @Override
    public void close() {
        db.close();
    }
}

package statbridge.pipeline;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import statbridge.catalog.CatalogEntry;
import statbridge.catalog.CatalogFile;
import statbridge.catalog.CatalogTopic;
import statbridge.config.Configuration;
import statbridge.registry.SchemaRegistryClient;
import statbridge.registry.SchemaRegistryClients;
import statbridge.registry.server.SchemaRegistryServer;
import statbridge.serde.AvroSerializer;
import statbridge.testing.KafkaBroker;
import statbridge.topics.TopicReader;

/** One isolated pipeline setup per test: its own topics, application id and state directory. */
public final class PipelineFixture {

    private static final AtomicInteger COUNTER = new AtomicInteger();

    public final KafkaBroker kafka;
    public final SchemaRegistryServer registryServer;
    public final SchemaRegistryClient registry;
    public final String prefix;
    public final Map<String, String> settings = new HashMap<>();
    public final Path stateDir;

    public PipelineFixture(KafkaBroker kafka, SchemaRegistryServer registryServer, String name) throws IOException {
        this.kafka = kafka;
        this.registryServer = registryServer;
        this.prefix = name + "-" + COUNTER.incrementAndGet();
        this.registry = SchemaRegistryClients.create(Map.of("schema.registry.url", registryServer.url()));
        this.stateDir = Files.createTempDirectory("statbridge-streams-");
        settings.put("kafka.bootstrap.servers", kafka.bootstrapServers());
        settings.put("schema.registry.url", registryServer.url());
        settings.put("topic.v1", prefix + ".model-stats.v1");
        settings.put("topic.v2", prefix + ".model-stats.v2");
        settings.put("topic.business.v2", prefix + ".model-business-stats.v2");
        settings.put("topic.dlq", prefix + ".model-stats.dlq");
        settings.put("topic.catalog", prefix + ".metric-catalog");
        settings.put("pipeline.application.id", prefix + "-pipeline");
        settings.put("pipeline.state.dir", stateDir.toString());
        settings.put("pipeline.commit.interval.ms", "100");
        settings.put("pipeline.streams.session.timeout.ms", "6000");
        settings.put("pipeline.streams.heartbeat.interval.ms", "1000");
    }

    public String topic(String key) {
        return settings.get(key);
    }

    public PipelineConfig config() {
        return PipelineConfig.from(Configuration.load(null, Map.of(), settings));
    }

    /** Writes the settings as a properties file, for a pipeline in another JVM. */
    public Path writeConfig() throws IOException {
        Path file = Files.createTempFile("pipeline-", ".properties");
        Properties properties = new Properties();
        properties.putAll(settings);
        try (Writer writer = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            properties.store(writer, "pipeline test");
        }
        return file;
    }

    public CatalogTopic catalog() {
        return new CatalogTopic(Map.of("bootstrap.servers", kafka.bootstrapServers()), topic("topic.catalog"));
    }

    /** Loads the seed catalog shipped in deploy/catalog. */
    public List<CatalogEntry> seed() throws IOException {
        try (var reader = Files.newBufferedReader(Path.of("../deploy/catalog/metric-catalog.csv"))) {
            return CatalogFile.read(reader, "metric-catalog.csv", CatalogEntry.Origin.SEED);
        }
    }

    /** A producer of raw bytes on the v1 topic. */
    public KafkaProducer<byte[], byte[]> rawProducer() {
        Map<String, Object> config = kafka.producerConfig();
        config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        return new KafkaProducer<>(config);
    }

    /** Wire-format bytes of a record for the v1 topic's subject. */
    public byte[] v1Bytes(Object record) {
        return new AvroSerializer<>(registry, false, Map.of()).serialize(topic("topic.v1"), record);
    }

    public void sendV1(KafkaProducer<byte[], byte[]> producer, statbridge.v1.ModelStat stat) {
        producer.send(new ProducerRecord<>(topic("topic.v1"), Stats.key(stat).getBytes(StandardCharsets.UTF_8), v1Bytes(stat)));
    }

    /** Every committed record of a topic now. */
    public List<ConsumerRecord<byte[], byte[]>> read(String topicKey) {
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        TopicReader.readAll(Map.of("bootstrap.servers", kafka.bootstrapServers()), topic(topicKey), Duration.ofSeconds(30),
                records::add);
        return records;
    }

    /**
     * Waits until the pipeline has processed everything on the v1 topic (under exactly-once its
     * group's committed offsets reach the topic's end only together with every output of what it
     * read) and {@code topicKey} holds at least {@code count} committed records; returns them all.
     * Once the input is processed nothing can be added to them, so a duplicate cannot hide.
     */
    public List<ConsumerRecord<byte[], byte[]>> awaitRecords(String topicKey, int count, Duration timeout) throws Exception {
        return await("at least " + count + " records on " + topic(topicKey) + " once the pipeline has processed " + topic("topic.v1")
                + " to its end").atMost(timeout).pollInterval(Duration.ofMillis(100))
                .until(() -> drained() ? read(topicKey) : List.<ConsumerRecord<byte[], byte[]>>of(), records -> records.size() >= count);
    }

    /** Whether the pipeline's committed offsets are the end offsets of every v1 partition that holds records. */
    private boolean drained() throws Exception {
        try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(
                Map.<String, Object>of("bootstrap.servers", kafka.bootstrapServers()))) {
            Map<org.apache.kafka.common.TopicPartition, org.apache.kafka.clients.consumer.OffsetAndMetadata> committed =
                    admin.listConsumerGroupOffsets(settings.get("pipeline.application.id"),
                            new org.apache.kafka.clients.admin.ListConsumerGroupOffsetsOptions().requireStable(true))
                            .partitionsToOffsetAndMetadata().get();
            String v1 = topic("topic.v1");
            List<org.apache.kafka.common.TopicPartition> partitions = admin.describeTopics(List.of(v1)).allTopicNames().get().get(v1)
                    .partitions().stream().map(p -> new org.apache.kafka.common.TopicPartition(v1, p.partition())).toList();
            Map<org.apache.kafka.common.TopicPartition, org.apache.kafka.clients.admin.OffsetSpec> latest = new java.util.HashMap<>();
            partitions.forEach(p -> latest.put(p, org.apache.kafka.clients.admin.OffsetSpec.latest()));
            var ends = admin.listOffsets(latest).all().get();
            for (org.apache.kafka.common.TopicPartition partition : partitions) {
                long end = ends.get(partition).offset();
                var at = committed.get(partition);
                if (end > 0 && (at == null || at.offset() < end)) {
                    return false;
                }
            }
            return true;
        }
    }

    /** Creates the topics the pipeline reads so tests can write before it starts. */
    public void createTopics() {
        kafka.createTopics(4, topic("topic.v1"), topic("topic.v2"), topic("topic.business.v2"), topic("topic.dlq"));
        kafka.createTopics(1, Map.of("cleanup.policy", "compact"), topic("topic.catalog"));
    }
}

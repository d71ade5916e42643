package statbridge.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.apache.kafka.server.common.MetadataVersion;

/**
 * A real single-node Kafka broker (KRaft, combined broker and controller), set up so that
 * transactions and {@code exactly_once_v2} work with one replica: in this JVM, or in a container of
 * its own with the same settings when the run's {@link Backend} is containers.
 */
public final class KafkaBroker implements AutoCloseable {

    private final KafkaClusterTestKit kit;
    private final Path directory;
    private final ServerContainer container;
    private final String bootstrapServers;
    private final Admin admin;

    private KafkaBroker(KafkaClusterTestKit kit, Path directory, ServerContainer container, String bootstrapServers) {
        this.kit = kit;
        this.directory = directory;
        this.container = container;
        this.bootstrapServers = bootstrapServers;
        this.admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers));
    }

    /** Formats a fresh log directory and starts the broker; returns once it serves metadata. */
    public static KafkaBroker start() throws Exception {
        if (Backend.selected() == Backend.CONTAINERS) {
            ServerContainer container = new ServerContainer("kafka", KafkaBrokerMain.class, List.of());
            container.start();
            KafkaBroker broker = new KafkaBroker(null, null, container, container.ready().get("bootstrap"));
            broker.admin.describeCluster().nodes().get(60, TimeUnit.SECONDS);
            return broker;
        }
        return startInProcess();
    }

    /** The broker in this JVM. */
    static KafkaBroker startInProcess() throws Exception {
        Path directory = Files.createTempDirectory("statbridge-kafka-");
        KafkaClusterTestKit kit = new KafkaClusterTestKit.Builder(new TestKitNodes.Builder()
                .setBaseDirectory(directory)
                .setBootstrapMetadataVersion(MetadataVersion.latestProduction())
                .setCombined(true)
                .setNumBrokerNodes(1)
                .setNumControllerNodes(1)
                .build())
                .setConfigProp("offsets.topic.replication.factor", "1")
                .setConfigProp("offsets.topic.num.partitions", "4")
                .setConfigProp("transaction.state.log.replication.factor", "1")
                .setConfigProp("transaction.state.log.min.isr", "1")
                .setConfigProp("transaction.state.log.num.partitions", "4")
                .setConfigProp("share.coordinator.state.topic.replication.factor", "1")
                .setConfigProp("share.coordinator.state.topic.min.isr", "1")
                .setConfigProp("group.initial.rebalance.delay.ms", "0")
                .setConfigProp("auto.create.topics.enable", "false")
                // Tests publish with historical record timestamps; the default 7-day retention would
                // delete those segments at the first retention check, mid-test.
                .setConfigProp("log.retention.ms", "-1")
                .build();
        kit.format();
        kit.startup();
        kit.waitForReadyBrokers();
        KafkaBroker broker = new KafkaBroker(kit, directory, null, kit.bootstrapServers());
        broker.admin.describeCluster().nodes().get(60, TimeUnit.SECONDS);
        return broker;
    }

    public String bootstrapServers() {
        return bootstrapServers;
    }

    /** An admin client on this broker, owned by the broker: do not close it. */
    public Admin admin() {
        return admin;
    }

    /** Creates topics with one replica (ignores topics that exist) and waits until they do. */
    public void createTopics(int partitions, String... names) {
        createTopics(partitions, Map.of(), names);
    }

    /** Creates topics with these topic configs, e.g. {@code cleanup.policy=compact}. */
    public void createTopics(int partitions, Map<String, String> configs, String... names) {
        List<NewTopic> topics = Stream.of(names)
                .map(name -> new NewTopic(name, partitions, (short) 1).configs(configs))
                .toList();
        try {
            admin.createTopics(topics).all().get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw new IllegalStateException("cannot create topics " + List.of(names), e.getCause());
            }
        } catch (Exception e) {
            throw new IllegalStateException("cannot create topics " + List.of(names), e);
        }
    }

    /** Producer settings for this broker: idempotent, acks=all. */
    public Map<String, Object> producerConfig() {
        Map<String, Object> config = new HashMap<>();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        return config;
    }

    /** Consumer settings for this broker: read_committed, from the earliest offset, no auto-commit. */
    public Map<String, Object> consumerConfig(String groupId) {
        Map<String, Object> config = new HashMap<>();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        config.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        return config;
    }

    @Override
    public void close() throws Exception {
        admin.close();
        if (container != null) {
            container.close();
            return;
        }
        kit.close();
        deleteRecursively(directory);
    }

    static void deleteRecursively(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}

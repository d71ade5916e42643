package statbridge.catalog;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import statbridge.topics.TopicReader;

/**
 * Reads and changes the catalog where it lives: the compacted {@code metric-catalog} topic
 * (keyed by metric name, a null value removes). Every change is checked against the catalog as
 * it stands, so a change that would break bijectivity never reaches the topic, and every write
 * waits for the broker's acknowledgement.
 */
public final class CatalogTopic {

    private static final Logger LOG = LoggerFactory.getLogger(CatalogTopic.class);
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private final Map<String, Object> clientConfig;
    private final String topic;

    public CatalogTopic(Map<String, Object> clientConfig, String topic) {
        this.clientConfig = Map.copyOf(clientConfig);
        this.topic = topic;
    }

    /** The catalog as the topic holds it now. */
    public MetricCatalog read() {
        MetricCatalog catalog = MetricCatalog.empty();
        for (CatalogEntry entry : latest().values()) {
            try {
                catalog = catalog.with(entry);
            } catch (CatalogConflictException e) {
                LOG.warn("the catalog topic holds a conflicting entry, skipped: {}", e.getMessage());
            }
        }
        return catalog;
    }

    /** The latest entry of every name as the topic holds it now (what compaction keeps, and what the pipeline uses). */
    public Map<String, CatalogEntry> latest() {
        Map<String, CatalogEntry> latest = new LinkedHashMap<>();
        TopicReader.readAll(clientConfig, topic, TIMEOUT, record -> {
            if (record.key() == null) {
                return;
            }
            String name = new String(record.key(), StandardCharsets.UTF_8);
            if (record.value() == null) {
                latest.remove(name);
                return;
            }
            try {
                latest.put(name, CatalogEntryCodec.decode(record.value()));
            } catch (IllegalArgumentException e) {
                LOG.warn("skipping unreadable catalog record for '{}' at offset {}: {}", name, record.offset(), e.getMessage());
            }
        });
        return latest;
    }

    /**
     * Adds entries that are not there yet. All or nothing: if any entry conflicts with the
     * catalog (or with another entry of the same call), nothing is written.
     *
     * @return the entries actually added (those already present are skipped)
     * @throws CatalogConflictException naming every conflict
     */
    public List<CatalogEntry> add(List<CatalogEntry> entries) {
        List<CatalogEntry> added = read().missing(entries);
        publish(added);
        return added;
    }

    /**
     * Writes entries as they are, without checking them against the topic (to restore what the
     * topic lost from the database, the durable copy), and waits until the broker has them.
     *
     * @throws org.apache.kafka.common.KafkaException when the broker does not acknowledge every entry
     */
    public void publish(List<CatalogEntry> entries) {
        Map<String, Object> config = new HashMap<>(clientConfig);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        config.putIfAbsent(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 60_000);
        config.putIfAbsent(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 30_000);
        List<Future<RecordMetadata>> sends = new ArrayList<>();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(config)) {
            for (CatalogEntry entry : entries) {
                sends.add(producer.send(new ProducerRecord<>(topic, entry.metricName(), CatalogEntryCodec.encode(entry))));
            }
            producer.flush();
            for (int i = 0; i < sends.size(); i++) {
                try {
                    sends.get(i).get();
                } catch (ExecutionException e) {
                    throw new KafkaException("the broker did not take catalog entry '" + entries.get(i).metricName() + "' on "
                            + topic + ": " + e.getCause().getMessage() + (i == 0 ? "; nothing was added"
                            : "; " + i + " entr" + (i == 1 ? "y was" : "ies were") + " added before it"), e.getCause());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new KafkaException("interrupted while waiting for the broker", e);
                }
            }
        }
    }

    /** Whether the topic is compacted ({@code cleanup.policy} includes {@code compact}), as a catalog must be. */
    public boolean isCompacted() {
        Map<String, Object> adminConfig = new HashMap<>(clientConfig);
        adminConfig.keySet().removeIf(key -> !AdminClientConfig.configNames().contains(key));
        try (Admin admin = Admin.create(adminConfig)) {
            ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
            Config config = admin.describeConfigs(List.of(resource)).all().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).get(resource);
            ConfigEntry policy = config.get("cleanup.policy");
            return policy != null && policy.value() != null && policy.value().contains("compact");
        } catch (ExecutionException | TimeoutException e) {
            throw new KafkaException("cannot read the configuration of the catalog topic '" + topic + "': " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaException("interrupted", e);
        }
    }
}

package statbridge.catalog;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import statbridge.topics.TopicReader;

/**
 * Reads and changes the catalog where it lives: the compacted {@code metric-catalog} topic
 * (keyed by metric name, a null value removes). Every change is checked against the catalog as
 * it stands, so a change that would break bijectivity never reaches the topic.
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
        MetricCatalog catalog = MetricCatalog.empty();
        for (CatalogEntry entry : latest.values()) {
            try {
                catalog = catalog.with(entry);
            } catch (CatalogConflictException e) {
                LOG.warn("the catalog topic holds a conflicting entry, skipped: {}", e.getMessage());
            }
        }
        return catalog;
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
        Map<String, Object> config = new HashMap<>(clientConfig);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(config)) {
            for (CatalogEntry entry : added) {
                producer.send(new ProducerRecord<>(topic, entry.metricName(), CatalogEntryCodec.encode(entry)));
            }
            producer.flush();
        }
        return added;
    }
}

package statbridge.sink;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import statbridge.catalog.CatalogConflictException;
import statbridge.catalog.CatalogEntry;
import statbridge.catalog.CatalogEntryCodec;
import statbridge.catalog.MetricCatalog;
import statbridge.sink.catalog.CatalogDivergenceException;
import statbridge.sink.catalog.CatalogTable;
import statbridge.topics.TopicReader;

/**
 * The sink's copy of the metric catalog: follows the compacted {@code metric-catalog} topic with
 * a consumer of its own (no group), keeps the catalog in memory for checking events, and hands
 * out the entries the database does not have yet so a batch can add them in its transaction.
 *
 * <p>A v2 event whose {@code (metric_type, metric_key)} is unknown may simply be ahead of the
 * catalog record the pipeline wrote with it in the same transaction; {@link #catchUp()} reads the
 * topic to its end before such an event is called unmapped.
 */
final class CatalogMirror implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(CatalogMirror.class);

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final String topic;
    private MetricCatalog catalog = MetricCatalog.empty();
    private final Map<String, CatalogEntry> notInDatabase = new HashMap<>();
    private List<TopicPartition> partitions = List.of();

    public CatalogMirror(Map<String, Object> clientConfig, String topic) {
        this.consumer = new KafkaConsumer<>(TopicReader.readerConfig(clientConfig));
        this.topic = topic;
    }

    /** Reads the whole topic; call once before use. */
    public void start() {
        List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(60));
        if (infos == null || infos.isEmpty()) {
            throw new IllegalStateException("the catalog topic '" + topic + "' does not exist; start the pipeline "
                    + "(which creates it) or create it (compacted)");
        }
        partitions = infos.stream().map(p -> new TopicPartition(topic, p.partition())).toList();
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        catchUp();
    }

    /** Applies whatever the topic has now, without waiting. */
    public void poll() {
        apply(consumer.poll(Duration.ZERO));
    }

    /** Reads the topic up to its current end. */
    public void catchUp() {
        Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(30));
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("timed out reading the catalog topic '" + topic + "'");
            }
            apply(consumer.poll(Duration.ofMillis(100)));
        }
    }

    private void apply(Iterable<ConsumerRecord<byte[], byte[]>> records) {
        for (ConsumerRecord<byte[], byte[]> record : records) {
            if (record.key() == null || record.value() == null) {
                continue;
            }
            CatalogEntry entry;
            try {
                entry = CatalogEntryCodec.decode(record.value());
            } catch (IllegalArgumentException e) {
                LOG.warn("ignoring an unreadable catalog record for '{}': {}",
                        new String(record.key(), StandardCharsets.UTF_8), e.getMessage());
                continue;
            }
            if (catalog.byName(entry.metricName()).map(known -> known.typeKey().equals(entry.typeKey())).orElse(false)) {
                continue;
            }
            try {
                catalog = catalog.with(entry);
            } catch (CatalogConflictException e) {
                // The pipeline's store keeps the latest record of a name: from here on the two would map it differently.
                throw new CatalogDivergenceException("the catalog topic '" + topic + "' changed a mapping at offset "
                        + record.offset() + ": " + e.getMessage() + ". Mappings never change; restore the topic from "
                        + "ml_monitoring.metric_catalog, then restart the sink");
            }
            notInDatabase.put(entry.metricName(), entry);
        }
    }

    public MetricCatalog catalog() {
        return catalog;
    }

    /** Entries the database may not have yet. */
    public List<CatalogEntry> pendingForDatabase() {
        return new ArrayList<>(notInDatabase.values());
    }

    /** Copies the entries the database does not have yet into {@code ml_monitoring.metric_catalog}. */
    public void copyPendingTo(DataSource dataSource) throws SQLException {
        List<CatalogEntry> pending = pendingForDatabase();
        if (pending.isEmpty()) {
            return;
        }
        try (Connection connection = dataSource.getConnection()) {
            CatalogTable.insert(connection, pending);
            connection.commit();
        }
        persisted(pending);
    }

    /** The database now has these entries. */
    public void persisted(List<CatalogEntry> entries) {
        entries.forEach(e -> notInDatabase.remove(e.metricName()));
    }

    @Override
    public void close() {
        consumer.close();
    }
}

package statbridge.sink;

import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The Kafka consumer settings of the sink: what {@code kafka.*} and {@code sink.consumer.*} give,
 * with what exactly-once into PostgreSQL requires on top (no auto-commit, read_committed, no
 * offset reset: positions come from the database).
 */
final class ConsumerSettings {

    /**
     * The fetch size per partition unless {@code sink.consumer.max.partition.fetch.bytes} says
     * otherwise. Small slices make each batch span several partitions, so the write lanes share it;
     * with 1 MB slices a batch of a lagging sink mostly holds one partition, and one lane does all
     * the work.
     */
    static final int MAX_PARTITION_FETCH_BYTES = 65_536;

    private ConsumerSettings() {
    }

    static Map<String, Object> of(SinkConfig config) {
        Map<String, Object> consumer = new HashMap<>(config.consumer());
        consumer.put(ConsumerConfig.GROUP_ID_CONFIG, config.groupId());
        consumer.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        consumer.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        // Positions come from PostgreSQL; one that falls below the log start must stop, never jump.
        consumer.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none");
        consumer.putIfAbsent(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, config.batchMaxRecords());
        consumer.putIfAbsent(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, MAX_PARTITION_FETCH_BYTES);
        consumer.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        consumer.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        return consumer;
    }
}

package statbridge.topics;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads a whole topic, from the beginning to the end offsets it has when reading starts, without
 * a consumer group (nothing is committed), committed records only.
 */
public final class TopicReader {

    private static final Duration METADATA_WAIT = Duration.ofSeconds(10);

    private TopicReader() {
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** Settings of a consumer that reads bytes, committed records only, outside any group and committing nothing. */
    public static Map<String, Object> readerConfig(Map<String, Object> clientConfig) {
        Map<String, Object> config = new HashMap<>(clientConfig);
        config.remove(ConsumerConfig.GROUP_ID_CONFIG);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        return config;
    }

    /**
     * Hands every record to {@code sink}, partition by partition in offset order.
     *
     * @return how many records were read
     */
    public static long readAll(Map<String, Object> clientConfig, String topic, Duration timeout,
            Consumer<ConsumerRecord<byte[], byte[]>> sink) {
        return readSince(clientConfig, topic, null, timeout, sink);
    }

    /**
     * Hands every record with a timestamp at or after {@code since} (every record when null) to
     * {@code sink}, partition by partition in offset order, seeking by time, so that the older part
     * of a long topic is not read.
     *
     * @return how many records were read
     */
    public static long readSince(Map<String, Object> clientConfig, String topic, java.time.Instant since, Duration timeout,
            Consumer<ConsumerRecord<byte[], byte[]>> sink) {
        long count = 0;
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(readerConfig(clientConfig))) {
            List<PartitionInfo> partitions = consumer.partitionsFor(topic, timeout);
            long metadataDeadline = System.nanoTime() + METADATA_WAIT.toNanos();
            while ((partitions == null || partitions.isEmpty()) && System.nanoTime() < metadataDeadline) {
                // A topic created a moment ago may not be in the metadata yet.
                sleep(100);
                partitions = consumer.partitionsFor(topic, timeout);
            }
            if (partitions == null || partitions.isEmpty()) {
                throw new IllegalStateException("topic '" + topic + "' does not exist");
            }
            List<TopicPartition> assigned = partitions.stream().map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(assigned);
            Map<TopicPartition, Long> end = consumer.endOffsets(assigned, timeout);
            if (since == null) {
                consumer.seekToBeginning(assigned);
            } else {
                Map<TopicPartition, Long> at = new HashMap<>();
                assigned.forEach(p -> at.put(p, since.toEpochMilli()));
                consumer.offsetsForTimes(at, timeout).forEach((partition, found) ->
                        consumer.seek(partition, found == null ? end.get(partition) : found.offset()));
            }
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!reachedEnd(consumer, end)) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("timed out after " + timeout + " reading topic '" + topic + "'");
                }
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    if (record.offset() < end.get(new TopicPartition(record.topic(), record.partition()))) {
                        sink.accept(record);
                        count++;
                    }
                }
            }
        }
        return count;
    }

    private static boolean reachedEnd(KafkaConsumer<byte[], byte[]> consumer, Map<TopicPartition, Long> end) {
        for (Map.Entry<TopicPartition, Long> partition : end.entrySet()) {
            if (consumer.position(partition.getKey()) < partition.getValue()) {
                return false;
            }
        }
        return true;
    }
}

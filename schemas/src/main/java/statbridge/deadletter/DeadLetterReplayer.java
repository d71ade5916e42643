package statbridge.deadletter;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import java.nio.charset.StandardCharsets;
import statbridge.topics.TopicReader;

/**
 * Re-drives dead-lettered records: each selected record goes back to the topic it came from
 * (its {@code statbridge.source.topic} header) with its original key, value, timestamp and
 * headers, plus {@code statbridge.replay.of} naming the dead letter, so a fixed catalog or a
 * fixed bug lets it through this time.
 */
public final class DeadLetterReplayer {

    /**
     * Which dead letters to replay; null fields select everything.
     *
     * @param reason only this reason code
     * @param partition only this DLQ partition
     * @param fromOffset only DLQ offsets at or above this
     * @param toOffset only DLQ offsets at or below this
     */
    public record Selection(String reason, Integer partition, Long fromOffset, Long toOffset) {

        public static Selection all() {
            return new Selection(null, null, null, null);
        }

        public static Selection reason(String reason) {
            return new Selection(reason, null, null, null);
        }

        boolean matches(ConsumerRecord<byte[], byte[]> record) {
            return (reason == null || reason.equals(DeadLetter.header(record.headers(), DeadLetter.REASON)))
                    && (partition == null || partition == record.partition())
                    && (fromOffset == null || record.offset() >= fromOffset)
                    && (toOffset == null || record.offset() <= toOffset);
        }
    }

    /** What a replay did: records scanned, replayed by reason, and those that could not be (no source topic). */
    public record Summary(long scanned, Map<String, Long> replayedByReason, long unreplayable) {
        public long replayed() {
            return replayedByReason.values().stream().mapToLong(Long::longValue).sum();
        }
    }

    private DeadLetterReplayer() {
    }

    /**
     * Replays the selected dead letters (or, with {@code dryRun}, only counts them).
     */
    public static Summary replay(Map<String, Object> clientConfig, String dlqTopic, Selection selection, boolean dryRun) {
        List<ConsumerRecord<byte[], byte[]>> selected = new ArrayList<>();
        long scanned = TopicReader.readAll(clientConfig, dlqTopic, Duration.ofMinutes(5), record -> {
            if (selection.matches(record)) {
                selected.add(record);
            }
        });
        Map<String, Long> byReason = new TreeMap<>();
        long unreplayable = 0;
        Map<String, Object> config = new HashMap<>(clientConfig);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        List<Future<RecordMetadata>> sends = new ArrayList<>();
        try (KafkaProducer<byte[], byte[]> producer = dryRun ? null : new KafkaProducer<>(config)) {
            for (ConsumerRecord<byte[], byte[]> record : selected) {
                String source = DeadLetter.header(record.headers(), DeadLetter.SOURCE_TOPIC);
                if (source == null || source.isBlank()) {
                    unreplayable++;
                    continue;
                }
                String reason = String.valueOf(DeadLetter.header(record.headers(), DeadLetter.REASON));
                byReason.merge(reason, 1L, Long::sum);
                if (producer != null) {
                    RecordHeaders headers = new RecordHeaders();
                    for (Header header : record.headers()) {
                        if (!header.key().startsWith("statbridge.error.") && !header.key().startsWith("statbridge.source.")
                                && !header.key().equals(DeadLetter.REPLAY_OF)) {
                            headers.add(header);
                        }
                    }
                    headers.add(DeadLetter.REPLAY_OF, (dlqTopic + "/" + record.partition() + "/" + record.offset())
                            .getBytes(StandardCharsets.UTF_8));
                    sends.add(producer.send(new ProducerRecord<>(source, null, record.timestamp(), record.key(),
                            record.value(), headers)));
                }
            }
            if (producer != null) {
                producer.flush();
                for (Future<RecordMetadata> send : sends) {
                    send.get();
                }
            }
        } catch (ExecutionException e) {
            throw new IllegalStateException("replay failed: " + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("replay interrupted", e);
        }
        return new Summary(scanned, byReason, unreplayable);
    }
}

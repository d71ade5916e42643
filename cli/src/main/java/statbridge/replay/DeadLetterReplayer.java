package statbridge.replay;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import statbridge.deadletter.DeadLetter;
import statbridge.topics.TopicReader;

/**
 * Re-drives dead-lettered records: each selected record goes back to the topic it came from
 * (its {@code statbridge.source.topic} header) with its original key, value, timestamp and
 * headers, plus {@code statbridge.replay.of} naming the dead letter, so a fixed catalog or a
 * fixed bug lets it through this time. Each dead letter is replayed once: a marker record in the
 * dead-letter topic ({@code statbridge.replayed}, no key or value) says it was.
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

    /**
     * What a replay did: records scanned, replayed by reason, those that could not be (no source
     * topic or no payload), and those an earlier replay had re-driven already.
     */
    public record Summary(long scanned, Map<String, Long> replayedByReason, long unreplayable, long alreadyReplayed) {
        public long replayed() {
            return replayedByReason.values().stream().mapToLong(Long::longValue).sum();
        }
    }

    private DeadLetterReplayer() {
    }

    /** Whether a record of the dead-letter topic is a replay marker rather than a dead letter. */
    public static boolean isMarker(ConsumerRecord<byte[], byte[]> record) {
        return record.headers().lastHeader(DeadLetter.REPLAYED) != null;
    }

    /**
     * Replays the selected dead letters (or, with {@code dryRun}, only counts them), each at most
     * once over all replays: every re-driven record and a marker naming its dead letter go in one
     * Kafka transaction, and dead letters with a marker are skipped. The transactional id is the
     * dead-letter topic's, so a second replay running at once fences the first, and it reads the
     * topic only after it has.
     */
    public static Summary replay(Map<String, Object> clientConfig, String dlqTopic, Selection selection, boolean dryRun) {
        Map<String, Object> config = new HashMap<>(clientConfig);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "statbridge-dlq-replay-" + dlqTopic);
        config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        try (KafkaProducer<byte[], byte[]> producer = dryRun ? null : new KafkaProducer<>(config)) {
            if (producer != null) {
                producer.initTransactions();
            }
            List<ConsumerRecord<byte[], byte[]>> selected = new ArrayList<>();
            Set<String> replayed = new HashSet<>();
            long scanned = TopicReader.readAll(clientConfig, dlqTopic, Duration.ofMinutes(5), record -> {
                if (isMarker(record)) {
                    replayed.add(DeadLetter.header(record.headers(), DeadLetter.REPLAYED));
                } else if (selection.matches(record)) {
                    selected.add(record);
                }
            });
            Map<String, Long> byReason = new TreeMap<>();
            long unreplayable = 0;
            long already = 0;
            if (producer != null) {
                producer.beginTransaction();
            }
            for (ConsumerRecord<byte[], byte[]> record : selected) {
                String source = DeadLetter.header(record.headers(), DeadLetter.SOURCE_TOPIC);
                String coordinates = dlqTopic + "/" + record.partition() + "/" + record.offset();
                if (replayed.contains(coordinates)) {
                    already++;
                    continue;
                }
                if (source == null || source.isBlank() || record.value() == null) {
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
                    headers.add(DeadLetter.REPLAY_OF, coordinates.getBytes(StandardCharsets.UTF_8));
                    producer.send(new ProducerRecord<>(source, null, record.timestamp(), record.key(), record.value(), headers));
                    RecordHeaders marker = new RecordHeaders();
                    marker.add(DeadLetter.REPLAYED, coordinates.getBytes(StandardCharsets.UTF_8));
                    producer.send(new ProducerRecord<>(dlqTopic, record.partition(), null, null, null, marker));
                }
            }
            if (producer != null) {
                producer.commitTransaction();
            }
            return new Summary(scanned - replayed.size(), byReason, unreplayable, already);
        } catch (KafkaException e) {
            throw new IllegalStateException("replay failed, nothing was replayed: " + e.getMessage(), e);
        }
    }
}

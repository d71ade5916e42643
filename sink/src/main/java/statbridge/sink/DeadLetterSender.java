package statbridge.sink;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import statbridge.deadletter.DeadLetter;
import statbridge.sink.deadletter.DeadLetterOutbox;
import statbridge.topics.TopicReader;

/**
 * Sends the sink's dead letters once each. A batch records its dead letters in
 * {@link DeadLetterOutbox} in its own transaction; after the commit this sends them and forgets
 * them. Whatever a crash, an outage or a rebalance left in the outbox, the partition's next owner
 * sends through {@link #recover}, skipping those the dead-letter topic already holds. A record too
 * large for the dead-letter topic is dead-lettered without its payload.
 */
final class DeadLetterSender implements AutoCloseable {

    /** A bad record this instance holds, and its outbox entry. */
    public record Letter(ConsumerRecord<byte[], byte[]> record, DeadLetterOutbox.Entry entry) {
    }

    private static final Logger LOG = LoggerFactory.getLogger(DeadLetterSender.class);
    private static final String STAGE = "sink";
    /** How far before an entry's creation the dead-letter topic is searched for it (clocks differ). */
    private static final Duration CLOCK_SKEW = Duration.ofMinutes(5);
    private static final Duration READ_TIMEOUT = Duration.ofMinutes(2);

    private final Map<String, Object> kafka;
    private final String dlqTopic;
    private final String consumerGroup;
    private final DataSource dataSource;
    private final KafkaProducer<byte[], byte[]> producer;

    public DeadLetterSender(Map<String, Object> kafka, String dlqTopic, String consumerGroup, DataSource dataSource) {
        this.kafka = kafka;
        this.dlqTopic = dlqTopic;
        this.consumerGroup = consumerGroup;
        this.dataSource = dataSource;
        Map<String, Object> config = new HashMap<>(kafka);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        this.producer = new KafkaProducer<>(config);
    }

    /**
     * Sends the letters of a committed batch, waits for Kafka to acknowledge them, then forgets
     * their entries.
     *
     * @throws KafkaException when Kafka does not acknowledge (the entries stay for {@link #recover})
     */
    public void send(List<Letter> letters) throws SQLException {
        if (letters.isEmpty()) {
            return;
        }
        List<Future<RecordMetadata>> sends = new ArrayList<>();
        for (Letter letter : letters) {
            sends.add(producer.send(whole(letter.record(), letter.entry())));
        }
        producer.flush();
        List<Future<RecordMetadata>> fallbacks = new ArrayList<>();
        for (int i = 0; i < sends.size(); i++) {
            Letter letter = letters.get(i);
            if (tooLarge(sends.get(i))) {
                fallbacks.add(producer.send(withoutPayload(letter.record().key(), letter.record().value(),
                        letter.record().timestamp(), letter.entry(), "larger than " + dlqTopic + " accepts")));
            }
        }
        producer.flush();
        for (Future<RecordMetadata> fallback : fallbacks) {
            await(fallback);
        }
        forget(letters.stream().map(Letter::entry).toList());
    }

    /**
     * Sends what the outbox holds for {@code partitions} and the dead-letter topic lacks (an
     * earlier owner committed the batch but may not have sent them), then forgets those entries.
     *
     * @return how many dead letters it sent
     */
    public int recover(Collection<TopicPartition> partitions) throws SQLException {
        List<DeadLetterOutbox.Entry> pending;
        try (Connection connection = dataSource.getConnection()) {
            pending = DeadLetterOutbox.pending(connection, consumerGroup, partitions);
        }
        if (pending.isEmpty()) {
            return 0;
        }
        Instant since = pending.stream().map(DeadLetterOutbox.Entry::createdAt).min(Instant::compareTo).orElseThrow()
                .minus(CLOCK_SKEW);
        Set<String> alreadySent = sentSince(since);
        List<DeadLetterOutbox.Entry> missing = pending.stream().filter(e -> !alreadySent.contains(coordinates(e))).toList();
        Map<String, ConsumerRecord<byte[], byte[]>> sources = sourceRecords(missing);
        List<Future<RecordMetadata>> sends = new ArrayList<>();
        for (DeadLetterOutbox.Entry entry : missing) {
            ConsumerRecord<byte[], byte[]> source = sources.get(coordinates(entry));
            sends.add(producer.send(source != null ? whole(source, entry)
                    : withoutPayload(null, null, null, entry, "no longer in " + entry.topic() + " (retention)")));
        }
        producer.flush();
        for (int i = 0; i < sends.size(); i++) {
            if (tooLarge(sends.get(i))) {
                ConsumerRecord<byte[], byte[]> source = sources.get(coordinates(missing.get(i)));
                await(producer.send(withoutPayload(source.key(), source.value(), source.timestamp(), missing.get(i),
                        "larger than " + dlqTopic + " accepts")));
            }
        }
        forget(pending);
        LOG.info("sent {} dead letter(s) an earlier owner of {} had recorded but not sent ({} already in {})",
                missing.size(), partitions, pending.size() - missing.size(), dlqTopic);
        return missing.size();
    }

    private ProducerRecord<byte[], byte[]> whole(ConsumerRecord<byte[], byte[]> record, DeadLetterOutbox.Entry entry) {
        return new ProducerRecord<>(dlqTopic, null, record.timestamp(), record.key(), record.value(),
                DeadLetter.headers(record.headers(), STAGE, entry.reason(), entry.message(), entry.topic(), entry.partition(),
                        entry.offset()));
    }

    private ProducerRecord<byte[], byte[]> withoutPayload(byte[] key, byte[] value, Long timestamp, DeadLetterOutbox.Entry entry,
            String why) {
        return DeadLetter.withoutPayload(dlqTopic, key, value, timestamp, STAGE, entry.reason(),
                entry.message() + "; the record is " + why + ", so its payload was dropped", entry.topic(), entry.partition(),
                entry.offset());
    }

    /** Waits for a send: true when the topic refused the record as too large, an exception for any other failure. */
    private static boolean tooLarge(Future<RecordMetadata> send) {
        try {
            send.get();
            return false;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RecordTooLargeException) {
                return true;
            }
            throw new KafkaException("cannot send dead letters: " + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaException("interrupted while sending dead letters", e);
        }
    }

    private static void await(Future<RecordMetadata> send) {
        if (tooLarge(send)) {
            throw new KafkaException("a dead letter without payload was refused as too large");
        }
    }

    private void forget(Collection<DeadLetterOutbox.Entry> entries) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            DeadLetterOutbox.delete(connection, consumerGroup, entries);
        }
    }

    private static String coordinates(DeadLetterOutbox.Entry entry) {
        return entry.topic() + "/" + entry.partition() + "/" + entry.offset();
    }

    /** The source coordinates of the sink's dead letters written at or after {@code since}. */
    private Set<String> sentSince(Instant since) {
        Set<String> sent = new HashSet<>();
        try (KafkaConsumer<byte[], byte[]> consumer = consumer()) {
            List<TopicPartition> partitions = consumer.partitionsFor(dlqTopic, READ_TIMEOUT).stream()
                    .map(p -> new TopicPartition(dlqTopic, p.partition())).toList();
            Map<TopicPartition, Long> times = new HashMap<>();
            partitions.forEach(p -> times.put(p, since.toEpochMilli()));
            Map<TopicPartition, OffsetAndTimestamp> starts = consumer.offsetsForTimes(times, READ_TIMEOUT);
            Map<TopicPartition, Long> from = new HashMap<>();
            starts.forEach((partition, start) -> {
                if (start != null) {
                    from.put(partition, start.offset());
                }
            });
            read(consumer, from, record -> {
                if (STAGE.equals(DeadLetter.header(record.headers(), DeadLetter.STAGE))) {
                    sent.add(DeadLetter.header(record.headers(), DeadLetter.SOURCE_TOPIC) + "/"
                            + DeadLetter.header(record.headers(), DeadLetter.SOURCE_PARTITION) + "/"
                            + DeadLetter.header(record.headers(), DeadLetter.SOURCE_OFFSET));
                }
            });
        }
        return sent;
    }

    /** The records at the entries' coordinates that the source topics still hold. */
    private Map<String, ConsumerRecord<byte[], byte[]>> sourceRecords(List<DeadLetterOutbox.Entry> entries) {
        Map<String, ConsumerRecord<byte[], byte[]>> found = new HashMap<>();
        if (entries.isEmpty()) {
            return found;
        }
        Set<String> wanted = new HashSet<>();
        Map<TopicPartition, Long> from = new HashMap<>();
        for (DeadLetterOutbox.Entry entry : entries) {
            wanted.add(coordinates(entry));
            from.merge(entry.topicPartition(), entry.offset(), Math::min);
        }
        try (KafkaConsumer<byte[], byte[]> consumer = consumer()) {
            read(consumer, from, record -> {
                String at = record.topic() + "/" + record.partition() + "/" + record.offset();
                if (wanted.contains(at)) {
                    found.put(at, record);
                }
            });
        }
        return found;
    }

    /** Reads each partition from its offset to its end offset as it is now. */
    private static void read(KafkaConsumer<byte[], byte[]> consumer, Map<TopicPartition, Long> from,
            Consumer<ConsumerRecord<byte[], byte[]>> each) {
        if (from.isEmpty()) {
            return;
        }
        consumer.assign(from.keySet());
        Map<TopicPartition, Long> end = consumer.endOffsets(from.keySet(), READ_TIMEOUT);
        Map<TopicPartition, Long> start = consumer.beginningOffsets(from.keySet(), READ_TIMEOUT);
        from.forEach((partition, offset) -> consumer.seek(partition, Math.max(offset, start.get(partition))));
        long deadline = System.nanoTime() + READ_TIMEOUT.toNanos();
        while (from.keySet().stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
            if (System.nanoTime() > deadline) {
                throw new KafkaException("timed out reading " + from.keySet() + " to their end offsets " + end);
            }
            for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                if (record.offset() < end.get(new TopicPartition(record.topic(), record.partition()))) {
                    each.accept(record);
                }
            }
        }
    }

    private KafkaConsumer<byte[], byte[]> consumer() {
        return new KafkaConsumer<>(TopicReader.readerConfig(kafka));
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(10));
    }
}

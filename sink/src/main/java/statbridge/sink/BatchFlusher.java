package statbridge.sink;

import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import statbridge.config.Secrets;
import statbridge.registry.RegistryUnavailableException;
import statbridge.sink.db.Partitions;
import statbridge.sink.writer.Batch;
import statbridge.sink.writer.BatchResult;
import statbridge.sink.writer.FencedException;

/**
 * Writes the consumed records as one batch (in side-by-side lanes, see {@link LaneWriter}) and
 * books what committed: the stored offsets the next batch expects, the consumer's commit, the
 * metrics, and the batch's dead letters, sent after the commit (see {@link DeadLetterSender}).
 * What did not commit is retried with {@link Backoff} while the consumer keeps polling paused.
 */
final class BatchFlusher {

    /** What the loop must do after a batch: seek again, or send the outbox later. */
    interface Followups {
        /** Another instance moved a stored offset: every partition is sought again from the database. */
        void reseekAll();

        /** Dead letters committed with the batch could not be sent: the outbox sends them later. */
        void recoverOutbox();
    }

    private static final Logger LOG = LoggerFactory.getLogger(BatchFlusher.class);

    private final SinkConfig config;
    private final SinkMetrics metrics;
    private final SinkStatus status;
    private final BatchPreparer preparer;
    private final Partitions partitions;
    private final LaneWriter lanes;
    private final StatisticsKeeper statistics;
    private final CatalogMirror catalog;
    private final DeadLetterSender deadLetters;
    private final Followups followups;

    BatchFlusher(SinkConfig config, SinkMetrics metrics, SinkStatus status, BatchPreparer preparer, Partitions partitions,
            LaneWriter lanes, StatisticsKeeper statistics, CatalogMirror catalog, DeadLetterSender deadLetters,
            Followups followups) {
        this.config = config;
        this.metrics = metrics;
        this.status = status;
        this.preparer = preparer;
        this.partitions = partitions;
        this.lanes = lanes;
        this.statistics = statistics;
        this.catalog = catalog;
        this.deadLetters = deadLetters;
        this.followups = followups;
    }

    /**
     * Writes {@code buffer} until it is written (and empty) or {@code running} turns false.
     *
     * @param stored the next offset the database holds for each owned partition, kept up to date
     */
    void flush(Consumer<byte[], byte[]> consumer, List<ConsumerRecord<byte[], byte[]>> buffer, Map<TopicPartition, Long> stored,
            PartitionStates states, BooleanSupplier running) {
        Backoff backoff = new Backoff(config.retryMaxBackoffMs());
        while (running.getAsBoolean() && !buffer.isEmpty()) {
            long started = System.nanoTime();
            try {
                catalog.poll();
                BatchPreparer.Prepared prepared = preparer.prepare(buffer, stored);
                partitions.ensureFor(prepared.dates());
                Batch batch = new Batch(prepared.facts(), catalog.pendingForDatabase(), prepared.offsets(),
                        prepared.rejected().stream().map(Rejected::entry).toList());
                Exception failure = book(consumer, lanes.write(batch), prepared, buffer, stored, started);
                if (failure instanceof SQLException e) {
                    throw e;
                } else if (failure != null) {
                    throw (RuntimeException) failure;
                }
                if (status.state() == SinkState.RETRYING) {
                    LOG.info("writing again after the failure: {}", status.detail());
                }
                status.running();
                return;
            } catch (FencedException e) {
                LOG.warn("{}; dropping the batch and re-reading the stored offsets", e.getMessage());
                buffer.clear();
                followups.reseekAll();
                return;
            } catch (SQLException | RegistryUnavailableException | KafkaException | IllegalStateException e) {
                // A partition may have been dropped (purge-legacy) since it was last seen: check again next time.
                partitions.forget();
                if (status.state() != SinkState.RETRYING) {
                    LOG.warn("cannot write a batch of {} record(s), retrying with backoff: {}", buffer.size(), e.toString());
                }
                status.retrying(e instanceof SQLException ? "cannot write to PostgreSQL at "
                        + Secrets.redact(config.database().jdbcUrl()) + ": " + e : e.toString());
                states.applyTo(consumer, true);
                pollFor(consumer, buffer, backoff.next(), running);
            }
        }
    }

    /**
     * Books the lanes that committed and drops their records from the buffer; returns the first
     * lane's failure, or null when all committed.
     */
    private Exception book(Consumer<byte[], byte[]> consumer, List<LaneWriter.Outcome> outcomes, BatchPreparer.Prepared prepared,
            List<ConsumerRecord<byte[], byte[]>> buffer, Map<TopicPartition, Long> stored, long started) {
        Exception failure = null;
        Set<TopicPartition> done = new HashSet<>();
        Map<TopicPartition, OffsetAndMetadata> commit = new HashMap<>();
        for (LaneWriter.Outcome outcome : outcomes) {
            if (outcome.failure() != null) {
                failure = failure == null ? outcome.failure() : failure;
                continue;
            }
            BatchResult result = outcome.result();
            catalog.persisted(outcome.lane().newCatalogEntries());
            statistics.written(result.total());
            metrics.batch(result, Duration.ofNanos(System.nanoTime() - started));
            outcome.lane().offsets().forEach((partition, range) -> {
                stored.put(partition, range.next());
                commit.put(partition, new OffsetAndMetadata(range.next()));
                done.add(partition);
            });
        }
        List<DeadLetterSender.Letter> letters = new ArrayList<>();
        for (Rejected rejected : prepared.rejected()) {
            if (done.contains(new TopicPartition(rejected.record().topic(), rejected.record().partition()))) {
                metrics.deadLettered(rejected.reason());
                letters.add(new DeadLetterSender.Letter(rejected.record(), rejected.entry()));
            }
        }
        buffer.removeIf(record -> done.contains(new TopicPartition(record.topic(), record.partition())));
        if (!commit.isEmpty()) {
            consumer.commitAsync(commit, null);
        }
        try {
            deadLetters.send(letters);
        } catch (SQLException | KafkaException e) {
            // Committed with the batch: the outbox keeps them until they are sent.
            LOG.warn("cannot send {} dead letter(s) now; they stay in the outbox and are sent when Kafka answers: {}",
                    letters.size(), e.toString());
            followups.recoverOutbox();
        }
        return failure;
    }

    /** Polls (paused, so nothing arrives but rebalances) for about {@code millis}, keeping the group membership. */
    private static void pollFor(Consumer<byte[], byte[]> consumer, List<ConsumerRecord<byte[], byte[]>> buffer, long millis,
            BooleanSupplier running) {
        long until = System.nanoTime() + millis * 1_000_000;
        while (running.getAsBoolean() && System.nanoTime() < until) {
            try {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(Math.min(100, millis)))) {
                    buffer.add(record);
                }
            } catch (WakeupException e) {
                return;
            }
        }
    }
}

package statbridge.sink;

import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts newly assigned partitions where the rows say the sink stands: at the offset stored with
 * them in PostgreSQL, or at the beginning when none is. A stored offset below the partition's
 * log start means retention deleted records the sink never wrote: that partition stops, unless
 * an operator accepted the loss for it ({@code sink.accept.data.loss}).
 */
final class PartitionSeeker {

    /** Reads the stored next offsets of some partitions (those without one are absent). */
    @FunctionalInterface
    interface StoredOffsets {
        Map<TopicPartition, Long> read(Collection<TopicPartition> partitions) throws SQLException;
    }

    private static final Logger LOG = LoggerFactory.getLogger(PartitionSeeker.class);
    private static final Duration KAFKA_TIMEOUT = Duration.ofSeconds(15);

    private final StoredOffsets storedOffsets;
    private final Set<String> acceptDataLoss;
    private final PartitionStates states;
    private final SinkMetrics metrics;

    /**
     * @param acceptDataLoss partitions ({@code topic-partition}, or {@code all}) that continue from
     *     the log start when their stored offset fell below it
     */
    PartitionSeeker(StoredOffsets storedOffsets, Set<String> acceptDataLoss, PartitionStates states, SinkMetrics metrics) {
        this.storedOffsets = storedOffsets;
        this.acceptDataLoss = acceptDataLoss;
        this.states = states;
        this.metrics = metrics;
    }

    /**
     * Seeks {@code partitions} and marks them consuming (or stopped); returns the next offset the
     * database holds for each of them, -1 for none, which the first batch's offset store expects.
     */
    Map<TopicPartition, Long> seek(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) throws SQLException {
        Map<TopicPartition, Long> stored = storedOffsets.read(partitions);
        Map<TopicPartition, Long> logStart = consumer.beginningOffsets(partitions, KAFKA_TIMEOUT);
        Map<TopicPartition, Long> expected = new java.util.HashMap<>();
        List<TopicPartition> fromBeginning = new ArrayList<>();
        for (TopicPartition partition : partitions) {
            Long next = stored.get(partition);
            long start = logStart.getOrDefault(partition, 0L);
            expected.put(partition, next == null ? -1L : next);
            if (next == null) {
                fromBeginning.add(partition);
            } else if (next < start) {
                if (!acceptLoss(partition, next, start)) {
                    continue;
                }
                consumer.seek(partition, start);
            } else {
                consumer.seek(partition, next);
            }
            states.consuming(partition);
        }
        if (!fromBeginning.isEmpty()) {
            consumer.seekToBeginning(fromBeginning);
        }
        LOG.info("assigned {} partition(s); resuming from the offsets stored with the rows: {}", partitions.size(), stored);
        return expected;
    }

    /**
     * Decides for a partition whose next offset {@code next} is below the log start: continue from
     * {@code start} when an operator accepted the loss for it (returns true), else stop it.
     */
    private boolean acceptLoss(TopicPartition partition, long next, long start) {
        String loss = "the offset stored with the rows is " + next + " but the log starts at " + start + ": retention deleted "
                + (start - Math.max(next, 0)) + " record(s) the sink never wrote";
        if (acceptDataLoss.contains("all") || acceptDataLoss.contains(partition.toString())) {
            LOG.warn("{}: {}; continuing from {} as sink.accept.data.loss allows", partition, loss, start);
            metrics.offsetsSkipped(start - Math.max(next, 0));
            return true;
        }
        LOG.error("{} stopped: {}. Nothing more is read from it until an operator accepts the loss: restart with "
                + "'statbridge sink --accept-data-loss {}' (or sink.accept.data.loss={}), after recovering those records "
                + "elsewhere if they matter.", partition, loss, partition, partition);
        states.stopped(partition, loss);
        return false;
    }
}

package statbridge.sink;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the sink does when its partitions change. Nothing here blocks on PostgreSQL (it may be
 * down): a revoked partition's unwritten records are dropped (the next owner starts from the
 * stored offsets), and an assigned one is paused until the loop has sought it to its stored
 * offset ({@link PartitionSeeker}).
 */
final class SinkRebalanceListener implements ConsumerRebalanceListener {

    /** What the loop learns of a rebalance. */
    interface Changes {
        /** Partitions went: their stopped reasons no longer apply. */
        void revoked();

        /** Partitions came: seek them, and send what an earlier owner may have left in the outbox. */
        void assigned();
    }

    private static final Logger LOG = LoggerFactory.getLogger(SinkRebalanceListener.class);

    private final Consumer<?, ?> consumer;
    private final String statTopic;
    private final String businessTopic;
    private final PartitionStates states;
    private final List<ConsumerRecord<byte[], byte[]>> buffer;
    private final Map<TopicPartition, Long> storedOffsets;
    private final IntConsumer lockBuckets;
    private final Changes changes;
    private boolean partitionCountsChecked;

    /**
     * @param buffer the records consumed and not yet written
     * @param storedOffsets the next offset the database holds for each owned partition
     * @param lockBuckets takes the stats topic's partition count, by which legacy-row locks are chosen
     */
    SinkRebalanceListener(Consumer<?, ?> consumer, String statTopic, String businessTopic, PartitionStates states,
            List<ConsumerRecord<byte[], byte[]>> buffer, Map<TopicPartition, Long> storedOffsets, IntConsumer lockBuckets,
            Changes changes) {
        this.consumer = consumer;
        this.statTopic = statTopic;
        this.businessTopic = businessTopic;
        this.states = states;
        this.buffer = buffer;
        this.storedOffsets = storedOffsets;
        this.lockBuckets = lockBuckets;
        this.changes = changes;
    }

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> revoked) {
        buffer.removeIf(r -> revoked.contains(new TopicPartition(r.topic(), r.partition())));
        revoked.forEach(storedOffsets::remove);
        states.revoked(revoked);
        changes.revoked();
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> assigned) {
        states.assigned(assigned);
        consumer.pause(assigned);
        // A position for the consumer to hold meanwhile (with no reset policy it would refuse to poll);
        // nothing is fetched from a paused partition, and the stored offset replaces it before it resumes.
        consumer.seekToBeginning(assigned);
        if (!assigned.isEmpty()) {
            lockByKey();
            changes.assigned();
        }
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> lost) {
        onPartitionsRevoked(lost);
    }

    /**
     * A stat and its KPI meet in one legacy row; its lock is chosen by key among the stats topic's
     * partitions (see {@code BatchWriter#lockBuckets}), read again at every assignment since
     * partitions may have been added.
     */
    private void lockByKey() {
        try {
            int stats = consumer.partitionsFor(statTopic).size();
            int business = consumer.partitionsFor(businessTopic).size();
            lockBuckets.accept(stats);
            if (stats != business && !partitionCountsChecked) {
                LOG.info("{} has {} partitions and {} has {}: a stat and its KPI may arrive in different partition numbers, "
                        + "so sink instances may wait for each other's legacy-row locks now and then (rows stay exact). "
                        + "Give both topics the same number of partitions to avoid it.", statTopic, stats, businessTopic, business);
            }
            partitionCountsChecked = true;
        } catch (RuntimeException e) {
            LOG.warn("cannot read the partition counts of the input topics: {}", e.toString());
        }
    }
}

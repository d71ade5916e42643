package statbridge.sink;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/** A rebalance drops what is no longer the sink's and holds what is new until it is sought. */
class SinkRebalanceListenerTest {

    private static final String STATS = "model-stats.v2";
    private static final String KPIS = "model-business-stats.v2";
    private static final TopicPartition S0 = new TopicPartition(STATS, 0);
    private static final TopicPartition S1 = new TopicPartition(STATS, 1);
    private static final TopicPartition K0 = new TopicPartition(KPIS, 0);

    private final MockConsumer<byte[], byte[]> consumer = new MockConsumer<>("none");
    private final PartitionStates states = new PartitionStates();
    private final List<ConsumerRecord<byte[], byte[]>> buffer = new ArrayList<>();
    private final Map<TopicPartition, Long> stored = new HashMap<>();
    private final List<Integer> lockBuckets = new ArrayList<>();
    private final List<String> changes = new ArrayList<>();
    private final SinkRebalanceListener listener = new SinkRebalanceListener(consumer, STATS, KPIS, states, buffer, stored,
            lockBuckets::add, new SinkRebalanceListener.Changes() {
                @Override
                public void revoked() {
                    changes.add("revoked");
                }

                @Override
                public void assigned() {
                    changes.add("assigned");
                }
            });

    private static List<PartitionInfo> partitions(String topic, int count) {
        List<PartitionInfo> partitions = new ArrayList<>();
        for (int p = 0; p < count; p++) {
            partitions.add(new PartitionInfo(topic, p, Node.noNode(), new Node[0], new Node[0]));
        }
        return partitions;
    }

    @Test
    void assignedPartitionsArePausedUntilSoughtAndLegacyLocksFollowTheStatsTopicsPartitionCount() {
        consumer.updatePartitions(STATS, partitions(STATS, 6));
        consumer.updatePartitions(KPIS, partitions(KPIS, 6));
        consumer.assign(List.of(S0, K0));
        consumer.updateBeginningOffsets(Map.of(S0, 0L, K0, 0L));
        listener.onPartitionsAssigned(List.of(S0, K0));
        assertThat(consumer.paused()).containsExactlyInAnyOrder(S0, K0);
        assertThat(states.seeking()).containsExactlyInAnyOrder(S0, K0);
        assertThat(lockBuckets).containsExactly(6);
        assertThat(changes).containsExactly("assigned");
    }

    @Test
    void anEmptyAssignmentChangesNothing() {
        listener.onPartitionsAssigned(List.of());
        assertThat(lockBuckets).isEmpty();
        assertThat(changes).isEmpty();
    }

    @Test
    void revokedPartitionsLoseTheirUnwrittenRecordsAndStoredOffsetsOthersKeepThem() {
        states.assigned(List.of(S0, S1));
        buffer.addAll(List.of(new ConsumerRecord<>(STATS, 0, 10, null, null), new ConsumerRecord<>(STATS, 1, 20, null, null),
                new ConsumerRecord<>(STATS, 0, 11, null, null)));
        stored.putAll(Map.of(S0, 10L, S1, 20L));
        listener.onPartitionsRevoked(List.of(S0));
        assertThat(buffer).extracting(r -> r.partition() + "@" + r.offset()).containsExactly("1@20");
        assertThat(stored).containsExactlyEntriesOf(Map.of(S1, 20L));
        assertThat(states.seeking()).containsExactly(S1);
        assertThat(changes).containsExactly("revoked");
    }

    @Test
    void lostPartitionsAreTreatedAsRevoked() {
        states.assigned(List.of(S0));
        stored.put(S0, 3L);
        listener.onPartitionsLost(List.of(S0));
        assertThat(stored).isEmpty();
        assertThat(states.seeking()).isEmpty();
    }
}

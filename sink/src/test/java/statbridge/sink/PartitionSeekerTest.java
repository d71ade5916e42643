package statbridge.sink;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Where assigned partitions resume: the stored offset, the beginning, or nowhere until an operator decides. */
class PartitionSeekerTest {

    private static final TopicPartition P0 = new TopicPartition("model-stats.v2", 0);
    private static final TopicPartition P1 = new TopicPartition("model-stats.v2", 1);
    private static final TopicPartition P2 = new TopicPartition("model-stats.v2", 2);

    private final MockConsumer<byte[], byte[]> consumer = new MockConsumer<>("none");
    private final PartitionStates states = new PartitionStates();
    private final SinkMetrics metrics = new SinkMetrics(new SimpleMeterRegistry());

    @BeforeEach
    void assign() {
        consumer.assign(List.of(P0, P1, P2));
        consumer.updateBeginningOffsets(Map.of(P0, 100L, P1, 0L, P2, 0L));
        states.assigned(List.of(P0, P1, P2));
    }

    private PartitionSeeker seeker(Set<String> acceptDataLoss) {
        return new PartitionSeeker(partitions -> Map.of(P0, 40L, P1, 7L), acceptDataLoss, states, metrics);
    }

    @Test
    void eachPartitionResumesAtItsStoredOffsetOrFromTheBeginning() throws Exception {
        consumer.updateBeginningOffsets(Map.of(P0, 0L));
        Map<TopicPartition, Long> expected = seeker(Set.of()).seek(consumer, List.of(P0, P1, P2));
        assertThat(expected).containsExactlyInAnyOrderEntriesOf(Map.of(P0, 40L, P1, 7L, P2, -1L));
        assertThat(consumer.position(P0)).isEqualTo(40L);
        assertThat(consumer.position(P1)).isEqualTo(7L);
        assertThat(consumer.position(P2)).isEqualTo(0L);
        assertThat(states.seeking()).isEmpty();
        assertThat(states.anyConsuming()).isTrue();
    }

    @Test
    void aStoredOffsetBelowTheLogStartStopsThatPartitionWithTheReason() throws Exception {
        seeker(Set.of()).seek(consumer, List.of(P0, P1, P2));
        assertThat(states.stopped()).containsExactlyEntriesOf(Map.of("model-stats.v2-0", "the offset stored with the rows is 40 "
                + "but the log starts at 100: retention deleted 60 record(s) the sink never wrote"));
        assertThat(states.toPause(false)).containsExactly(P0);
        assertThat(consumer.position(P1)).isEqualTo(7L);
    }

    @Test
    void anAcceptedLossContinuesFromTheLogStartAndCountsTheSkippedOffsets() throws Exception {
        seeker(Set.of("model-stats.v2-0")).seek(consumer, List.of(P0, P1, P2));
        assertThat(states.stopped()).isEmpty();
        assertThat(consumer.position(P0)).isEqualTo(100L);
        assertThat(metrics.registry().get("statbridge.sink.offsets.skipped").counter().count()).isEqualTo(60.0);
    }

    @Test
    void allAcceptsTheLossOfEveryPartition() throws Exception {
        seeker(Set.of("all")).seek(consumer, List.of(P0));
        assertThat(states.stopped()).isEmpty();
        assertThat(consumer.position(P0)).isEqualTo(100L);
    }
}

package statbridge.sink;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class PartitionStatesTest {

    private static final TopicPartition STATS_0 = new TopicPartition("model-stats.v2", 0);
    private static final TopicPartition STATS_1 = new TopicPartition("model-stats.v2", 1);
    private static final TopicPartition KPIS_0 = new TopicPartition("model-business-stats.v2", 0);

    @Test
    void newlyAssignedPartitionsStayPausedUntilSought() {
        PartitionStates states = new PartitionStates();
        states.assigned(List.of(STATS_0, KPIS_0));

        assertThat(states.seeking()).containsExactlyInAnyOrder(STATS_0, KPIS_0);
        assertThat(states.toPause(false)).containsExactlyInAnyOrder(STATS_0, KPIS_0);

        states.consuming(STATS_0);
        assertThat(states.toPause(false)).containsExactly(KPIS_0);
        assertThat(states.anyConsuming()).isTrue();
    }

    @Test
    void aRebalanceDuringARetryLeavesNothingPausedOnceTheRetryEnds() {
        PartitionStates states = new PartitionStates();
        states.assigned(List.of(STATS_0, STATS_1));
        states.consuming(STATS_0);
        states.consuming(STATS_1);
        assertThat(states.toPause(true)).containsExactlyInAnyOrder(STATS_0, STATS_1);

        // during the outage another instance joins and leaves: everything is revoked, then assigned again
        states.revoked(List.of(STATS_0, STATS_1));
        states.assigned(List.of(STATS_0, STATS_1, KPIS_0));
        assertThat(states.toPause(true)).containsExactlyInAnyOrder(STATS_0, STATS_1, KPIS_0);

        // the database answers again: the partitions are sought, and nothing stays paused
        states.seeking().forEach(states::consuming);
        assertThat(states.toPause(false)).isEmpty();
    }

    @Test
    void aStoppedPartitionStaysStoppedThroughAReseekAndIsForgottenWhenRevoked() {
        PartitionStates states = new PartitionStates();
        states.assigned(List.of(STATS_0, STATS_1));
        states.consuming(STATS_0);
        states.stopped(STATS_1, "the offset stored with the rows is 5 but the log starts at 9");

        states.reseek(List.of(STATS_0, STATS_1));

        assertThat(states.seeking()).containsExactly(STATS_0);
        assertThat(states.toPause(false)).containsExactlyInAnyOrder(STATS_0, STATS_1);
        assertThat(states.stopped()).isEqualTo(Map.of("model-stats.v2-1", "the offset stored with the rows is 5 but the log starts at 9"));

        states.revoked(List.of(STATS_1));
        assertThat(states.stopped()).isEmpty();
        assertThat(states.toPause(false)).containsExactly(STATS_0);
    }

    @Test
    void aPartitionNotAssignedCannotBeStopped() {
        PartitionStates states = new PartitionStates();
        states.stopped(STATS_0, "lost");
        assertThat(states.stopped()).isEmpty();
    }
}

package statbridge.sink;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import statbridge.catalog.CatalogEntry;
import statbridge.sink.offsets.OffsetRange;
import statbridge.sink.writer.Batch;
import statbridge.sink.writer.Fact;
import statbridge.v2.MetricType;

/** How a batch is split into write lanes. */
class LaneWriterTest {

    private static final String STATS = "model-stats.v2";
    private static final String KPIS = "model-business-stats.v2";
    private static final List<CatalogEntry> NEW_ENTRIES = List.of(CatalogEntry.of("recall", MetricType.ONLINE, "recall"));

    private static Fact fact(Fact.Kind kind, String slice, int partition, long offset) {
        return new Fact(kind, "IntentClassifier", "v4", LocalDate.of(2025, 4, 26), slice, MetricType.ONLINE, "recall", 0.5,
                1_000L, kind == Fact.Kind.STAT ? STATS : KPIS, partition, offset);
    }

    private static Batch batch(List<Fact> facts, TopicPartition... onlyOffsets) {
        Map<TopicPartition, OffsetRange> offsets = new HashMap<>();
        for (Fact fact : facts) {
            offsets.merge(new TopicPartition(fact.topic(), fact.partition()), new OffsetRange(-1, fact.offset() + 1),
                    (a, b) -> new OffsetRange(-1, Math.max(a.next(), b.next())));
        }
        for (TopicPartition partition : onlyOffsets) {
            offsets.put(partition, new OffsetRange(7, 8));
        }
        return new Batch(facts, NEW_ENTRIES, offsets);
    }

    @Test
    void eachPartitionNumberGoesToOneLaneWithItsOwnOffsetsAndEveryLaneGetsTheNewCatalogEntries() {
        List<Fact> facts = new ArrayList<>();
        for (int partition = 0; partition < 4; partition++) {
            facts.add(fact(Fact.Kind.STAT, "slice-" + partition, partition, 10 + partition));
            facts.add(fact(Fact.Kind.BUSINESS, "slice-" + partition, partition, 20 + partition));
        }
        List<Batch> lanes = LaneWriter.split(batch(facts), 2);

        assertThat(lanes).hasSize(2);
        assertThat(lanes.get(0).facts()).extracting(Fact::partition).containsExactly(0, 0, 2, 2);
        assertThat(lanes.get(1).facts()).extracting(Fact::partition).containsExactly(1, 1, 3, 3);
        assertThat(lanes.get(0).offsets()).containsOnlyKeys(new TopicPartition(STATS, 0), new TopicPartition(KPIS, 0),
                new TopicPartition(STATS, 2), new TopicPartition(KPIS, 2));
        assertThat(lanes.get(1).offsets()).containsEntry(new TopicPartition(KPIS, 3), new OffsetRange(-1, 24))
                .hasSize(4);
        assertThat(lanes).allSatisfy(lane -> assertThat(lane.newCatalogEntries()).isEqualTo(NEW_ENTRIES));
    }

    @Test
    void aRowWhoseEventsSitInPartitionsOfDifferentLanesKeepsTheBatchWhole() {
        // The stat in partition 0 and its KPI in partition 1: written apart, neither lane would see the other half.
        Batch batch = batch(List.of(fact(Fact.Kind.STAT, "ALL", 0, 1), fact(Fact.Kind.BUSINESS, "ALL", 1, 1),
                fact(Fact.Kind.STAT, "other", 3, 5)));
        assertThat(LaneWriter.split(batch, 2)).containsExactly(batch);
    }

    @Test
    void aLaneWithOnlyOffsetsStillStoresThemAndAnEmptyLaneIsLeftOut() {
        TopicPartition deadLettersOnly = new TopicPartition(KPIS, 3);
        List<Batch> lanes = LaneWriter.split(batch(List.of(fact(Fact.Kind.STAT, "ALL", 0, 1)), deadLettersOnly), 4);

        assertThat(lanes).hasSize(2);
        assertThat(lanes.get(0).facts()).hasSize(1);
        assertThat(lanes.get(1).facts()).isEmpty();
        assertThat(lanes.get(1).offsets()).containsOnlyKeys(deadLettersOnly);
    }

    @Test
    void oneLaneWritesTheBatchAsItIs() {
        Batch batch = batch(List.of(fact(Fact.Kind.STAT, "ALL", 0, 1), fact(Fact.Kind.STAT, "other", 1, 1)));
        assertThat(LaneWriter.split(batch, 1)).containsExactly(batch);
    }
}

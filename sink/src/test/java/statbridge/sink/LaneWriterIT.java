package statbridge.sink;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntUnaryOperator;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import statbridge.catalog.CatalogEntry;
import statbridge.sink.SinkDatabase;
import statbridge.sink.db.Partitions;
import statbridge.sink.offsets.OffsetRange;
import statbridge.sink.writer.Batch;
import statbridge.sink.writer.BatchWriter;
import statbridge.sink.writer.Fact;
import statbridge.testing.PostgresServer;
import statbridge.testing.RealInfrastructure;
import statbridge.v2.MetricType;

/** Batches written in side-by-side lanes on a real PostgreSQL. */
@ExtendWith(RealInfrastructure.class)
class LaneWriterIT {

    private static final LocalDate DAY = LocalDate.of(2025, 4, 26);
    private static final String STATS = "model-stats.v2";
    private static final String KPIS = "model-business-stats.v2";

    private final SinkDatabase db;
    private final LaneWriter lanes;

    LaneWriterIT(PostgresServer postgres) throws Exception {
        db = SinkDatabase.create(postgres, "lane_writer");
        db.addCatalog(List.of(CatalogEntry.of("churn_rate", MetricType.BUSINESS, "churn_rate")));
        new Partitions(db.database.dataSource()).ensureFor(List.of(DAY));
        lanes = new LaneWriter(db.database.dataSource(), new BatchWriter("test-sink"), 2);
    }

    @AfterEach
    void close() {
        lanes.close();
        db.close();
    }

    /** A stat and a KPI for each of {@code keys} rows, the stat in partition {@code statPartition(i)}, the KPI in {@code kpiPartition(i)}. */
    private static Batch batch(int keys, IntUnaryOperator statPartition, IntUnaryOperator kpiPartition) {
        List<Fact> facts = new ArrayList<>();
        Map<TopicPartition, OffsetRange> offsets = new HashMap<>();
        for (int i = 0; i < keys; i++) {
            facts.add(new Fact(Fact.Kind.STAT, "ChurnModel", "v2", DAY, "region=" + i, MetricType.BUSINESS, "churn_rate",
                    i / 1000.0, 1_000L + i, STATS, statPartition.applyAsInt(i), i));
            facts.add(new Fact(Fact.Kind.BUSINESS, "ChurnModel", "v2", DAY, "region=" + i, MetricType.BUSINESS, "churn_rate",
                    i * 10.0, 1_000L + i, KPIS, kpiPartition.applyAsInt(i), i));
        }
        for (Fact fact : facts) {
            offsets.merge(new TopicPartition(fact.topic(), fact.partition()), new OffsetRange(-1, fact.offset() + 1),
                    (a, b) -> new OffsetRange(-1, Math.max(a.next(), b.next())));
        }
        return new Batch(facts, List.of(), offsets);
    }

    private long legacyRowsWithBothHalves() throws Exception {
        return Long.parseLong(db.rows("SELECT count(*) FROM ml_monitoring.model_stats_daily_legacy l "
                + "WHERE round(l.business_metric_value) = round(l.metric_value * 10000)").get(0));
    }

    @Test
    void eachLaneCommitsItsOwnPartitionsRowsAndOffsets() throws Exception {
        List<LaneWriter.Outcome> outcomes = lanes.write(batch(2_000, i -> i % 4, i -> i % 4));

        assertThat(outcomes.size()).as("transactions").isEqualTo(2);
        assertThat(outcomes).allSatisfy(outcome -> assertThat(outcome.failure()).isNull());
        assertThat(outcomes.get(0).lane().offsets().keySet()).extracting(TopicPartition::partition).containsOnly(0, 2);
        assertThat(outcomes.get(1).lane().offsets().keySet()).extracting(TopicPartition::partition).containsOnly(1, 3);
        assertThat(outcomes.get(0).result().writeSeq()).isNotEqualTo(outcomes.get(1).result().writeSeq());
        assertThat(outcomes).allSatisfy(outcome -> assertThat(outcome.result().statRows()).isEqualTo(1_000));
        assertThat(db.stats()).hasSize(2_000);
        assertThat(db.business()).hasSize(2_000);
        assertThat(legacyRowsWithBothHalves()).isEqualTo(2_000);
        assertThat(db.offsets("test-sink")).hasSize(8).containsEntry(STATS + "/0", 1_997L).containsEntry(KPIS + "/3", 2_000L);
    }

    @Test
    void aStatAndItsKpiInPartitionsOfDifferentLanesAreWrittenTogetherSoTheLegacyRowHasBoth() throws Exception {
        List<LaneWriter.Outcome> outcomes = lanes.write(batch(2_000, i -> 0, i -> 1));

        assertThat(legacyRowsWithBothHalves()).isEqualTo(2_000);
        assertThat(outcomes.size()).as("transactions").isEqualTo(1);
        assertThat(outcomes.get(0).failure()).isNull();
        assertThat(db.legacy()).hasSize(2_000);
    }
}

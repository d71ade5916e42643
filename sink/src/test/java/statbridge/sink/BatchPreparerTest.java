package statbridge.sink;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import statbridge.catalog.CatalogEntry;
import statbridge.catalog.MetricCatalog;
import statbridge.contract.StatValidator;
import statbridge.registry.InMemorySchemaRegistryClient;
import statbridge.registry.SchemaRegistryClient;
import statbridge.serde.AvroDeserializer;
import statbridge.serde.AvroSerializer;
import statbridge.sink.offsets.OffsetRange;
import statbridge.sink.writer.Fact;
import statbridge.v2.BusinessStat;
import statbridge.v2.MetricType;
import statbridge.v2.ModelStat;

/** One batch's records into facts, dead letters, offset moves and days, with the catalog's say. */
class BatchPreparerTest {

    private static final String STATS = "model-stats.v2";
    private static final LocalDate DAY = LocalDate.of(2026, 11, 20);
    private static final CatalogEntry ACCURACY = CatalogEntry.of("accuracy", MetricType.ONLINE, "accuracy");
    private static final CatalogEntry MISSING_RATE = CatalogEntry.of("drift_missing_rate", MetricType.DRIFT, "missing_rate");

    private final String scope = "batch-preparer-" + UUID.randomUUID();
    private final SchemaRegistryClient registry = InMemorySchemaRegistryClient.forScope(scope);
    private final AvroSerializer<Object> serializer = new AvroSerializer<>(registry, false, Map.of());
    private final RecordDecoder decoder = new RecordDecoder(STATS, AvroDeserializer.forType(registry, ModelStat.class),
            AvroDeserializer.forType(registry, BusinessStat.class), new StatValidator(StatValidator.Limits.defaults()));
    private final AtomicReference<MetricCatalog> catalog = new AtomicReference<>(MetricCatalog.of(List.of(ACCURACY)));
    private final AtomicInteger catchUps = new AtomicInteger();

    @AfterEach
    void dropScope() {
        InMemorySchemaRegistryClient.dropScope(scope);
    }

    private ConsumerRecord<byte[], byte[]> stat(int partition, long offset, LocalDate day, MetricType type, String key) {
        byte[] value = serializer.serialize(STATS, new ModelStat("IntentClassifier", "v4", day, "ALL", type, key, 0.5));
        byte[] recordKey = ("IntentClassifier/v4/" + day + "/ALL").getBytes(StandardCharsets.UTF_8);
        return new ConsumerRecord<>(STATS, partition, offset, 1_000L, TimestampType.CREATE_TIME, recordKey.length, value.length,
                recordKey, value, new RecordHeaders(), Optional.empty());
    }

    private static Fact fact(int partition, long offset, LocalDate day, MetricType type, String key) {
        return new Fact(Fact.Kind.STAT, "IntentClassifier", "v4", day, "ALL", type, key, 0.5, 1_000L, STATS, partition, offset);
    }

    private BatchPreparer preparer(Runnable catchUp) {
        return new BatchPreparer(decoder, catalog::get, () -> {
            catchUps.incrementAndGet();
            catchUp.run();
        });
    }

    @Test
    void eachPartitionsOffsetMovesFromWhatTheDatabaseHoldsToPastItsLastRecord() {
        BatchPreparer.Prepared prepared = preparer(() -> { }).prepare(List.of(stat(0, 7, DAY, MetricType.ONLINE, "accuracy"),
                stat(1, 3, DAY, MetricType.ONLINE, "accuracy"), stat(0, 8, DAY.plusDays(40), MetricType.ONLINE, "accuracy")),
                Map.of(new TopicPartition(STATS, 0), 7L));
        assertThat(prepared.offsets()).containsExactlyInAnyOrderEntriesOf(Map.of(new TopicPartition(STATS, 0), new OffsetRange(7, 9),
                new TopicPartition(STATS, 1), new OffsetRange(-1, 4)));
        assertThat(prepared.facts()).containsExactly(fact(0, 7, DAY, MetricType.ONLINE, "accuracy"),
                fact(1, 3, DAY, MetricType.ONLINE, "accuracy"), fact(0, 8, DAY.plusDays(40), MetricType.ONLINE, "accuracy"));
        assertThat(prepared.dates()).isEqualTo(Set.of(DAY, DAY.plusDays(40)));
        assertThat(prepared.rejected()).isEmpty();
        assertThat(catchUps).as("every key was in the catalog: the topic is not read").hasValue(0);
    }

    @Test
    void aKeyTheCatalogLacksWaitsForTheCatalogTopicOnceAndIsWrittenWhenItsEntryArrives() {
        BatchPreparer.Prepared prepared = preparer(() -> catalog.set(catalog.get().with(MISSING_RATE)))
                .prepare(List.of(stat(0, 0, DAY, MetricType.DRIFT, "missing_rate"), stat(0, 1, DAY, MetricType.DRIFT, "missing_rate")),
                        Map.of());
        assertThat(prepared.facts()).containsExactly(fact(0, 0, DAY, MetricType.DRIFT, "missing_rate"),
                fact(0, 1, DAY, MetricType.DRIFT, "missing_rate"));
        assertThat(catchUps).hasValue(1);
    }

    @Test
    void aKeyStillUnknownAfterTheCatalogCaughtUpIsDeadLetteredAndItsOffsetStillMoves() {
        BatchPreparer.Prepared prepared = preparer(() -> { }).prepare(List.of(stat(0, 0, DAY, MetricType.ONLINE, "accuracy"),
                stat(0, 1, DAY, MetricType.DRIFT, "missing_rate")), Map.of());
        assertThat(prepared.facts()).containsExactly(fact(0, 0, DAY, MetricType.ONLINE, "accuracy"));
        assertThat(prepared.rejected()).extracting(r -> r.record().offset() + " " + r.reason() + ": " + r.message()).containsExactly(
                "1 unmapped-metric-key: (DRIFT, missing_rate) is not in the metric catalog, so its legacy metric_name is unknown; "
                        + "add it ('statbridge catalog add') and replay");
        assertThat(prepared.offsets()).containsExactlyEntriesOf(Map.of(new TopicPartition(STATS, 0), new OffsetRange(-1, 2)));
    }

    @Test
    void aRecordTheDecoderRefusesIsDeadLetteredWithItsReasonAmongTheGoodOnes() {
        ConsumerRecord<byte[], byte[]> tombstone = new ConsumerRecord<>(STATS, 0, 5, new byte[] {'k'}, null);
        BatchPreparer.Prepared prepared = preparer(() -> { }).prepare(List.of(stat(0, 4, DAY, MetricType.ONLINE, "accuracy"),
                tombstone, stat(0, 6, DAY, MetricType.ONLINE, "accuracy")), Map.of());
        assertThat(prepared.facts()).extracting(Fact::offset).containsExactly(4L, 6L);
        assertThat(prepared.rejected()).extracting(Rejected::reason).containsExactly("invalid-field");
    }
}

package statbridge.sink;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import statbridge.catalog.CatalogLookup;
import statbridge.catalog.TypeKey;
import statbridge.deadletter.Reasons;
import statbridge.sink.offsets.OffsetRange;
import statbridge.sink.writer.Fact;

/**
 * Turns the consumed records of one batch into what its transaction writes: the facts, the dead
 * letters (each record's {@link RecordDecoder} verdict, then the catalog's: a fact whose
 * {@code (metric_type, metric_key)} the catalog lacks has no legacy {@code metric_name} and is
 * dead-lettered {@code unmapped-metric-key}), how each partition's stored offset moves, and the
 * days the facts fall on (whose partitions must exist).
 */
final class BatchPreparer {

    /** One batch, ready for its transaction. */
    record Prepared(List<Fact> facts, List<Rejected> rejected, Map<TopicPartition, OffsetRange> offsets, Set<LocalDate> dates) {
    }

    private final RecordDecoder decoder;
    private final Supplier<? extends CatalogLookup> catalog;
    private final Runnable catalogCatchUp;

    /**
     * @param catalog the catalog as the sink knows it now
     * @param catalogCatchUp reads the catalog topic to its end: the pipeline writes a new entry in the
     *     same transaction as the event that needs it, so an entry missing now may be on its way
     */
    BatchPreparer(RecordDecoder decoder, Supplier<? extends CatalogLookup> catalog, Runnable catalogCatchUp) {
        this.decoder = decoder;
        this.catalog = catalog;
        this.catalogCatchUp = catalogCatchUp;
    }

    /**
     * @param stored the next offset stored for each partition, -1 when none is
     */
    Prepared prepare(List<ConsumerRecord<byte[], byte[]>> records, Map<TopicPartition, Long> stored) {
        List<Rejected> rejected = new ArrayList<>();
        Map<ConsumerRecord<byte[], byte[]>, Fact> candidates = new LinkedHashMap<>();
        Map<TopicPartition, OffsetRange> offsets = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> record : records) {
            TopicPartition partition = new TopicPartition(record.topic(), record.partition());
            offsets.merge(partition, new OffsetRange(stored.getOrDefault(partition, -1L), record.offset() + 1), OffsetRange::span);
            RecordDecoder.Decoded decoded = decoder.decode(record);
            if (decoded instanceof RecordDecoder.Accepted accepted) {
                candidates.put(record, accepted.fact());
            } else if (decoded instanceof RecordDecoder.Refused refused) {
                rejected.add(refused.rejected());
            }
        }
        List<ConsumerRecord<byte[], byte[]>> unmapped = new ArrayList<>();
        candidates.forEach((record, fact) -> {
            if (!mapped(fact)) {
                unmapped.add(record);
            }
        });
        if (!unmapped.isEmpty()) {
            catalogCatchUp.run();
        }
        Set<ConsumerRecord<byte[], byte[]>> stillUnmapped = new HashSet<>();
        for (ConsumerRecord<byte[], byte[]> record : unmapped) {
            Fact fact = candidates.get(record);
            if (!mapped(fact)) {
                stillUnmapped.add(record);
                rejected.add(new Rejected(record, Reasons.UNMAPPED_METRIC_KEY, "(" + fact.metricType() + ", " + fact.metricKey()
                        + ") is not in the metric catalog, so its legacy metric_name is unknown; add it "
                        + "('statbridge catalog add') and replay"));
            }
        }
        List<Fact> facts = new ArrayList<>();
        Set<LocalDate> dates = new HashSet<>();
        candidates.forEach((record, fact) -> {
            if (!stillUnmapped.contains(record)) {
                facts.add(fact);
                dates.add(fact.statDate());
            }
        });
        return new Prepared(facts, rejected, offsets, dates);
    }

    private boolean mapped(Fact fact) {
        return catalog.get().byTypeKey(new TypeKey(fact.metricType(), fact.metricKey())).isPresent();
    }
}

package statbridge.sink.writer;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;
import statbridge.catalog.CatalogEntry;
import statbridge.sink.db.RowKey;
import statbridge.sink.deadletter.DeadLetterOutbox;
import statbridge.sink.offsets.OffsetRange;

/**
 * What one transaction writes: the facts of a batch, the catalog entries the database does not
 * have yet, for each partition the offset stored before and the one to store now, and the
 * dead letters of the batch's bad records (recorded in the outbox with the rows, sent after).
 */
public record Batch(List<Fact> facts, List<CatalogEntry> newCatalogEntries, Map<TopicPartition, OffsetRange> offsets,
        List<DeadLetterOutbox.Entry> deadLetters) {

    /** A batch without bad records. */
    public Batch(List<Fact> facts, List<CatalogEntry> newCatalogEntries, Map<TopicPartition, OffsetRange> offsets) {
        this(facts, newCatalogEntries, offsets, List.of());
    }

    /** The latest fact per row and kind: within a batch only the newest version of a row matters. */
    public static Collection<Fact> latestPerRow(List<Fact> facts, Fact.Kind kind) {
        Map<RowKey, Fact> latest = new LinkedHashMap<>();
        for (Fact fact : facts) {
            if (fact.kind() == kind) {
                latest.merge(fact.rowKey(), fact, (a, b) -> b.isNewerThan(a) ? b : a);
            }
        }
        return latest.values();
    }
}

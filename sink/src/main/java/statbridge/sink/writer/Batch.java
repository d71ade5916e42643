package statbridge.sink.writer;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;
import statbridge.catalog.CatalogEntry;
import statbridge.sink.deadletter.DeadLetterOutbox;

/**
 * What one transaction writes: the facts of a batch, the catalog entries the database does not
 * have yet, for each partition the offset stored before and the one to store now, and the
 * dead letters of the batch's bad records (recorded in the outbox with the rows, sent after).
 */
public record Batch(List<Fact> facts, List<CatalogEntry> newCatalogEntries, Map<TopicPartition, Offsets> offsets,
        List<DeadLetterOutbox.Entry> deadLetters) {

    /** A batch without bad records. */
    public Batch(List<Fact> facts, List<CatalogEntry> newCatalogEntries, Map<TopicPartition, Offsets> offsets) {
        this(facts, newCatalogEntries, offsets, List.of());
    }

    /**
     * @param expected the next offset the database holds now, or -1 when it holds none
     * @param next the next offset to store
     */
    public record Offsets(long expected, long next) {
    }

    /** The latest fact per row and kind: within a batch only the newest version of a row matters. */
    public static Collection<Fact> latestPerRow(List<Fact> facts, Fact.Kind kind) {
        Map<Fact.RowKey, Fact> latest = new LinkedHashMap<>();
        for (Fact fact : facts) {
            if (fact.kind() == kind) {
                latest.merge(fact.rowKey(), fact, (a, b) -> b.isNewerThan(a) ? b : a);
            }
        }
        return latest.values();
    }
}

package statbridge.sink.catalog;

import java.util.ArrayList;
import java.util.List;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import statbridge.catalog.CatalogEntry;
import statbridge.catalog.TypeKey;

/**
 * The catalog topic against {@code ml_monitoring.metric_catalog}, the durable copy, as the sink
 * compares them when it starts: entries the table has and the topic lacks (the topic was deleted,
 * or compacted away) go back to the topic, so inference can never give a known name another
 * pair; a name or pair that the two map differently stops the sink until someone decides.
 *
 * @param restore table entries the topic lacks
 * @param conflicts how the two disagree, one line each
 */
record CatalogReconciliation(List<CatalogEntry> restore, List<String> conflicts) {

    /** Compares the topic's latest entries (one per name) with the table's rows. */
    public static CatalogReconciliation compare(Collection<CatalogEntry> topic, List<CatalogEntry> table) {
        Map<String, CatalogEntry> byName = new HashMap<>();
        Map<TypeKey, List<CatalogEntry>> byPair = new HashMap<>();
        for (CatalogEntry entry : topic) {
            byName.put(entry.metricName(), entry);
            byPair.computeIfAbsent(entry.typeKey(), k -> new ArrayList<>()).add(entry);
        }
        List<CatalogEntry> restore = new ArrayList<>();
        List<String> conflicts = new ArrayList<>();
        byPair.forEach((pair, names) -> {
            if (names.size() > 1) {
                conflicts.add(pair + " belongs to " + names.stream().map(e -> "'" + e.metricName() + "'").sorted().toList()
                        + " in the topic");
            }
        });
        for (CatalogEntry row : table) {
            CatalogEntry named = byName.get(row.metricName());
            List<CatalogEntry> paired = byPair.getOrDefault(row.typeKey(), List.of());
            if (named != null && !named.typeKey().equals(row.typeKey())) {
                conflicts.add("'" + row.metricName() + "' is " + row.typeKey() + " in the table but " + named.typeKey()
                        + " in the topic");
            } else if (paired.stream().anyMatch(e -> !e.metricName().equals(row.metricName()))) {
                conflicts.add(row.typeKey() + " is '" + row.metricName() + "' in the table but '"
                        + paired.stream().filter(e -> !e.metricName().equals(row.metricName())).findFirst().orElseThrow().metricName()
                        + "' in the topic");
            } else if (named == null) {
                restore.add(row);
            }
        }
        return new CatalogReconciliation(List.copyOf(restore), List.copyOf(conflicts));
    }
}

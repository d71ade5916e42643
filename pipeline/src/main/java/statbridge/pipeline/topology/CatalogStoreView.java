package statbridge.pipeline.topology;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import statbridge.catalog.CatalogEntry;
import statbridge.catalog.CatalogEntryCodec;
import statbridge.catalog.CatalogLookup;
import statbridge.catalog.TypeKey;

/**
 * The catalog as one stream task sees it: the global store fed by the {@code metric-catalog}
 * topic, plus the entries this task inferred and sent but the global store has not read back
 * yet. Parsed entries are cached and reused while the stored bytes stay the same, so a lookup
 * costs a map probe, not a JSON parse.
 */
final class CatalogStoreView implements CatalogLookup {

    private static final Logger LOG = LoggerFactory.getLogger(CatalogStoreView.class);

    private record Parsed(byte[] raw, CatalogEntry entry) {
    }

    private final KeyValueStore<String, byte[]> store;
    private final Map<String, Parsed> parsed = new HashMap<>();
    private final Map<String, CatalogEntry> pending = new HashMap<>();

    CatalogStoreView(KeyValueStore<String, byte[]> store) {
        this.store = store;
    }

    @Override
    public Optional<CatalogEntry> byName(String metricName) {
        byte[] raw = store.get(metricName);
        if (raw == null) {
            return Optional.ofNullable(pending.get(metricName));
        }
        Parsed cached = parsed.get(metricName);
        if (cached != null && Arrays.equals(cached.raw(), raw)) {
            return Optional.of(cached.entry());
        }
        pending.remove(metricName);
        try {
            CatalogEntry entry = CatalogEntryCodec.decode(raw);
            parsed.put(metricName, new Parsed(raw, entry));
            return Optional.of(entry);
        } catch (IllegalArgumentException e) {
            LOG.warn("ignoring unreadable catalog entry for '{}': {}", metricName, e.getMessage());
            return Optional.empty();
        }
    }

    /** Scans the whole catalog: only used when a name must be inferred, which is rare. */
    @Override
    public Optional<CatalogEntry> byTypeKey(TypeKey typeKey) {
        for (CatalogEntry entry : pending.values()) {
            if (entry.typeKey().equals(typeKey)) {
                return Optional.of(entry);
            }
        }
        try (KeyValueIterator<String, byte[]> all = store.all()) {
            while (all.hasNext()) {
                KeyValue<String, byte[]> next = all.next();
                try {
                    CatalogEntry entry = CatalogEntryCodec.decode(next.value);
                    if (entry.typeKey().equals(typeKey)) {
                        return Optional.of(entry);
                    }
                } catch (IllegalArgumentException e) {
                    // unreadable entries were reported by byName
                }
            }
        }
        return Optional.empty();
    }

    /** Remembers an entry this task inferred and sent to the catalog topic. */
    void remember(CatalogEntry entry) {
        pending.put(entry.metricName(), entry);
    }
}

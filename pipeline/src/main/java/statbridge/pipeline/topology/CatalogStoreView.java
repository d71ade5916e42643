package statbridge.pipeline.topology;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
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
 * yet. Parsed entries are cached until the catalog changes (the updater bumps a shared version),
 * so a lookup on the hot path is one hash-map probe.
 */
final class CatalogStoreView implements CatalogLookup {

    private static final Logger LOG = LoggerFactory.getLogger(CatalogStoreView.class);

    private final KeyValueStore<String, byte[]> store;
    private final AtomicLong version;
    private final Map<String, Optional<CatalogEntry>> cache = new HashMap<>();
    private final Map<String, CatalogEntry> pending = new HashMap<>();
    private long cachedVersion = -1;

    CatalogStoreView(KeyValueStore<String, byte[]> store, AtomicLong version) {
        this.store = store;
        this.version = version;
    }

    @Override
    public Optional<CatalogEntry> byName(String metricName) {
        long current = version.get();
        if (current != cachedVersion) {
            cache.clear();
            cachedVersion = current;
        }
        Optional<CatalogEntry> cached = cache.get(metricName);
        if (cached != null && cached.isPresent()) {
            return cached;
        }
        byte[] raw = store.get(metricName);
        if (raw == null) {
            return Optional.ofNullable(pending.get(metricName));
        }
        pending.remove(metricName);
        try {
            Optional<CatalogEntry> entry = Optional.of(CatalogEntryCodec.decode(raw));
            cache.put(metricName, entry);
            return entry;
        } catch (IllegalArgumentException e) {
            LOG.warn("ignoring unreadable catalog entry for '{}': {}", metricName, e.getMessage());
            return Optional.empty();
        }
    }

    /** {@link #byName}, or null when the catalog has no entry for the name. */
    CatalogEntry entryOrNull(String metricName) {
        return byName(metricName).orElse(null);
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

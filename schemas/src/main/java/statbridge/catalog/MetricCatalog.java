package statbridge.catalog;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import statbridge.v2.MetricType;

/**
 * The bijective mapping {@code metric_name <-> (metric_type, metric_key)}: one legacy name per
 * pair and one pair per name, so that legacy rows can be rebuilt exactly from the new tables.
 * Immutable; {@link #with} returns a new catalog or refuses a change that would break the
 * bijection, or that would change a published mapping (history was written with it).
 */
public final class MetricCatalog implements CatalogLookup {

    private static final MetricCatalog EMPTY = new MetricCatalog(new TreeMap<>(), new HashMap<>());

    private final Map<String, CatalogEntry> byName;
    private final Map<TypeKey, CatalogEntry> byTypeKey;

    private MetricCatalog(TreeMap<String, CatalogEntry> byName, Map<TypeKey, CatalogEntry> byTypeKey) {
        this.byName = Collections.unmodifiableMap(byName);
        this.byTypeKey = Collections.unmodifiableMap(byTypeKey);
    }

    public static MetricCatalog empty() {
        return EMPTY;
    }

    /** A catalog of these entries, refusing any set that is not bijective. */
    public static MetricCatalog of(Collection<CatalogEntry> entries) {
        MetricCatalog catalog = EMPTY;
        for (CatalogEntry entry : entries) {
            catalog = catalog.with(entry);
        }
        return catalog;
    }

    /**
     * This catalog plus {@code entry}. Adding a mapping that is already there returns this catalog.
     *
     * @throws CatalogConflictException when the name already maps to another pair, or the pair
     *     already belongs to another name
     */
    public MetricCatalog with(CatalogEntry entry) {
        checkAddable(entry);
        if (byName.containsKey(entry.metricName())) {
            return this;
        }
        TreeMap<String, CatalogEntry> names = new TreeMap<>(byName);
        Map<TypeKey, CatalogEntry> pairs = new HashMap<>(byTypeKey);
        names.put(entry.metricName(), entry);
        pairs.put(entry.typeKey(), entry);
        return new MetricCatalog(names, pairs);
    }

    /**
     * The entries of {@code entries} this catalog does not hold yet, in order: what adding them all
     * would write. All or nothing: checked against this catalog and against each other.
     *
     * @throws CatalogConflictException naming every conflict
     */
    public List<CatalogEntry> missing(List<CatalogEntry> entries) {
        MetricCatalog catalog = this;
        List<CatalogEntry> missing = new ArrayList<>();
        List<String> conflicts = new ArrayList<>();
        for (CatalogEntry entry : entries) {
            try {
                if (catalog.byName(entry.metricName()).isEmpty()) {
                    catalog = catalog.with(entry);
                    missing.add(entry);
                } else {
                    catalog.checkAddable(entry);
                }
            } catch (CatalogConflictException e) {
                conflicts.add(e.getMessage());
            }
        }
        if (!conflicts.isEmpty()) {
            throw new CatalogConflictException(String.join("; ", conflicts));
        }
        return missing;
    }

    /** Throws when {@link #with} would refuse {@code entry}. */
    public void checkAddable(CatalogEntry entry) {
        CatalogEntry existing = byName.get(entry.metricName());
        if (existing != null && !existing.sameMapping(entry)) {
            throw new CatalogConflictException("metric_name '" + entry.metricName() + "' already maps to "
                    + existing.typeKey() + "; a published mapping cannot change to " + entry.typeKey()
                    + " because legacy rows are rebuilt from it");
        }
        CatalogEntry owner = byTypeKey.get(entry.typeKey());
        if (owner != null && !owner.metricName().equals(entry.metricName())) {
            throw new CatalogConflictException(entry.typeKey() + " already belongs to metric_name '" + owner.metricName()
                    + "'; mapping '" + entry.metricName() + "' to it too would make the legacy name ambiguous");
        }
    }

    @Override
    public Optional<CatalogEntry> byName(String metricName) {
        return Optional.ofNullable(byName.get(metricName));
    }

    @Override
    public Optional<CatalogEntry> byTypeKey(TypeKey typeKey) {
        return Optional.ofNullable(byTypeKey.get(typeKey));
    }

    public Optional<CatalogEntry> byTypeKey(MetricType type, String key) {
        return byTypeKey(new TypeKey(type, key));
    }

    /** Every entry, by metric name. */
    public Collection<CatalogEntry> entries() {
        return byName.values();
    }

    public int size() {
        return byName.size();
    }
}

package statbridge.catalog;

import java.util.Optional;

/** Read access to a metric catalog, both ways. */
public interface CatalogLookup {

    Optional<CatalogEntry> byName(String metricName);

    Optional<CatalogEntry> byTypeKey(TypeKey typeKey);
}

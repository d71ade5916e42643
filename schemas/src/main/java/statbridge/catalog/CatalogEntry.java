package statbridge.catalog;

import java.util.Objects;
import statbridge.v2.MetricType;

/**
 * One mapping of the metric catalog: a legacy {@code metric_name} and the {@code (metric_type,
 * metric_key)} it became.
 *
 * @param metricName the v1 name, e.g. {@code psi_country}
 * @param metricType ONLINE, BUSINESS or DRIFT (never the reader default UNKNOWN)
 * @param metricKey the v2 key, e.g. {@code psi_country}
 * @param origin how the entry came to be
 */
public record CatalogEntry(String metricName, MetricType metricType, String metricKey, Origin origin) {

    /** Longest metric name or key accepted. */
    public static final int MAX_LENGTH = 200;

    /** How an entry came into the catalog. */
    public enum Origin {
        /** From the seed file shipped with statbridge or given at first start. */
        SEED,
        /** Added by a person ({@code statbridge catalog add/import}). */
        MANUAL,
        /** Inferred by the pipeline's rules for a name it met unmapped, and recorded so it stays stable. */
        INFERRED
    }

    public CatalogEntry {
        checkText("metric_name", metricName);
        checkText("metric_key", metricKey);
        Objects.requireNonNull(origin, "origin");
        if (metricType == null || metricType == MetricType.UNKNOWN) {
            throw new IllegalArgumentException("metric_type of '" + metricName + "' must be ONLINE, BUSINESS or DRIFT, not " + metricType);
        }
    }

    public static CatalogEntry of(String metricName, MetricType metricType, String metricKey) {
        return new CatalogEntry(metricName, metricType, metricKey, Origin.MANUAL);
    }

    /** The v2 identity of this metric. */
    public TypeKey typeKey() {
        return new TypeKey(metricType, metricKey);
    }

    /** True when both entries map the same name to the same pair, whatever their origin. */
    public boolean sameMapping(CatalogEntry other) {
        return metricName.equals(other.metricName) && metricType == other.metricType && metricKey.equals(other.metricKey);
    }

    private static void checkText(String field, String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(field + " must not be empty");
        }
        if (value.length() > MAX_LENGTH) {
            throw new IllegalArgumentException(field + " is " + value.length() + " characters; at most " + MAX_LENGTH);
        }
        if (!value.equals(value.strip())) {
            throw new IllegalArgumentException(field + " '" + value + "' has leading or trailing spaces");
        }
        if (value.chars().anyMatch(c -> Character.isISOControl(c) || c == '\uFFFD')) {
            throw new IllegalArgumentException(field + " contains control or replacement characters");
        }
    }

    @Override
    public String toString() {
        return metricName + " -> (" + metricType + ", " + metricKey + ")";
    }
}

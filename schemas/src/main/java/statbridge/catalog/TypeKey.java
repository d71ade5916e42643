package statbridge.catalog;

import statbridge.v2.MetricType;

/** The v2 identity of a metric: {@code (metric_type, metric_key)}. */
public record TypeKey(MetricType type, String key) {

    @Override
    public String toString() {
        return "(" + type + ", " + key + ")";
    }
}

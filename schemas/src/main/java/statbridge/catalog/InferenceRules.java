package statbridge.catalog;

import java.util.List;
import java.util.Locale;
import java.util.Set;
import statbridge.v2.MetricType;

/**
 * How the pipeline maps a metric name the catalog does not know, under the INFER policy: names
 * starting with a drift prefix are DRIFT, names in the business list are BUSINESS, anything else
 * is ONLINE; the key is the name itself. Deterministic, so every instance infers the same entry.
 *
 * @param driftPrefixes e.g. {@code psi_}, {@code ks_}, {@code drift_}
 * @param businessNames e.g. {@code churn_rate}, {@code revenue}
 */
public record InferenceRules(List<String> driftPrefixes, Set<String> businessNames) {

    public static final List<String> DEFAULT_DRIFT_PREFIXES = List.of("psi_", "ks_", "drift_", "js_", "kl_", "wasserstein_");
    public static final Set<String> DEFAULT_BUSINESS_NAMES = Set.of("churn_rate", "conversion_rate", "revenue",
            "revenue_per_user", "retention_rate", "ctr", "aov", "ltv", "cost_per_acquisition", "net_promoter_score");

    public InferenceRules {
        driftPrefixes = List.copyOf(driftPrefixes);
        businessNames = Set.copyOf(businessNames);
    }

    public static InferenceRules defaults() {
        return new InferenceRules(DEFAULT_DRIFT_PREFIXES, DEFAULT_BUSINESS_NAMES);
    }

    /** The entry the rules give {@code metricName}. */
    public CatalogEntry infer(String metricName) {
        String lower = metricName.toLowerCase(Locale.ROOT);
        MetricType type = MetricType.ONLINE;
        if (businessNames.contains(lower)) {
            type = MetricType.BUSINESS;
        } else if (driftPrefixes.stream().anyMatch(lower::startsWith)) {
            type = MetricType.DRIFT;
        }
        return new CatalogEntry(metricName, type, metricName, CatalogEntry.Origin.INFERRED);
    }
}

package statbridge.pipeline.upcast;

import java.util.Optional;
import statbridge.catalog.CatalogEntry;
import statbridge.catalog.CatalogLookup;
import statbridge.catalog.InferenceRules;
import statbridge.catalog.UnmappedPolicy;
import statbridge.contract.StatValidator;
import statbridge.deadletter.Reasons;
import statbridge.v2.BusinessStat;
import statbridge.v2.ModelStat;

/**
 * Upcasts a {@code ModelStat} v1 event into a {@code ModelStat} v2 and a {@code BusinessStat}: the
 * metric name becomes {@code (metric_type, metric_key)} through the catalog, the business value
 * moves to its own event (null when absent, so a correction can withdraw a KPI). A pure
 * function of its inputs.
 */
public final class Upcaster {

    private final StatValidator validator;
    private final UnmappedPolicy policy;
    private final InferenceRules rules;

    public Upcaster(StatValidator validator, UnmappedPolicy policy, InferenceRules rules) {
        this.validator = validator;
        this.policy = policy;
        this.rules = rules;
    }

    /** What the validator accepts. */
    public StatValidator.Limits limits() {
        return validator.limits();
    }

    /**
     * @param key the record key, which must be {@code model_name/model_version/stat_date/slice_key}
     * @param event the v1 event
     * @param catalog the metric catalog as it stands
     */
    public UpcastResult upcast(String key, statbridge.v1.ModelStat event, CatalogLookup catalog) {
        Optional<StatValidator.Violation> violation = validator.validate(key, event);
        if (violation.isPresent()) {
            return new UpcastResult.Rejected(violation.get().reason(), violation.get().message());
        }
        String name = event.getMetricName();
        CatalogEntry entry = catalog.byName(name).orElse(null);
        CatalogEntry inferred = null;
        if (entry == null) {
            if (policy == UnmappedPolicy.DLQ) {
                return new UpcastResult.Rejected(Reasons.UNMAPPED_METRIC_NAME, "metric_name '" + name
                        + "' is not in the metric catalog; add it ('statbridge catalog add') and replay");
            }
            CatalogEntry candidate = rules.infer(name);
            Optional<CatalogEntry> owner = catalog.byTypeKey(candidate.typeKey());
            if (owner.isPresent()) {
                return new UpcastResult.Rejected(Reasons.UNMAPPED_METRIC_NAME, "metric_name '" + name
                        + "' is not in the metric catalog and the inferred " + candidate.typeKey()
                        + " already belongs to '" + owner.get().metricName() + "'; add an explicit mapping and replay");
            }
            entry = candidate;
            inferred = candidate;
        }
        // The all-arguments constructors: the builders validate and deep-copy defaults on every call.
        ModelStat stat = new ModelStat(event.getModelName(), event.getModelVersion(), event.getStatDate(),
                event.getSliceKey(), entry.metricType(), entry.metricKey(), event.getMetricValue());
        BusinessStat business = new BusinessStat(event.getModelName(), event.getModelVersion(), event.getStatDate(),
                event.getSliceKey(), entry.metricType(), entry.metricKey(), event.getBusinessMetricValue());
        return new UpcastResult.Upcast(stat, business, inferred);
    }
}

package statbridge.catalog;

/** What the pipeline does with a metric name the catalog does not know. */
public enum UnmappedPolicy {
    /** Infer the entry with {@link InferenceRules}, record it in the catalog so it stays stable, and upcast. */
    INFER,
    /** Dead-letter the event ({@code unmapped-metric-name}) until someone adds the name; then replay it. */
    DLQ
}

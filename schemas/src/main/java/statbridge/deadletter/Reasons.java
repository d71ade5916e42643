package statbridge.deadletter;

/** The machine-readable dead-letter reason codes (the {@code statbridge.error.reason} header). */
public final class Reasons {

    /** The bytes are not in the Confluent wire format, or the Avro body does not decode. */
    public static final String BAD_WIRE_FORMAT = "bad-wire-format";
    /** The schema id in the header is unknown to the registry. */
    public static final String UNKNOWN_SCHEMA_ID = "unknown-schema-id";
    /** The writer's schema is a record the reader cannot read (e.g. another subject's). */
    public static final String INCOMPATIBLE_SCHEMA = "incompatible-schema";
    /** The registry gives the schema id as another schema type (JSON Schema, Protobuf), with references, or unparseable. */
    public static final String UNSUPPORTED_SCHEMA = "unsupported-schema";
    /** An output of the record (its upcast events) is larger than its topic accepts. */
    public static final String RECORD_TOO_LARGE = "record-too-large";
    /** Processing the record failed in a way no other reason describes; the message says how. */
    public static final String PROCESSING_ERROR = "processing-error";
    /** The catalog has no entry for the metric name and the policy is DLQ (or inference conflicted). */
    public static final String UNMAPPED_METRIC_NAME = "unmapped-metric-name";
    /** The catalog has no entry for a v2 (metric_type, metric_key) the sink must write to the legacy table. */
    public static final String UNMAPPED_METRIC_KEY = "unmapped-metric-key";
    /** A required field is missing, empty, too long, non-finite, out of range or holds control characters. */
    public static final String INVALID_FIELD = "invalid-field";
    /** The record key is not {@code model_name/model_version/stat_date/slice_key} of the value. */
    public static final String KEY_MISMATCH = "key-mismatch";
    /** The metric_type is one this version does not know (read as the enum default UNKNOWN). */
    public static final String UNKNOWN_METRIC_TYPE = "unknown-metric-type";

    private Reasons() {
    }
}

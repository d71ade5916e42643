package statbridge.contract;

import org.apache.avro.Schema;
import statbridge.config.CommonSettings;
import statbridge.config.Configuration;

/**
 * The Avro records of the statbridge contract, each with the topic it travels on by default.
 * The schemas come from the classes generated from the {@code .avsc} files, the single source
 * of truth.
 */
public enum ContractSchema {
    MODEL_STAT_V1(statbridge.v1.ModelStat.getClassSchema(), "model-stats.v1"),
    MODEL_STAT_V2(statbridge.v2.ModelStat.getClassSchema(), "model-stats.v2"),
    BUSINESS_STAT_V2(statbridge.v2.BusinessStat.getClassSchema(), "model-business-stats.v2");

    private final Schema schema;
    private final String defaultTopic;

    ContractSchema(Schema schema, String defaultTopic) {
        this.schema = schema;
        this.defaultTopic = defaultTopic;
    }

    /** The current schema, as generated from the .avsc file. */
    public Schema schema() {
        return schema;
    }

    /** The record's full name, e.g. {@code statbridge.v1.ModelStat}. */
    public String fullName() {
        return schema.getFullName();
    }

    /** The contract record with this schema's full name. */
    public static ContractSchema of(Schema schema) {
        for (ContractSchema record : values()) {
            if (record.fullName().equals(schema.getFullName())) {
                return record;
            }
        }
        throw new IllegalArgumentException("not a statbridge contract record: " + schema.getFullName());
    }

    /** The topic the record travels on unless configured otherwise. */
    public String defaultTopic() {
        return defaultTopic;
    }

    /** The topic this record travels on, as {@code config} names it. */
    public String topic(Configuration config) {
        return config.get(switch (this) {
            case MODEL_STAT_V1 -> CommonSettings.TOPIC_V1;
            case MODEL_STAT_V2 -> CommonSettings.TOPIC_V2;
            case BUSINESS_STAT_V2 -> CommonSettings.TOPIC_BUSINESS_V2;
        });
    }
}

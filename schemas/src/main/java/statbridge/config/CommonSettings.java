package statbridge.config;

import java.util.List;

/**
 * The settings every component shares: where Kafka, the registry and PostgreSQL are, and the
 * topic names of the contract. Defaults point at a {@code statbridge up} on this machine.
 */
public final class CommonSettings {

    public static final Setting KAFKA_BOOTSTRAP_SERVERS = new Setting("kafka.bootstrap.servers", "localhost:9092",
            "Kafka bootstrap servers. Every other kafka.* key passes straight to the Kafka clients "
                    + "(e.g. kafka.security.protocol, kafka.sasl.jaas.config, kafka.ssl.truststore.location).");
    public static final Setting SCHEMA_REGISTRY_URL = new Setting("schema.registry.url", "http://localhost:8081",
            "Schema registry URL(s), comma-separated. Every other schema.registry.* key and "
                    + "basic.auth.* passes to the registry client (Confluent key names).");
    public static final Setting JDBC_URL = new Setting("jdbc.url", "jdbc:postgresql://localhost:5432/postgres",
            "PostgreSQL JDBC URL.");
    public static final Setting JDBC_USER = new Setting("jdbc.user", "postgres", "PostgreSQL user.");
    public static final Setting JDBC_PASSWORD = Setting.password("jdbc.password", "PostgreSQL password. Never logged.");

    public static final Setting TOPIC_V1 = new Setting("topic.v1", "model-stats.v1",
            "Topic of ModelStat v1 events (legacy publishers).");
    public static final Setting TOPIC_V2 = new Setting("topic.v2", "model-stats.v2",
            "Topic of ModelStat v2 events.");
    public static final Setting TOPIC_BUSINESS_V2 = new Setting("topic.business.v2", "model-business-stats.v2",
            "Topic of BusinessStat v2 events.");
    public static final Setting TOPIC_DLQ = new Setting("topic.dlq", "model-stats.dlq",
            "Dead-letter topic: original key and value bytes, with the reason in headers.");
    public static final Setting TOPIC_CATALOG = new Setting("topic.catalog", "metric-catalog",
            "Compacted topic holding the metric catalog.");

    /** Keys that go to the Kafka clients as they are, without the prefix (security, SASL, TLS, tuning). */
    public static final String KAFKA_PASS_THROUGH = "kafka.";

    private CommonSettings() {
    }

    public static List<Setting> all() {
        return Setting.declaredIn(CommonSettings.class);
    }

    /** Kafka client settings: bootstrap servers plus every pass-through {@code kafka.*} key (security, SASL, TLS). */
    public static java.util.Map<String, Object> kafkaClientConfig(Configuration config) {
        java.util.Map<String, Object> client = new java.util.HashMap<>(config.withPrefix(KAFKA_PASS_THROUGH));
        client.put("bootstrap.servers", config.get(KAFKA_BOOTSTRAP_SERVERS));
        return client;
    }
}

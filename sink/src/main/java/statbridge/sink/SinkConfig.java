package statbridge.sink;

import statbridge.contract.ValidationSettings;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import statbridge.config.CommonSettings;
import statbridge.config.Configuration;
import statbridge.config.ConfigurationException;
import statbridge.registry.RegistrySettings;
import statbridge.config.Setting;
import statbridge.contract.StatValidator;
import statbridge.sink.db.DatabaseConfig;
import statbridge.sink.dualwrite.GraceAction;

/**
 * Everything the sink needs to run, resolved and validated from a {@link Configuration}.
 *
 * @param acceptDataLoss partitions (as {@code topic-partition}, or {@code all}) that may continue
 *     from the log start when their stored offset fell below it
 */
public record SinkConfig(
        String v2Topic,
        String businessTopic,
        String dlqTopic,
        String catalogTopic,
        String groupId,
        int batchMaxRecords,
        long batchMaxWaitMs,
        int writeLanes,
        boolean migrateOnStart,
        long retryMaxBackoffMs,
        Instant gracePeriodEnd,
        GraceAction graceAction,
        int partitionsAheadMonths,
        int partitionFillfactor,
        boolean metricSeries,
        Set<String> acceptDataLoss,
        StatValidator.Limits limits,
        DatabaseConfig database,
        Map<String, Object> kafka,
        Map<String, Object> consumer,
        Map<String, Object> registry) {

    /**
     * @throws ConfigurationException naming every key whose value its declaration does not allow
     */
    public static SinkConfig from(Configuration config) {
        config.validate(settings());
        Map<String, Object> kafka = new HashMap<>(CommonSettings.kafkaClientConfig(config));
        Map<String, Object> consumer = new HashMap<>(kafka);
        consumer.putAll(config.withPrefix(SinkSettings.CONSUMER_PASS_THROUGH));
        int batch = config.getInt(SinkSettings.BATCH_MAX_RECORDS);
        DatabaseConfig database = DatabaseConfig.from(config);
        return new SinkConfig(
                config.get(CommonSettings.TOPIC_V2),
                config.get(CommonSettings.TOPIC_BUSINESS_V2),
                config.get(CommonSettings.TOPIC_DLQ),
                config.get(CommonSettings.TOPIC_CATALOG),
                config.get(SinkSettings.GROUP_ID),
                batch,
                config.getLong(SinkSettings.BATCH_MAX_WAIT_MS),
                config.getInt(SinkSettings.WRITE_LANES),
                config.getBoolean(SinkSettings.MIGRATE_ON_START),
                config.getLong(SinkSettings.RETRY_MAX_BACKOFF_MS),
                config.getInstant(SinkSettings.GRACE_PERIOD_END).orElse(null),
                config.getEnum(SinkSettings.GRACE_PERIOD_ACTION, GraceAction.class),
                config.getInt(SinkSettings.PARTITIONS_AHEAD_MONTHS),
                config.getInt(SinkSettings.PARTITION_FILLFACTOR),
                config.getBoolean(SinkSettings.METRIC_SERIES),
                Set.copyOf(config.getList(SinkSettings.ACCEPT_DATA_LOSS)),
                ValidationSettings.limits(config),
                database,
                kafka,
                consumer,
                new HashMap<>(RegistrySettings.clientConfig(config))).validate();
    }

    /**
     * Checks the rules between settings that no single declaration can, as HikariConfig's
     * {@code validate()} does: the write lanes share the pool, so there are no more of them than
     * connections in it.
     *
     * @return this configuration
     * @throws ConfigurationException naming the keys and their values
     */
    public SinkConfig validate() {
        if (writeLanes < 1 || writeLanes > database.poolSize()) {
            throw new ConfigurationException(SinkSettings.WRITE_LANES.key() + " must be between 1 and "
                    + SinkSettings.POOL_SIZE.key() + " (" + database.poolSize() + "), not " + writeLanes);
        }
        return this;
    }

    /** Every key the sink reads: the shared ones, the registry client's and its own. */
    public static List<Setting> settings() {
        List<Setting> all = new ArrayList<>(CommonSettings.all());
        all.addAll(ValidationSettings.all());
        all.addAll(RegistrySettings.all());
        all.addAll(SinkSettings.all());
        return all;
    }
}

package statbridge.pipeline;

import statbridge.contract.ValidationSettings;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import statbridge.catalog.InferenceRules;
import statbridge.catalog.UnmappedPolicy;
import statbridge.config.CommonSettings;
import statbridge.config.Configuration;
import statbridge.registry.RegistrySettings;
import statbridge.config.Setting;
import statbridge.contract.StatValidator;
import statbridge.pipeline.errors.DeadLetterProcessingExceptionHandler;
import statbridge.pipeline.errors.DeadLetterProductionExceptionHandler;

/**
 * Everything the pipeline needs to run, resolved and validated from a {@link Configuration}.
 *
 * @param streams Kafka Streams properties (client pass-through included)
 * @param registry schema registry client settings
 */
public record PipelineConfig(
        String v1Topic,
        String v2Topic,
        String businessTopic,
        String dlqTopic,
        String catalogTopic,
        UnmappedPolicy unmappedPolicy,
        InferenceRules inferenceRules,
        StatValidator.Limits limits,
        boolean createTopics,
        int topicPartitions,
        short topicReplicationFactor,
        Map<String, Object> streams,
        Map<String, Object> registry) {

    /**
     * @throws statbridge.config.ConfigurationException naming every key whose value its declaration does not allow
     */
    public static PipelineConfig from(Configuration config) {
        config.validate(settings());
        Map<String, Object> streams = new HashMap<>(CommonSettings.kafkaClientConfig(config));
        streams.put("application.id", config.get(PipelineSettings.APPLICATION_ID));
        streams.put("processing.guarantee", "exactly_once_v2");
        streams.put("num.stream.threads", config.getInt(PipelineSettings.THREADS));
        streams.put("commit.interval.ms", config.getLong(PipelineSettings.COMMIT_INTERVAL_MS));
        if (config.get(PipelineSettings.STATE_DIR) != null) {
            streams.put("state.dir", config.get(PipelineSettings.STATE_DIR));
        }
        streams.put("producer.linger.ms", 10);
        streams.put("producer.batch.size", 262_144);
        streams.put("producer.compression.type", config.getEnum(PipelineSettings.OUTPUT_COMPRESSION,
                PipelineSettings.OutputCompression.class).name().toLowerCase(java.util.Locale.ROOT));
        // A record that throws, or whose output its topic refuses, is dead-lettered instead of stopping a thread.
        streams.put("errors.dead.letter.queue.topic.name", config.get(CommonSettings.TOPIC_DLQ));
        streams.put("processing.exception.handler", DeadLetterProcessingExceptionHandler.class.getName());
        streams.put("production.exception.handler", DeadLetterProductionExceptionHandler.class.getName());
        streams.putAll(config.withPrefix(PipelineSettings.STREAMS_PASS_THROUGH));
        Map<String, Object> registry = new HashMap<>(RegistrySettings.clientConfig(config));
        return new PipelineConfig(
                config.get(CommonSettings.TOPIC_V1),
                config.get(CommonSettings.TOPIC_V2),
                config.get(CommonSettings.TOPIC_BUSINESS_V2),
                config.get(CommonSettings.TOPIC_DLQ),
                config.get(CommonSettings.TOPIC_CATALOG),
                config.getEnum(PipelineSettings.UNMAPPED_POLICY, UnmappedPolicy.class),
                new InferenceRules(config.getList(PipelineSettings.INFER_DRIFT_PREFIXES),
                        new HashSet<>(config.getList(PipelineSettings.INFER_BUSINESS_NAMES))),
                ValidationSettings.limits(config),
                config.getBoolean(PipelineSettings.CREATE_TOPICS),
                config.getInt(PipelineSettings.TOPIC_PARTITIONS),
                (short) config.getInt(PipelineSettings.TOPIC_REPLICATION_FACTOR),
                streams,
                registry);
    }

    /** Every key the pipeline reads: the shared ones, the registry client's and its own. */
    public static List<Setting> settings() {
        List<Setting> all = new ArrayList<>(CommonSettings.all());
        all.addAll(ValidationSettings.all());
        all.addAll(RegistrySettings.all());
        all.addAll(PipelineSettings.all());
        return all;
    }
}

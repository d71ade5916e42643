package statbridge.publish;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import statbridge.contract.ContractSchema;
import statbridge.contract.StatKey;
import statbridge.contract.StatValidator;
import statbridge.registry.SchemaRegistryClient;
import statbridge.registry.SchemaRegistryClients;
import statbridge.serde.AvroSerializer;
import statbridge.v2.BusinessStat;

/**
 * What a model-serving job embeds to publish daily statistics: v1 (legacy shape) or v2 events,
 * keyed as the contract says, in the Confluent wire format, checked before they leave (an invalid
 * stat is refused with the reason, never sent), sent asynchronously; {@link #flush()} waits for
 * everything sent so far.
 *
 * <pre>{@code
 * try (StatPublisher publisher = StatPublisher.create("localhost:9092", "http://localhost:8081")) {
 *     publisher.publish(new statbridge.v1.ModelStat("IntentClassifier", "v4", LocalDate.now(), "ALL",
 *             "accuracy", 0.93, null));
 *     publisher.flush();
 * }
 * }</pre>
 */
public final class StatPublisher implements AutoCloseable {

    private final KafkaProducer<byte[], byte[]> producer;
    private final SchemaRegistryClient registry;
    private final AvroSerializer<Object> serializer;
    private final StatValidator validator;
    private final Map<ContractSchema, String> topics;

    private StatPublisher(KafkaProducer<byte[], byte[]> producer, SchemaRegistryClient registry, Map<ContractSchema, String> topics,
            StatValidator.Limits limits) {
        this.producer = producer;
        this.validator = new StatValidator(limits);
        this.registry = registry;
        this.serializer = new AvroSerializer<>(registry, false, Map.of());
        this.topics = topics;
    }

    /** A publisher to the contract's default topics. */
    public static StatPublisher create(String bootstrapServers, String registryUrl) {
        return create(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers), Map.of("schema.registry.url", registryUrl),
                Map.of());
    }

    /**
     * @param producerConfig Kafka producer settings (security included); acks=all and idempotence are set
     * @param registryConfig registry client settings (Confluent key names)
     * @param topics topic overrides per record type; the contract's defaults otherwise
     */
    public static StatPublisher create(Map<String, Object> producerConfig, Map<String, ?> registryConfig,
            Map<ContractSchema, String> topics) {
        return create(producerConfig, registryConfig, topics, StatValidator.Limits.defaults());
    }

    /** As {@link #create(Map, Map, Map)}, checking stats against {@code limits} instead of the defaults. */
    public static StatPublisher create(Map<String, Object> producerConfig, Map<String, ?> registryConfig,
            Map<ContractSchema, String> topics, StatValidator.Limits limits) {
        Map<String, Object> config = new HashMap<>(producerConfig);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 10);
        config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        Map<ContractSchema, String> resolved = new HashMap<>();
        for (ContractSchema record : ContractSchema.values()) {
            resolved.put(record, topics.getOrDefault(record, record.defaultTopic()));
        }
        return new StatPublisher(new KafkaProducer<>(config), SchemaRegistryClients.create(registryConfig), resolved, limits);
    }

    /** Publishes a v1 (legacy-shape) stat. */
    public CompletableFuture<RecordMetadata> publish(statbridge.v1.ModelStat stat) {
        String key = StatKey.of(stat).render();
        return send(ContractSchema.MODEL_STAT_V1, key, stat, validator.validate(key, stat));
    }

    /** Publishes a v2 model stat. */
    public CompletableFuture<RecordMetadata> publish(statbridge.v2.ModelStat stat) {
        String key = StatKey.of(stat).render();
        return send(ContractSchema.MODEL_STAT_V2, key, stat, validator.validate(key, stat));
    }

    /** Publishes a v2 business stat (a null value withdraws the KPI). */
    public CompletableFuture<RecordMetadata> publish(BusinessStat stat) {
        String key = StatKey.of(stat).render();
        return send(ContractSchema.BUSINESS_STAT_V2, key, stat, validator.validate(key, stat));
    }

    /** Publishes any of the contract's stat records (v1 or v2 model stat, business stat). */
    public CompletableFuture<RecordMetadata> publish(org.apache.avro.specific.SpecificRecord stat) {
        if (stat instanceof statbridge.v1.ModelStat v1) {
            return publish(v1);
        }
        if (stat instanceof statbridge.v2.ModelStat v2) {
            return publish(v2);
        }
        if (stat instanceof BusinessStat business) {
            return publish(business);
        }
        throw new IllegalArgumentException("not a statbridge stat record: " + stat.getSchema().getFullName());
    }

    private CompletableFuture<RecordMetadata> send(ContractSchema type, String key, Object stat,
            Optional<StatValidator.Violation> violation) {
        if (violation.isPresent()) {
            throw new IllegalArgumentException(violation.get().reason() + ": " + violation.get().message());
        }
        String topic = topics.get(type);
        CompletableFuture<RecordMetadata> result = new CompletableFuture<>();
        producer.send(new ProducerRecord<>(topic, key.getBytes(StandardCharsets.UTF_8), serializer.serialize(topic, stat)),
                (metadata, error) -> {
                    if (error != null) {
                        result.completeExceptionally(error);
                    } else {
                        result.complete(metadata);
                    }
                });
        return result;
    }

    /** Waits until everything published so far is acknowledged. */
    public void flush() {
        producer.flush();
    }

    @Override
    public void close() {
        producer.close();
        registry.close();
    }
}

package statbridge.pipeline.topology;

import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.Stores;
import statbridge.contract.StatValidator;
import statbridge.pipeline.PipelineConfig;
import statbridge.pipeline.PipelineMetrics;
import statbridge.pipeline.upcast.Upcaster;
import statbridge.registry.SchemaRegistryClient;
import statbridge.serde.AvroSerializer;

/**
 * The upcast topology:
 *
 * <pre>
 *   metric-catalog ──► [global store: catalog]
 *                                │ (lookups)
 *   model-stats.v1 ──► upcast ───┼──► model-stats.v2           (ModelStat v2)
 *                                ├──► model-business-stats.v2  (BusinessStat v2)
 *                                ├──► model-stats.dlq          (original bytes + reason headers)
 *                                └──► metric-catalog           (entries inferred under INFER)
 * </pre>
 *
 * Keys and record timestamps pass through unchanged; run with {@code exactly_once_v2}.
 */
public final class UpcastTopology {

    public static final String CATALOG_STORE = "metric-catalog-store";
    static final String V2_SINK = "v2-sink";
    static final String BUSINESS_SINK = "business-sink";
    static final String DLQ_SINK = "dlq-sink";
    static final String CATALOG_SINK = "catalog-sink";

    private UpcastTopology() {
    }

    /** Builds the topology over {@code registry} with no limit on record sizes; metrics go to {@code metrics}. */
    public static Topology build(PipelineConfig config, SchemaRegistryClient registry, PipelineMetrics metrics) {
        return build(config, registry, metrics, RecordLimits.unlimited());
    }

    /** Builds the topology over {@code registry}; records larger than {@code limits} are dead-lettered. */
    public static Topology build(PipelineConfig config, SchemaRegistryClient registry, PipelineMetrics metrics,
            RecordLimits limits) {
        Upcaster upcaster = new Upcaster(new StatValidator(config.limits()), config.unmappedPolicy(), config.inferenceRules());
        AvroSerializer<Object> valueSerializer = new AvroSerializer<>(registry, false, config.registry());

        AtomicLong catalogVersion = new AtomicLong();
        Topology topology = new Topology();
        topology.addGlobalStore(
                Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(CATALOG_STORE), Serdes.String(), Serdes.ByteArray())
                        .withLoggingDisabled(),
                "catalog-source", new StringDeserializer(), new ByteArrayDeserializer(), config.catalogTopic(),
                "catalog-updater", () -> new CatalogStoreUpdater(metrics, catalogVersion));
        topology.addSource("v1-source", new ByteArrayDeserializer(), new ByteArrayDeserializer(), config.v1Topic());
        topology.addProcessor("upcast", () -> new UpcastProcessor(registry, valueSerializer, config.v2Topic(),
                config.businessTopic(), upcaster, metrics, catalogVersion, limits), "v1-source");
        // The processor writes the v2 messages itself (most of them byte for byte, see WireUpcaster).
        topology.addSink(V2_SINK, config.v2Topic(), new ByteArraySerializer(), new ByteArraySerializer(), "upcast");
        topology.addSink(BUSINESS_SINK, config.businessTopic(), new ByteArraySerializer(), new ByteArraySerializer(), "upcast");
        topology.addSink(DLQ_SINK, config.dlqTopic(), new ByteArraySerializer(), new ByteArraySerializer(), "upcast");
        topology.addSink(CATALOG_SINK, config.catalogTopic(), new StringSerializer(), new ByteArraySerializer(), "upcast");
        return topology;
    }
}

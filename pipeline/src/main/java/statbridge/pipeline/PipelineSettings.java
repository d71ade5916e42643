package statbridge.pipeline;

import java.util.List;
import statbridge.catalog.InferenceRules;
import statbridge.catalog.UnmappedPolicy;
import statbridge.config.Setting;

/**
 * The pipeline's own configuration keys. Besides these, {@code pipeline.streams.*} keys pass
 * straight to Kafka Streams (e.g. {@code pipeline.streams.num.standby.replicas}) and
 * {@code kafka.*} keys to every Kafka client.
 */
public final class PipelineSettings {

    public static final Setting APPLICATION_ID = new Setting("pipeline.application.id", "statbridge-pipeline",
            "Kafka Streams application.id: instances with the same id share the work.");
    public static final Setting THREADS = Setting.integer("pipeline.threads", 1, 1, 64,
            "Stream threads per instance (num.stream.threads).");
    public static final Setting COMMIT_INTERVAL_MS = Setting.longInteger("pipeline.commit.interval.ms", 200, 1, 600_000,
            "How often a transaction commits; lower means lower latency, higher means more throughput.");
    public static final Setting STATE_DIR = new Setting("pipeline.state.dir", null,
            "Kafka Streams state directory (default: a directory under java.io.tmpdir).");
    public static final Setting UNMAPPED_POLICY = Setting.choice("pipeline.unmapped.policy", UnmappedPolicy.INFER, UnmappedPolicy.class,
            "What to do with a metric_name the catalog does not know: INFER (rules below; the entry is recorded) or DLQ.");
    public static final Setting INFER_DRIFT_PREFIXES = Setting.list("pipeline.infer.drift.prefixes",
            String.join(",", InferenceRules.DEFAULT_DRIFT_PREFIXES),
            "Under INFER, names starting with one of these are DRIFT.");
    public static final Setting INFER_BUSINESS_NAMES = Setting.list("pipeline.infer.business.names",
            String.join(",", InferenceRules.DEFAULT_BUSINESS_NAMES.stream().sorted().toList()),
            "Under INFER, these names are BUSINESS; anything else is ONLINE. The key is always the name.");
    public static final Setting CREATE_TOPICS = Setting.bool("pipeline.create.topics", true,
            "Create the topics the pipeline reads and writes when they do not exist.");
    public static final Setting TOPIC_PARTITIONS = Setting.integer("pipeline.topic.partitions", 4, 1, 10_000,
            "Partitions of topics the pipeline creates.");
    public static final Setting TOPIC_REPLICATION_FACTOR = Setting.integer("pipeline.topic.replication.factor", 1, 1, 32_767,
            "Replication factor of topics the pipeline creates (3 in production).");

    /** Keys that go to Kafka Streams as they are, without the prefix. */
    public static final String STREAMS_PASS_THROUGH = "pipeline.streams.";

    private PipelineSettings() {
    }

    /** How the pipeline compresses what it writes; each choice needs a codec in some readers. */
    public enum OutputCompression { NONE, GZIP, SNAPPY, LZ4, ZSTD }

    public static final Setting OUTPUT_COMPRESSION = Setting.choice("pipeline.output.compression", OutputCompression.LZ4,
            OutputCompression.class, "Compression of the pipeline's output topics. Java and librdkafka clients (Python, Go, .NET) read "
                    + "all of them; kafkajs reads NONE and GZIP itself and needs a codec package for LZ4 (kafkajs-lz4), SNAPPY "
                    + "(kafkajs-snappy) and ZSTD.");

    public static List<Setting> all() {
        return Setting.declaredIn(PipelineSettings.class);
    }
}

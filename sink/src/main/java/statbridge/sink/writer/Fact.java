package statbridge.sink.writer;

import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import org.apache.kafka.common.utils.Utils;
import statbridge.contract.StatKey;
import statbridge.sink.db.RowKey;
import statbridge.v2.MetricType;

/**
 * One v2 event, decoded and checked, with the Kafka coordinates that version it: a model stat, or
 * a business stat whose null value withdraws the KPI.
 *
 * @param eventTimeMillis the Kafka record timestamp: when the event was published
 * @param path how the event came: {@link #V1} when the pipeline upcast it from a v1 event, else {@link #V2}
 */
public record Fact(Kind kind, String modelName, String modelVersion, LocalDate statDate, String sliceKey,
        MetricType metricType, String metricKey, Double value, long eventTimeMillis, String topic, int partition, long offset,
        String path) {

    /** The path of an event the pipeline upcast from v1. */
    public static final String V1 = "v1";
    /** The path of an event published as v2. */
    public static final String V2 = "v2";

    /** A fact published as v2. */
    public Fact(Kind kind, String modelName, String modelVersion, LocalDate statDate, String sliceKey, MetricType metricType,
            String metricKey, Double value, long eventTimeMillis, String topic, int partition, long offset) {
        this(kind, modelName, modelVersion, statDate, sliceKey, metricType, metricKey, value, eventTimeMillis, topic, partition,
                offset, V2);
    }

    /** Which table the fact belongs to. */
    public enum Kind {
        STAT, BUSINESS
    }

    /** The identity of the row the fact describes. */
    public RowKey rowKey() {
        return new RowKey(modelName, modelVersion, statDate, sliceKey, metricType, metricKey);
    }

    /**
     * The partition a Java producer's default partitioner gives this fact's key among
     * {@code partitions}: the same for a stat and its KPI, whichever partition each arrived in.
     */
    public int keyPartition(int partitions) {
        byte[] key = new StatKey(modelName, modelVersion, statDate, sliceKey).render().getBytes(StandardCharsets.UTF_8);
        return Utils.toPositive(Utils.murmur2(key)) % partitions;
    }

    /** True when this fact was published after {@code other} (ties broken by offset: log order). */
    public boolean isNewerThan(Fact other) {
        return eventTimeMillis != other.eventTimeMillis ? eventTimeMillis > other.eventTimeMillis : offset > other.offset;
    }
}

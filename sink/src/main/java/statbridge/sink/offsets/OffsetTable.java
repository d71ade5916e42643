package statbridge.sink.offsets;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.TopicPartition;

/**
 * The one owner of {@code ml_monitoring.sink_offsets}: the next offset of each partition a consumer
 * group has written, stored in the same transaction as the rows, so the rows and the position
 * never disagree. A store is conditional on the offset it expects, which fences a sink instance
 * that lost its partitions while it was still writing.
 */
public final class OffsetTable {

    static final String READ = """
            SELECT topic, partition, next_offset FROM ml_monitoring.sink_offsets
            WHERE consumer_group = ? AND topic = ANY(?::text[])
            """;

    static final String STORE = """
            INSERT INTO ml_monitoring.sink_offsets AS o (consumer_group, topic, partition, next_offset, updated_at)
            VALUES (?, ?, ?, ?, now())
            ON CONFLICT (consumer_group, topic, partition) DO UPDATE
            SET next_offset = EXCLUDED.next_offset, updated_at = EXCLUDED.updated_at
            WHERE o.next_offset = ?
            """;

    /**
     * Every stored offset as one JSON object ({@code "group/topic/partition": next}), for a
     * statement that records where the sink stood, such as a dual-write switch.
     */
    public static final String SNAPSHOT_AS_JSON = """
            COALESCE((SELECT jsonb_object_agg(consumer_group || '/' || topic || '/' || partition, next_offset)
                      FROM ml_monitoring.sink_offsets), '{}'::jsonb)""";

    private final String consumerGroup;

    public OffsetTable(String consumerGroup) {
        this.consumerGroup = consumerGroup;
    }

    /** The stored next offsets of those of {@code partitions} that have one. */
    public Map<TopicPartition, Long> read(Connection connection, Collection<TopicPartition> partitions) throws SQLException {
        Map<TopicPartition, Long> stored = new HashMap<>();
        try (PreparedStatement query = connection.prepareStatement(READ)) {
            query.setString(1, consumerGroup);
            query.setArray(2, connection.createArrayOf("text",
                    partitions.stream().map(TopicPartition::topic).distinct().toArray(String[]::new)));
            try (ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    TopicPartition partition = new TopicPartition(rows.getString(1), rows.getInt(2));
                    if (partitions.contains(partition)) {
                        stored.put(partition, rows.getLong(3));
                    }
                }
            }
        }
        return stored;
    }

    /**
     * Moves each partition's stored offset, in the caller's transaction; returns the first partition
     * whose stored offset was not the expected one (another instance moved it), when there is one,
     * and then the caller must roll back.
     */
    public Optional<TopicPartition> store(Connection connection, Map<TopicPartition, OffsetRange> ranges) throws SQLException {
        if (ranges.isEmpty()) {
            return Optional.empty();
        }
        try (PreparedStatement store = connection.prepareStatement(STORE)) {
            for (Map.Entry<TopicPartition, OffsetRange> entry : ranges.entrySet()) {
                TopicPartition partition = entry.getKey();
                store.setString(1, consumerGroup);
                store.setString(2, partition.topic());
                store.setInt(3, partition.partition());
                store.setLong(4, entry.getValue().next());
                store.setLong(5, entry.getValue().expected());
                if (store.executeUpdate() == 0) {
                    return Optional.of(partition);
                }
            }
        }
        return Optional.empty();
    }
}

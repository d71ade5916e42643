package statbridge.sink.deadletter;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.apache.kafka.common.TopicPartition;

/**
 * {@code ml_monitoring.sink_dead_letters}: the dead letters a batch decided on, inserted in the
 * batch's own transaction and deleted once Kafka has acknowledged them. What is still there
 * belongs to a batch that committed but whose dead letters may not have reached the topic.
 */
public final class DeadLetterOutbox {

    /** A bad record at its source coordinates, with the reason it is dead-lettered. */
    public record Entry(String topic, int partition, long offset, String reason, String message, Instant createdAt) {

        public Entry(String topic, int partition, long offset, String reason, String message) {
            this(topic, partition, offset, reason, message, null);
        }

        public TopicPartition topicPartition() {
            return new TopicPartition(topic, partition);
        }
    }

    static final String INSERT = """
            INSERT INTO ml_monitoring.sink_dead_letters (consumer_group, topic, partition, "offset", reason, message)
            SELECT ?, t, p, o, r, m FROM unnest(?::text[], ?::int4[], ?::int8[], ?::text[], ?::text[]) AS d(t, p, o, r, m)
            ON CONFLICT DO NOTHING
            """;
    static final String DELETE = """
            DELETE FROM ml_monitoring.sink_dead_letters d
            USING unnest(?::text[], ?::int4[], ?::int8[]) AS s(t, p, o)
            WHERE d.consumer_group = ? AND d.topic = s.t AND d.partition = s.p AND d."offset" = s.o
            """;
    static final String PENDING = """
            SELECT topic, partition, "offset", reason, message, created_at FROM ml_monitoring.sink_dead_letters
            WHERE consumer_group = ? AND topic || '/' || partition = ANY(?::text[])
            ORDER BY topic, partition, "offset"
            """;

    private DeadLetterOutbox() {
    }

    /** Records {@code entries} in the caller's transaction (the caller commits). */
    public static void insert(Connection connection, String consumerGroup, List<Entry> entries) throws SQLException {
        if (entries.isEmpty()) {
            return;
        }
        int n = entries.size();
        String[] topics = new String[n];
        Integer[] partitions = new Integer[n];
        Long[] offsets = new Long[n];
        String[] reasons = new String[n];
        String[] messages = new String[n];
        for (int i = 0; i < n; i++) {
            Entry entry = entries.get(i);
            topics[i] = entry.topic();
            partitions[i] = entry.partition();
            offsets[i] = entry.offset();
            reasons[i] = entry.reason();
            messages[i] = entry.message();
        }
        try (PreparedStatement insert = connection.prepareStatement(INSERT)) {
            insert.setString(1, consumerGroup);
            insert.setArray(2, connection.createArrayOf("text", topics));
            insert.setArray(3, connection.createArrayOf("int4", partitions));
            insert.setArray(4, connection.createArrayOf("int8", offsets));
            insert.setArray(5, connection.createArrayOf("text", reasons));
            insert.setArray(6, connection.createArrayOf("text", messages));
            insert.executeUpdate();
        }
    }

    /** Forgets entries Kafka has acknowledged, and commits. */
    public static void delete(Connection connection, String consumerGroup, Collection<Entry> entries) throws SQLException {
        if (entries.isEmpty()) {
            return;
        }
        try (PreparedStatement delete = connection.prepareStatement(DELETE)) {
            delete.setArray(1, connection.createArrayOf("text", entries.stream().map(Entry::topic).toArray()));
            delete.setArray(2, connection.createArrayOf("int4", entries.stream().map(Entry::partition).toArray()));
            delete.setArray(3, connection.createArrayOf("int8", entries.stream().map(Entry::offset).toArray()));
            delete.setString(4, consumerGroup);
            delete.executeUpdate();
        }
        connection.commit();
    }

    /** The entries of {@code partitions} not yet known to be acknowledged, in offset order. */
    public static List<Entry> pending(Connection connection, String consumerGroup, Collection<TopicPartition> partitions)
            throws SQLException {
        List<Entry> entries = new ArrayList<>();
        if (partitions.isEmpty()) {
            return entries;
        }
        try (PreparedStatement query = connection.prepareStatement(PENDING)) {
            query.setString(1, consumerGroup);
            query.setArray(2, connection.createArrayOf("text",
                    partitions.stream().map(p -> p.topic() + "/" + p.partition()).toArray()));
            try (ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    Timestamp created = rows.getTimestamp(6);
                    entries.add(new Entry(rows.getString(1), rows.getInt(2), rows.getLong(3), rows.getString(4),
                            rows.getString(5), created.toInstant()));
                }
            }
        }
        connection.rollback();
        return entries;
    }
}

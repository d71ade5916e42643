package statbridge.tools.series;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import statbridge.deadletter.DeadLetter;
import statbridge.registry.SchemaRegistryClient;
import statbridge.serde.AvroDeserializer;
import statbridge.topics.TopicReader;

/**
 * The dead letters that explain a silence: those of one model (name and version) since a moment,
 * grouped by reason, each group with its count, its time span and one example, read from the
 * dead-letter topic from that moment on (seeking by time). A payload that does not decode is
 * attributed by its key ({@code model/version/date/slice}); one that has neither explains nothing.
 */
public final class DeadLetterEvidence {

    /** The dead letters of one reason, with a few distinct examples. */
    public record Group(String reason, long count, Instant first, Instant last, List<String> examples) {
        static final int EXAMPLES = 5;

        Group merge(Group other) {
            List<String> merged = new ArrayList<>(examples);
            for (String example : other.examples) {
                if (merged.size() < EXAMPLES && !merged.contains(example)) {
                    merged.add(example);
                }
            }
            return new Group(reason, count + other.count, first.isBefore(other.first) ? first : other.first,
                    last.isAfter(other.last) ? last : other.last, List.copyOf(merged));
        }

        /** The example about {@code metricKey} (any case: a misspelt key is the usual cause), else the first. */
        public String exampleFor(String metricKey) {
            String lower = metricKey == null ? "" : metricKey.toLowerCase(java.util.Locale.ROOT);
            return examples.stream().filter(e -> e.toLowerCase(java.util.Locale.ROOT).contains(lower)).findFirst()
                    .orElse(examples.isEmpty() ? "" : examples.get(0));
        }
    }

    /** The model a dead letter is about. */
    record Model(String name, String version) {
    }

    private final Map<Model, Map<String, Group>> byModel = new HashMap<>();
    private final AvroDeserializer<GenericRecord> reader;

    private DeadLetterEvidence(SchemaRegistryClient registry) {
        this.reader = new AvroDeserializer<>(registry, false, Map.of());
    }

    /** An empty collection that {@link #add} fills, for a reader of the topic that does more with each record. */
    public static DeadLetterEvidence collecting(SchemaRegistryClient registry) {
        return new DeadLetterEvidence(registry);
    }

    /**
     * Reads the dead letters in {@code dlqTopic} since {@code since}. Replay markers are skipped;
     * a dead letter that was replayed still counts (what it explains happened).
     */
    public static DeadLetterEvidence read(Map<String, Object> kafka, SchemaRegistryClient registry, String dlqTopic, Instant since,
            Duration timeout) {
        DeadLetterEvidence evidence = new DeadLetterEvidence(registry);
        TopicReader.readSince(kafka, dlqTopic, since, timeout, evidence::add);
        return evidence;
    }

    /** Takes one record of the dead-letter topic into account (a replay marker is skipped). */
    public void add(ConsumerRecord<byte[], byte[]> record) {
        if (record.headers().lastHeader(DeadLetter.REPLAYED) != null) {
            return;
        }
        GenericRecord value = decode(reader, record);
        Model model = value != null && value.hasField("model_name") && value.hasField("model_version")
                ? new Model(String.valueOf(value.get("model_name")), String.valueOf(value.get("model_version")))
                : fromKey(record.key());
        if (model == null) {
            return; // neither its payload nor its key names a model
        }
        String reason = String.valueOf(DeadLetter.header(record.headers(), DeadLetter.REASON));
        Instant at = Instant.ofEpochMilli(record.timestamp());
        byModel.computeIfAbsent(model, m -> new TreeMap<>()).merge(reason, new Group(reason, 1, at, at, List.of(example(value, record))),
                Group::merge);
    }

    private static GenericRecord decode(AvroDeserializer<GenericRecord> reader, ConsumerRecord<byte[], byte[]> record) {
        if (record.value() == null) {
            return null;
        }
        try {
            return reader.deserialize(record.topic(), record.value());
        } catch (RuntimeException e) {
            return null; // not a readable Avro record: attributed by its key
        }
    }

    /** The model of a key {@code model/version/date/slice}, or null when the key is not one. */
    static Model fromKey(byte[] key) {
        if (key == null || key.length > 4096) {
            return null;
        }
        String[] parts = new String(key, StandardCharsets.UTF_8).split("/", 4);
        return parts.length == 4 && !parts[0].isEmpty() && !parts[1].isEmpty() ? new Model(parts[0], parts[1]) : null;
    }

    /** The metric an example names, as the catalog does: {@code (ONLINE, Accuracy)} or {@code metric_name accuracy}. */
    private static String example(GenericRecord value, ConsumerRecord<byte[], byte[]> record) {
        if (value != null && value.hasField("metric_type") && value.hasField("metric_key")) {
            return "(" + value.get("metric_type") + ", " + value.get("metric_key") + ")";
        }
        if (value != null && value.hasField("metric_name")) {
            return "metric_name " + value.get("metric_name");
        }
        String message = DeadLetter.header(record.headers(), DeadLetter.MESSAGE);
        return message == null ? "" : message.length() > 160 ? message.substring(0, 160) + "..." : message;
    }

    /** The groups of {@code modelName}/{@code modelVersion}, most frequent first. */
    public List<Group> of(String modelName, String modelVersion) {
        List<Group> groups = new ArrayList<>(byModel.getOrDefault(new Model(modelName, modelVersion), Map.of()).values());
        groups.sort((a, b) -> Long.compare(b.count(), a.count()));
        return groups;
    }
}

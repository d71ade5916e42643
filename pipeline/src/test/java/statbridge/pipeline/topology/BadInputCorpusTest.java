package statbridge.pipeline.topology;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import statbridge.catalog.CatalogEntry;
import statbridge.catalog.CatalogEntryCodec;
import statbridge.config.Configuration;
import statbridge.deadletter.DeadLetter;
import statbridge.pipeline.PipelineConfig;
import statbridge.pipeline.PipelineMetrics;
import statbridge.registry.InMemorySchemaRegistryClient;
import statbridge.registry.SchemaRegistryClient;
import statbridge.serde.AvroDeserializer;
import statbridge.v2.MetricType;

/**
 * Runs every case of {@code corpus/wire/cases.json} through the real upcast topology: a bad input
 * is dead-lettered with the reason the corpus names and its bytes untouched, and the stream goes
 * on; a good one (SQL and shell metacharacters included) is upcast with its strings verbatim.
 */
class BadInputCorpusTest {

    private static final Path CORPUS = Path.of("..", "corpus", "wire", "cases.json");
    private static final HexFormat HEX = HexFormat.of();

    private final String scope = "corpus-" + UUID.randomUUID();
    private final SchemaRegistryClient registry = InMemorySchemaRegistryClient.forScope(scope);
    private TopologyTestDriver driver;

    static Stream<Named<JsonNode>> cases() throws IOException {
        List<Named<JsonNode>> cases = new ArrayList<>();
        new ObjectMapper().readTree(CORPUS.toFile()).forEach(c -> cases.add(Named.of(c.get("name").asText(), c)));
        assertThat(cases).hasSizeGreaterThan(25);
        return cases.stream();
    }

    @AfterEach
    void close() {
        if (driver != null) {
            driver.close();
        }
        InMemorySchemaRegistryClient.dropScope(scope);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void eachCaseHasItsPromisedOutcome(JsonNode c) throws IOException {
        PipelineConfig config = PipelineConfig.from(Configuration.load(null, Map.of(),
                Map.of("schema.registry.url", "mock://" + scope)));
        Properties properties = new Properties();
        properties.put("application.id", "corpus");
        properties.put("bootstrap.servers", "unused:9092");
        properties.put("processing.guarantee", "exactly_once_v2");
        driver = new TopologyTestDriver(UpcastTopology.build(config, registry, new PipelineMetrics(new SimpleMeterRegistry())),
                properties);
        TestInputTopic<String, byte[]> catalog = driver.createInputTopic("metric-catalog", new StringSerializer(),
                new ByteArraySerializer());
        for (CatalogEntry entry : List.of(CatalogEntry.of("accuracy", MetricType.ONLINE, "accuracy"),
                CatalogEntry.of("churn_rate", MetricType.BUSINESS, "churn_rate"))) {
            catalog.pipeInput(entry.metricName(), CatalogEntryCodec.encode(entry));
        }
        TestInputTopic<byte[], byte[]> v1 = driver.createInputTopic("model-stats.v1", new ByteArraySerializer(), new ByteArraySerializer());
        TestOutputTopic<byte[], byte[]> v2 = driver.createOutputTopic("model-stats.v2", new ByteArrayDeserializer(), new ByteArrayDeserializer());
        TestOutputTopic<byte[], byte[]> business = driver.createOutputTopic("model-business-stats.v2", new ByteArrayDeserializer(),
                new ByteArrayDeserializer());
        TestOutputTopic<byte[], byte[]> dlq = driver.createOutputTopic("model-stats.dlq", new ByteArrayDeserializer(), new ByteArrayDeserializer());

        GenericRecord record = record(c.get("value"));
        byte[] value = value(c.get("value"), record);
        byte[] key = key(c, record);
        v1.pipeInput(new TestRecord<>(key, value, Instant.parse("2026-03-02T00:00:00Z")));
        // The stream keeps flowing after the case: a good event right behind it is upcast.
        GenericRecord control = record(new ObjectMapper().readTree("{\"v1\":{\"slice_key\":\"control\"}}"));
        v1.pipeInput(new TestRecord<>("IntentClassifier/v4/2026-03-01/control".getBytes(StandardCharsets.UTF_8),
                encode(control, registry.register("model-stats.v1-value", control.getSchema())), Instant.parse("2026-03-02T00:00:01Z")));

        List<TestRecord<byte[], byte[]>> dead = dlq.readRecordsToList();
        List<GenericRecord> upcast = v2.readValuesToList().stream().map(this::decode).toList();
        assertThat(business.readValuesToList()).hasSize(upcast.size());
        assertThat(upcast.get(upcast.size() - 1).get("slice_key").toString()).as("the event after the case").isEqualTo("control");
        if (c.get("expect").asText().equals("upcast")) {
            assertThat(dead).as("dead letters").isEmpty();
            assertThat(upcast).hasSize(2);
            GenericRecord out = upcast.get(0);
            for (String field : List.of("model_name", "model_version", "slice_key")) {
                assertThat(out.get(field).toString()).as(field).isEqualTo(record.get(field).toString());
            }
            assertThat(out.get("metric_value")).isEqualTo(record.get("metric_value"));
        } else {
            assertThat(upcast).as("upcast records").hasSize(1);
            assertThat(dead).hasSize(1);
            TestRecord<byte[], byte[]> letter = dead.get(0);
            assertThat(DeadLetter.header(letter.headers(), DeadLetter.REASON)).as("reason; message: %s",
                    DeadLetter.header(letter.headers(), DeadLetter.MESSAGE)).isEqualTo(c.get("reason").asText());
            assertThat(letter.key()).as("original key bytes").isEqualTo(key);
            assertThat(letter.value()).as("original value bytes").isEqualTo(value);
            assertThat(DeadLetter.header(letter.headers(), DeadLetter.SOURCE_TOPIC)).isEqualTo("model-stats.v1");
        }
    }

    private GenericRecord decode(byte[] bytes) {
        return new AvroDeserializer<GenericRecord>(registry, false, Map.of()).deserialize("model-stats.v2", bytes);
    }

    /** The record a case describes (v1 by default values), or null when its bytes are not a record. */
    private static GenericRecord record(JsonNode value) {
        String kind = Stream.of("v1", "v2", "business", "v1Nullable").filter(value::has).findFirst().orElse(null);
        if (kind == null) {
            return null;
        }
        Schema schema = switch (kind) {
            case "v2" -> statbridge.v2.ModelStat.getClassSchema();
            case "business" -> statbridge.v2.BusinessStat.getClassSchema();
            case "v1Nullable" -> nullableModelName();
            default -> statbridge.v1.ModelStat.getClassSchema();
        };
        GenericRecord record = new GenericData.Record(schema);
        Map<String, Object> defaults = Map.of("model_name", "IntentClassifier", "model_version", "v4",
                "stat_date", (int) LocalDate.of(2026, 3, 1).toEpochDay(), "slice_key", "ALL", "metric_name", "accuracy",
                "metric_value", 0.93, "metric_key", "accuracy", "metric_type",
                new GenericData.EnumSymbol(statbridge.v2.ModelStat.getClassSchema().getField("metric_type").schema(), "ONLINE"),
                "business_metric_value", 12.5);
        for (Schema.Field field : schema.getFields()) {
            record.put(field.name(), field.name().equals("business_metric_value") && kind.equals("v1") ? null : defaults.get(field.name()));
        }
        value.get(kind).properties().forEach(override -> record.put(override.getKey(), valueOf(override.getKey(), override.getValue())));
        return record;
    }

    private static Object valueOf(String field, JsonNode node) {
        if (node.isNull()) {
            return null;
        }
        if (node.has("repeat")) {
            return node.get("repeat").asText().repeat(node.get("times").asInt());
        }
        if (node.has("epochDay")) {
            return node.get("epochDay").asInt();
        }
        if (field.equals("stat_date")) {
            return (int) LocalDate.parse(node.asText()).toEpochDay();
        }
        if (field.endsWith("_value")) {
            return node.isNumber() ? node.asDouble() : Double.parseDouble(node.asText());
        }
        return node.asText();
    }

    private static Schema nullableModelName() {
        Schema v1 = statbridge.v1.ModelStat.getClassSchema();
        List<Schema.Field> fields = new ArrayList<>();
        for (Schema.Field field : v1.getFields()) {
            Schema type = field.name().equals("model_name")
                    ? Schema.createUnion(Schema.create(Schema.Type.NULL), Schema.create(Schema.Type.STRING)) : field.schema();
            fields.add(new Schema.Field(field.name(), type, field.doc(), field.defaultVal()));
        }
        return Schema.createRecord(v1.getName(), v1.getDoc(), v1.getNamespace(), false, fields);
    }

    private byte[] value(JsonNode spec, GenericRecord record) {
        byte[] bytes;
        if (spec.has("null")) {
            return null;
        } else if (spec.has("hex")) {
            bytes = HEX.parseHex(spec.get("hex").asText().replace(" ", ""));
        } else if (spec.has("text")) {
            bytes = spec.get("text").asText().getBytes(StandardCharsets.UTF_8);
        } else if (spec.has("random")) {
            bytes = new byte[spec.get("random").asInt()];
            new Random(spec.get("seed").asLong()).nextBytes(bytes);
        } else {
            // A variant of the v1 record (a writer schema of another job) is registered under a subject of its own.
            String subject = record.getSchema().equals(statbridge.v1.ModelStat.getClassSchema()) ? "model-stats.v1-value"
                    : record.getSchema().getFullName().equals("statbridge.v1.ModelStat") ? "legacy-job-variant-value"
                    : record.getSchema().getFullName().equals("statbridge.v2.ModelStat") ? "model-stats.v2-value"
                    : "model-business-stats.v2-value";
            bytes = encode(record, registry.register(subject, record.getSchema()));
        }
        if (spec.has("schemaId")) {
            ByteBuffer.wrap(bytes).putInt(1, spec.get("schemaId").asInt());
        }
        if (spec.has("patchAt")) {
            bytes[spec.get("patchAt").asInt()] = HEX.parseHex(spec.get("byte").asText())[0];
        }
        if (spec.has("patch")) {
            bytes = replace(bytes, HEX.parseHex(spec.get("patch").get("from").asText()), HEX.parseHex(spec.get("patch").get("to").asText()));
        }
        if (spec.has("randomBody")) {
            byte[] body = new byte[spec.get("randomBody").asInt()];
            new Random(spec.get("seed").asLong()).nextBytes(body);
            byte[] framed = new byte[5 + body.length];
            System.arraycopy(bytes, 0, framed, 0, 5);
            System.arraycopy(body, 0, framed, 5, body.length);
            bytes = framed;
        }
        if (spec.has("truncate")) {
            bytes = java.util.Arrays.copyOf(bytes, spec.get("truncate").asInt());
        }
        if (spec.has("append")) {
            byte[] tail = HEX.parseHex(spec.get("append").asText());
            byte[] longer = java.util.Arrays.copyOf(bytes, bytes.length + tail.length);
            System.arraycopy(tail, 0, longer, bytes.length, tail.length);
            bytes = longer;
        }
        return bytes;
    }

    /** The Confluent wire format of a record, written without logical-type conversions (so any int is a date). */
    private static byte[] encode(GenericRecord record, int schemaId) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0);
        out.writeBytes(ByteBuffer.allocate(4).putInt(schemaId).array());
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        try {
            new GenericDatumWriter<GenericRecord>(record.getSchema(), new GenericData()).write(record, encoder);
            encoder.flush();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out.toByteArray();
    }

    private static byte[] key(JsonNode c, GenericRecord record) {
        if (c.has("keyHex")) {
            return HEX.parseHex(c.get("keyHex").asText().replace(" ", ""));
        }
        if (c.has("key")) {
            return c.get("key").isNull() ? null : c.get("key").asText().getBytes(StandardCharsets.UTF_8);
        }
        if (record == null || record.getSchema().getField("model_name") == null) {
            return "IntentClassifier/v4/2026-03-01/ALL".getBytes(StandardCharsets.UTF_8);
        }
        return (record.get("model_name") + "/" + record.get("model_version") + "/"
                + LocalDate.ofEpochDay((Integer) record.get("stat_date")) + "/" + record.get("slice_key")).getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] replace(byte[] bytes, byte[] from, byte[] to) {
        for (int i = 0; i + from.length <= bytes.length; i++) {
            if (java.util.Arrays.equals(bytes, i, i + from.length, from, 0, from.length)) {
                byte[] out = bytes.clone();
                System.arraycopy(to, 0, out, i, to.length);
                return out;
            }
        }
        throw new IllegalArgumentException("pattern " + HEX.formatHex(from) + " not in the record");
    }
}

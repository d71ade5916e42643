package statbridge.pipeline.topology;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import statbridge.registry.SchemaRegistryClient;

/**
 * The cases of {@code corpus/wire/cases.json} made into bytes: each says how its key and value are
 * built (raw hex, random bytes from a seed, or a record encoded with the contract's schemas and
 * then damaged) and what must become of it. Used by the topology test and by the test that sends
 * the corpus to separately started processes.
 */
public final class WireCorpus {

    private static final HexFormat HEX = HexFormat.of();

    private WireCorpus() {
    }

    /** Every case of the corpus file. */
    public static List<JsonNode> load(Path file) throws IOException {
        List<JsonNode> cases = new ArrayList<>();
        new ObjectMapper().readTree(file.toFile()).forEach(cases::add);
        return cases;
    }

    /** The record a case describes (v1 by default values), or null when its bytes are not a record. */
    public static GenericRecord record(JsonNode value) {
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

    /**
     * The value bytes a case describes; records are registered in {@code registry} (under subjects
     * of their own, so their ids are real).
     */
    public static byte[] value(JsonNode spec, GenericRecord record, SchemaRegistryClient registry) {
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
    public static byte[] encode(GenericRecord record, int schemaId) {
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

    /** The key bytes of a case: its own, or the one its record implies. */
    public static byte[] key(JsonNode c, GenericRecord record) {
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

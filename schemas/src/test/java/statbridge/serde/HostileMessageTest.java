package statbridge.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.time.LocalDate;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import statbridge.registry.ForwardingSchemaRegistryClient;
import statbridge.registry.InMemorySchemaRegistryClient;
import statbridge.registry.RegistryException;
import statbridge.registry.RegistryUnavailableException;
import statbridge.registry.SchemaRegistryClient;
import statbridge.registry.UnsupportedSchemaException;
import statbridge.serde.AvroWireFormatException.Problem;
import statbridge.v2.MetricType;
import statbridge.v2.ModelStat;

/**
 * Messages built to hurt a reader: lengths and counts the bytes cannot hold, indexes out of range,
 * schemas the registry gives as another type. Each is refused with its problem, before anything
 * the size of the declared length is allocated.
 */
class HostileMessageTest {

    private final String scope = "hostile-" + UUID.randomUUID();
    private final InMemorySchemaRegistryClient store = InMemorySchemaRegistryClient.forScope(scope);

    @AfterEach
    void dropScope() {
        InMemorySchemaRegistryClient.dropScope(scope);
    }

    /** Confluent header, then the given Avro bytes. */
    private static byte[] message(int schemaId, byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] header = new byte[WireFormat.HEADER_SIZE];
        WireFormat.writeHeader(header, schemaId);
        out.writeBytes(header);
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    /** An Avro long: zig-zag, then base-128 little-endian groups. */
    private static byte[] varint(long value) {
        long raw = (value << 1) ^ (value >> 63);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        while ((raw & ~0x7FL) != 0) {
            out.write((int) ((raw & 0x7F) | 0x80));
            raw >>>= 7;
        }
        out.write((int) raw);
        return out.toByteArray();
    }

    private static byte[] string(String text) {
        byte[] bytes = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(varint(bytes.length));
        out.writeBytes(bytes);
        return out.toByteArray();
    }

    @Test
    void aThirteenByteMessageDeclaringAOnePointFiveGigabyteStringIsRefusedWithoutAllocatingIt() {
        int id = store.register("model-stats.v2-value", ModelStat.getClassSchema());
        byte[] poison = message(id, varint(1_500_000_000L), new byte[] {'a', 'b', 'c'});
        assertThat(poison).hasSize(13);

        AvroDeserializer<ModelStat> reader = AvroDeserializer.forType(store, ModelStat.class);

        assertThatThrownBy(() -> reader.deserialize("model-stats.v2", poison))
                .isInstanceOfSatisfying(AvroWireFormatException.class, e -> {
                    assertThat(e.problem()).isEqualTo(Problem.UNDECODABLE_BODY);
                    assertThat(e.problem().reason()).isEqualTo("bad-wire-format");
                })
                .hasMessageContaining("field model_name: a string of 1,500,000,000 bytes declared with 3 left");
    }

    @Test
    void aGoodMessageAfterAPoisonOneStillDecodes() {
        int id = store.register("model-stats.v2-value", ModelStat.getClassSchema());
        AvroDeserializer<ModelStat> reader = AvroDeserializer.forType(store, ModelStat.class);
        ModelStat good = new ModelStat("IntentClassifier", "v4", LocalDate.of(2025, 4, 26), "ALL", MetricType.ONLINE,
                "accuracy", 0.91);
        byte[] bytes = new AvroSerializer<ModelStat>(store, false, Map.of()).serialize("model-stats.v2", good);

        assertThatThrownBy(() -> reader.deserialize("model-stats.v2", message(id, varint(-5))))
                .hasMessageContaining("field model_name: a string of negative length -5");
        assertThat(reader.deserialize("model-stats.v2", bytes)).isEqualTo(good);
    }

    @Test
    void anEnumIndexOutOfRangeIsRefused() {
        int id = store.register("model-stats.v2-value", ModelStat.getClassSchema());
        byte[] poison = message(id, string("m"), string("v"), varint(20_000), string("ALL"), varint(99), string("k"),
                new byte[8]);

        assertThatThrownBy(() -> AvroDeserializer.forType(store, ModelStat.class).deserialize("model-stats.v2", poison))
                .isInstanceOf(AvroWireFormatException.class)
                .hasMessageContaining("field metric_type: enum index 99 of statbridge.v2.MetricType, which has 4 symbols");
    }

    @Test
    void aCollectionDeclaringMoreItemsThanTheBytesHoldIsRefused() {
        Schema schema = new Schema.Parser().parse("""
                {"type":"record","name":"Lists","fields":[
                  {"name":"values","type":{"type":"array","items":"double"}},
                  {"name":"nothing","type":{"type":"array","items":"null"}}]}""");
        int id = store.register("lists-value", schema);
        AvroDeserializer<GenericRecord> reader = new AvroDeserializer<>(store, false, Map.of());

        assertThatThrownBy(() -> reader.deserialize("lists", message(id, varint(1_000_000_000L), new byte[16])))
                .hasMessageContaining("field values: a collection of 1000000000 items declared with 16 bytes left");
        assertThatThrownBy(() -> reader.deserialize("lists", message(id, varint(0), varint(2_000_000_000L), varint(0))))
                .hasMessageContaining("field nothing: a collection of 2000000000 items");
        GenericRecord fine = reader.deserialize("lists", message(id, varint(2), new byte[16], varint(0), varint(3), varint(0)));
        assertThat(fine.get("nothing").toString()).isEqualTo("[null, null, null]");
    }

    @Test
    void nestingDeeperThanTheLimitIsRefusedInsteadOfOverflowingTheStack() {
        Schema schema = new Schema.Parser().parse("""
                {"type":"record","name":"Node","fields":[{"name":"next","type":["null","Node"]}]}""");
        int id = store.register("nodes-value", schema);
        byte[] deep = new byte[100_000];
        java.util.Arrays.fill(deep, (byte) 2); // union branch 1, again and again
        AvroDeserializer<GenericRecord> reader = new AvroDeserializer<>(store, false, Map.of());

        assertThatThrownBy(() -> reader.deserialize("nodes", message(id, deep)))
                .hasMessageContaining("nested deeper than 64 levels");
    }

    @Test
    void aSchemaOfAnotherTypeIsUnsupportedAndTheRegistryIsAskedOnce() {
        AtomicInteger asked = new AtomicInteger();
        SchemaRegistryClient jsonSchemas = new ForwardingSchemaRegistryClient(store) {
            @Override
            public Schema getSchemaById(int id) {
                asked.incrementAndGet();
                throw new UnsupportedSchemaException("schema id " + id + " is a JSON schema; statbridge reads Avro only");
            }
        };
        AvroDeserializer<ModelStat> reader = AvroDeserializer.forType(jsonSchemas, ModelStat.class);

        for (int i = 0; i < 3; i++) {
            assertThatThrownBy(() -> reader.deserialize("model-stats.v2", message(7, string("x"))))
                    .isInstanceOfSatisfying(AvroWireFormatException.class, e -> {
                        assertThat(e.problem()).isEqualTo(Problem.UNSUPPORTED_SCHEMA);
                        assertThat(e.problem().reason()).isEqualTo("unsupported-schema");
                    })
                    .hasMessageContaining("is a JSON schema");
        }
        assertThat(asked).hasValue(1);
    }

    @Test
    void aRegistryAnswerOfClientErrorIsAFactAboutTheIdButRefusalAndServerErrorAreNot() {
        Map<Integer, RegistryException> answers = new HashMap<>(Map.of(
                1, new RegistryException(400, 400, "bad request"),
                2, new RegistryException(403, 40301, "forbidden"),
                3, new RegistryException(500, 50001, "internal")));
        SchemaRegistryClient registry = new ForwardingSchemaRegistryClient(store) {
            @Override
            public Schema getSchemaById(int id) {
                throw answers.get(id);
            }
        };
        AvroDeserializer<ModelStat> reader = AvroDeserializer.forType(registry, ModelStat.class);

        assertThatThrownBy(() -> reader.deserialize("t", message(1, string("x"))))
                .isInstanceOfSatisfying(AvroWireFormatException.class,
                        e -> assertThat(e.problem()).isEqualTo(Problem.UNKNOWN_SCHEMA_ID))
                .hasMessageContaining("cannot give schema id 1");
        assertThatThrownBy(() -> reader.deserialize("t", message(2, string("x"))))
                .isInstanceOf(RegistryUnavailableException.class).hasMessageContaining("check the registry credentials");
        assertThatThrownBy(() -> reader.deserialize("t", message(3, string("x"))))
                .isInstanceOf(RegistryUnavailableException.class);
    }

    @Test
    void schemaTextThatIsNotAvroIsUnsupported() {
        SchemaRegistryClient registry = new ForwardingSchemaRegistryClient(store) {
            @Override
            public Schema getSchemaById(int id) {
                throw new UnsupportedSchemaException("the schema of id " + id + " does not parse as Avro: No type");
            }
        };
        assertThatThrownBy(() -> AvroDeserializer.forType(registry, ModelStat.class).deserialize("t", message(9, string("x"))))
                .isInstanceOfSatisfying(AvroWireFormatException.class,
                        e -> assertThat(e.problem()).isEqualTo(Problem.UNSUPPORTED_SCHEMA));
    }
}

package statbridge.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.time.LocalDate;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import statbridge.registry.CompatibilityLevel;
import statbridge.registry.ForwardingSchemaRegistryClient;
import statbridge.registry.InMemorySchemaRegistryClient;
import statbridge.registry.RegistryClientConfig;
import statbridge.registry.SchemaRegistryClient;
import statbridge.serde.AvroWireFormatException.Problem;
import statbridge.v1.ModelStat;
import statbridge.v2.MetricType;

class AvroSerdeTest {

    private static final String TOPIC = "model-stats.v1";

    private final String scope = "serde-" + UUID.randomUUID();
    private final Map<String, Object> config = new HashMap<>(Map.of(RegistryClientConfig.URL, "mock://" + scope));

    @AfterEach
    void dropScope() {
        InMemorySchemaRegistryClient.dropScope(scope);
    }

    static ModelStat v1(String metric, double value, Double business) {
        return ModelStat.newBuilder().setModelName("IntentClassifier").setModelVersion("v4")
                .setStatDate(LocalDate.of(2025, 4, 26)).setSliceKey("country=PL").setMetricName(metric)
                .setMetricValue(value).setBusinessMetricValue(business).build();
    }

    private <T> AvroSerializer<T> serializer() {
        AvroSerializer<T> serializer = new AvroSerializer<>();
        serializer.configure(config, false);
        return serializer;
    }

    private <T> AvroDeserializer<T> deserializer(Map<String, Object> extra) {
        Map<String, Object> merged = new HashMap<>(config);
        merged.putAll(extra);
        AvroDeserializer<T> deserializer = new AvroDeserializer<>();
        deserializer.configure(merged, false);
        return deserializer;
    }

    @Test
    void specificRecordsRoundTripInTheConfluentWireFormat() {
        ModelStat withKpi = v1("churn_rate", 0.031, 1250.0);
        ModelStat withoutKpi = v1("accuracy", 0.912, null);

        byte[] bytes = this.<ModelStat>serializer().serialize(TOPIC, withKpi);

        assertThat(bytes[0]).isZero();
        int id = ByteBuffer.wrap(bytes, 1, 4).getInt();
        assertThat(InMemorySchemaRegistryClient.forScope(scope).getLatestVersion("model-stats.v1-value").id()).isEqualTo(id);
        AvroDeserializer<ModelStat> reader = deserializer(Map.of(AvroSerdeConfig.SPECIFIC_AVRO_READER, true));
        assertThat(reader.deserialize(TOPIC, bytes)).isEqualTo(withKpi);
        assertThat(reader.deserialize(TOPIC, this.<ModelStat>serializer().serialize(TOPIC, withoutKpi))).isEqualTo(withoutKpi);
    }

    @Test
    void genericRecordsRoundTripAndReadWithTheWritersSchema() {
        Schema schema = statbridge.v2.ModelStat.getClassSchema();
        GenericRecord record = new GenericData.Record(schema);
        record.put("model_name", "ChurnPredictor");
        record.put("model_version", "v3");
        record.put("stat_date", 20_000);
        record.put("slice_key", "ALL");
        record.put("metric_type", new GenericData.EnumSymbol(schema.getField("metric_type").schema(), "DRIFT"));
        record.put("metric_key", "psi_country");
        record.put("metric_value", 0.21);

        byte[] bytes = this.<GenericRecord>serializer().serialize("model-stats.v2", record);
        GenericRecord read = this.<GenericRecord>deserializer(Map.of()).deserialize("model-stats.v2", bytes);

        assertThat(read.toString()).isEqualTo(record.toString());
        assertThat(this.<GenericRecord>deserializer(Map.of(AvroSerdeConfig.LOGICAL_TYPE_CONVERTERS, true))
                .deserialize("model-stats.v2", bytes).get("stat_date")).isEqualTo(LocalDate.ofEpochDay(20_000));
        AvroDeserializer<statbridge.v2.ModelStat> specific = deserializer(Map.of(AvroSerdeConfig.SPECIFIC_AVRO_READER, true));
        assertThat(specific.deserialize("model-stats.v2", bytes).getMetricType()).isEqualTo(MetricType.DRIFT);
    }

    @Test
    void nullStaysNull() {
        assertThat(serializer().serialize(TOPIC, null)).isNull();
        assertThat(deserializer(Map.of()).deserialize(TOPIC, null)).isNull();
    }

    @Test
    void aMessageShorterThanTheHeaderIsRefusedAsTooShort() {
        assertThatThrownBy(() -> deserializer(Map.of()).deserialize(TOPIC, new byte[] {0, 0, 1}))
                .isInstanceOfSatisfying(AvroWireFormatException.class, e -> {
                    assertThat(e.problem()).isEqualTo(Problem.TOO_SHORT);
                    assertThat(e.problem().reason()).isEqualTo("bad-wire-format");
                    assertThat(e.getMessage()).contains("3 byte(s)");
                });
    }

    @Test
    void aWrongMagicByteIsRefused() {
        byte[] bytes = this.<ModelStat>serializer().serialize(TOPIC, v1("accuracy", 0.9, null));
        bytes[0] = 0x7b;
        assertThatThrownBy(() -> deserializer(Map.of()).deserialize(TOPIC, bytes))
                .isInstanceOfSatisfying(AvroWireFormatException.class, e -> {
                    assertThat(e.problem()).isEqualTo(Problem.BAD_MAGIC_BYTE);
                    assertThat(e.getMessage()).contains("0x7b");
                });
    }

    @Test
    void anUnknownSchemaIdIsRefusedWithTheId() {
        byte[] bytes = new byte[] {0, 0, 0, 0x30, 0x39, 2, 'x'};
        assertThatThrownBy(() -> deserializer(Map.of()).deserialize(TOPIC, bytes))
                .isInstanceOfSatisfying(AvroWireFormatException.class, e -> {
                    assertThat(e.problem()).isEqualTo(Problem.UNKNOWN_SCHEMA_ID);
                    assertThat(e.problem().reason()).isEqualTo("unknown-schema-id");
                    assertThat(e.schemaId()).isEqualTo(12345);
                    assertThat(e.getMessage()).contains("12345");
                });
    }

    @Test
    void aBodyThatDoesNotDecodeIsRefused() {
        byte[] good = this.<ModelStat>serializer().serialize(TOPIC, v1("accuracy", 0.9, null));
        byte[] truncated = Arrays.copyOf(good, good.length - 4);
        byte[] garbage = Arrays.copyOf(good, 12);
        Arrays.fill(garbage, 5, 12, (byte) 0xff);
        byte[] trailing = Arrays.copyOf(good, good.length + 3);

        for (byte[] bad : List.of(truncated, garbage, trailing)) {
            assertThatThrownBy(() -> deserializer(Map.of()).deserialize(TOPIC, bad))
                    .isInstanceOfSatisfying(AvroWireFormatException.class,
                            e -> assertThat(e.problem()).isEqualTo(Problem.UNDECODABLE_BODY));
        }
    }

    @Test
    void aRecordOfAnotherSubjectIsRefusedAsIncompatibleWhenReadingAFixedType() {
        statbridge.v2.ModelStat v2 = statbridge.v2.ModelStat.newBuilder().setModelName("m").setModelVersion("v1")
                .setStatDate(LocalDate.of(2025, 1, 1)).setSliceKey("ALL").setMetricType(MetricType.ONLINE)
                .setMetricKey("accuracy").setMetricValue(0.5).build();
        byte[] bytes = this.<statbridge.v2.ModelStat>serializer().serialize("model-stats.v2", v2);

        AvroDeserializer<ModelStat> v1Reader = deserializer(Map.of(AvroSerdeConfig.SPECIFIC_AVRO_VALUE_TYPE, ModelStat.class));
        assertThatThrownBy(() -> v1Reader.deserialize(TOPIC, bytes))
                .isInstanceOfSatisfying(AvroWireFormatException.class, e -> {
                    assertThat(e.problem()).isEqualTo(Problem.INCOMPATIBLE_SCHEMA);
                    assertThat(e.getMessage()).contains("statbridge.v2.ModelStat", "statbridge.v1.ModelStat");
                });
    }

    @Test
    void aNewerWritersExtraFieldIsResolvedAwayForAnOlderReader() {
        String newer = ModelStat.getClassSchema().toString().replace("\"fields\":[",
                "\"fields\":[{\"name\":\"owner_team\",\"type\":\"string\",\"default\":\"\"},");
        Schema newerSchema = new Schema.Parser().parse(newer);
        GenericRecord record = new GenericData.Record(newerSchema);
        ModelStat expected = v1("accuracy", 0.87, 3.5);
        for (Schema.Field field : ModelStat.getClassSchema().getFields()) {
            Object value = expected.get(field.pos());
            record.put(field.name(), value instanceof LocalDate d ? (int) d.toEpochDay() : value);
        }
        record.put("owner_team", "ml-platform");
        InMemorySchemaRegistryClient.forScope(scope).setCompatibility(null, CompatibilityLevel.BACKWARD_TRANSITIVE);

        byte[] bytes = this.<GenericRecord>serializer().serialize(TOPIC, record);
        AvroDeserializer<ModelStat> reader = deserializer(Map.of(AvroSerdeConfig.SPECIFIC_AVRO_VALUE_TYPE, ModelStat.class));

        assertThat(reader.deserialize(TOPIC, bytes)).isEqualTo(expected);
    }

    @Test
    void theRegistryIsAskedOncePerSchemaNotPerRecord() {
        CountingClient counting = new CountingClient(InMemorySchemaRegistryClient.forScope(scope));
        AvroSerializer<ModelStat> serializer = new AvroSerializer<>(counting, false, config);
        AvroDeserializer<ModelStat> deserializer = AvroDeserializer.forType(counting, ModelStat.class);

        for (int i = 0; i < 100; i++) {
            ModelStat stat = v1("accuracy", i / 100.0, null);
            assertThat(deserializer.deserialize(TOPIC, serializer.serialize(TOPIC, stat))).isEqualTo(stat);
        }

        assertThat(counting.registrations).hasValue(1);
        assertThat(counting.fetches).hasValue(1);
    }

    @Test
    void withoutAutoRegistrationAnUnregisteredSchemaIsAClearError() {
        config.put(AvroSerdeConfig.AUTO_REGISTER_SCHEMAS, false);
        assertThatThrownBy(() -> this.<ModelStat>serializer().serialize(TOPIC, v1("accuracy", 1, null)))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("not registered under subject 'model-stats.v1-value'")
                .hasMessageContaining("auto.register.schemas");

        InMemorySchemaRegistryClient.forScope(scope).register("model-stats.v1-value", ModelStat.getClassSchema());
        assertThat(this.<ModelStat>serializer().serialize(TOPIC, v1("accuracy", 1, null))).isNotEmpty();
    }

    /** Counts the calls that reach the registry. */
    private static final class CountingClient extends ForwardingSchemaRegistryClient {
        final AtomicInteger registrations = new AtomicInteger();
        final AtomicInteger fetches = new AtomicInteger();

        CountingClient(SchemaRegistryClient delegate) {
            super(delegate);
        }

        @Override
        public int register(String subject, Schema schema) {
            registrations.incrementAndGet();
            return super.register(subject, schema);
        }

        @Override
        public Schema getSchemaById(int id) {
            fetches.incrementAndGet();
            return super.getSchemaById(id);
        }
    }
}

package statbridge.pipeline.upcast;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.function.Function;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import statbridge.catalog.CatalogEntry;
import statbridge.catalog.CatalogLookup;
import statbridge.catalog.InferenceRules;
import statbridge.catalog.MetricCatalog;
import statbridge.catalog.UnmappedPolicy;
import statbridge.contract.StatKey;
import statbridge.contract.StatValidator;
import statbridge.registry.InMemorySchemaRegistryClient;
import statbridge.registry.SchemaRegistryClient;
import statbridge.serde.AvroDeserializer;
import statbridge.serde.AvroSerializer;
import statbridge.serde.AvroWireFormatException;
import statbridge.v1.ModelStat;
import statbridge.v2.MetricType;

/**
 * The wire upcast against the general one: whatever it takes, it must turn into exactly the bytes
 * the general path writes, and whatever the general path refuses, it must decline.
 */
class WireUpcasterTest {

    private static final String V2 = "model-stats.v2";
    private static final String BUSINESS = "model-business-stats.v2";

    private final String scope = "wire-" + UUID.randomUUID();
    private final SchemaRegistryClient registry = InMemorySchemaRegistryClient.forScope(scope);
    private final AvroSerializer<Object> serializer = new AvroSerializer<>(registry, false, Map.of());
    private final AvroDeserializer<ModelStat> deserializer = AvroDeserializer.forType(registry, ModelStat.class);
    private final StatValidator.Limits limits = StatValidator.Limits.defaults();
    private final Upcaster general = new Upcaster(new StatValidator(limits), UnmappedPolicy.INFER, InferenceRules.defaults());
    private final MetricCatalog catalog = MetricCatalog.of(List.of(
            CatalogEntry.of("accuracy", MetricType.ONLINE, "accuracy"),
            CatalogEntry.of("churn_rate", MetricType.BUSINESS, "churn_rate"),
            CatalogEntry.of("psi_country", MetricType.DRIFT, "psi_country"),
            CatalogEntry.of("ünïcode_name", MetricType.DRIFT, "ключ"),
            CatalogEntry.of("x'; DROP TABLE t; --", MetricType.ONLINE, "k' OR '1'='1")));
    private final int v1Id = serializer.schemaIdFor("model-stats.v1", ModelStat.SCHEMA$);
    private final WireUpcaster wire = new WireUpcaster(limits, id -> id == v1Id,
            () -> serializer.schemaIdFor(V2, statbridge.v2.ModelStat.SCHEMA$),
            () -> serializer.schemaIdFor(BUSINESS, statbridge.v2.BusinessStat.SCHEMA$));
    private final Function<String, CatalogEntry> lookup = name -> catalog.byName(name).orElse(null);

    @AfterEach
    void close() {
        InMemorySchemaRegistryClient.dropScope(scope);
    }

    /** What the general path makes of a message: the two messages, or null when it refuses or infers. */
    private byte[][] generally(byte[] key, byte[] value) {
        ModelStat event;
        try {
            event = deserializer.deserialize("model-stats.v1", value);
        } catch (AvroWireFormatException e) {
            return null;
        }
        UpcastResult result = general.upcast(key == null ? null : new String(key, StandardCharsets.UTF_8), event, (CatalogLookup) catalog);
        if (result instanceof UpcastResult.Upcast upcast && upcast.inferred() == null) {
            return new byte[][] {serializer.serialize(V2, upcast.stat()), serializer.serialize(BUSINESS, upcast.business())};
        }
        return null;
    }

    private int checkBoth(byte[] key, byte[] value) {
        byte[][] expected = generally(key, value);
        boolean taken = wire.upcast(key, value, lookup);
        if (taken) {
            assertThat(expected).as("the general path refuses what the wire upcast took").isNotNull();
            assertThat(wire.stat()).isEqualTo(expected[0]);
            assertThat(wire.business()).isEqualTo(expected[1]);
            return 1;
        }
        return 0;
    }

    private byte[] encode(ModelStat event) {
        return serializer.serialize("model-stats.v1", event);
    }

    private static byte[] key(ModelStat event) {
        return StatKey.of(event).render().getBytes(StandardCharsets.UTF_8);
    }

    private static ModelStat event(String model, String version, LocalDate date, String slice, String name, double value, Double kpi) {
        return new ModelStat(model, version, date, slice, name, value, kpi);
    }

    @Test
    void aCleanEventIsTakenAndGivesTheGeneralPathsBytes() {
        ModelStat event = event("IntentClassifier", "v4", LocalDate.of(2025, 4, 26), "country=PL", "churn_rate", 0.031, 1250.0);
        assertThat(checkBoth(key(event), encode(event))).isOne();
        ModelStat withoutKpi = event("IntentClassifier", "v4", LocalDate.of(2025, 4, 26), "ALL", "accuracy", -0.0, null);
        assertThat(checkBoth(key(withoutKpi), encode(withoutKpi))).isOne();
        ModelStat sqlish = event("M'; --", "v\"1", LocalDate.of(2000, 1, 1), "a/b/c", "x'; DROP TABLE t; --", 1e300, -1e-300);
        assertThat(checkBoth(key(sqlish), encode(sqlish))).isOne();
    }

    @Test
    void whatTheGeneralPathRefusesOrMustInferIsDeclined() {
        LocalDate day = LocalDate.of(2025, 4, 26);
        List<ModelStat> refused = List.of(
                event("M", "v1", day, "ALL", "accuracy", Double.NaN, null),
                event("M", "v1", day, "ALL", "accuracy", 1.0, Double.POSITIVE_INFINITY),
                event("M", "v1", day, "ALL", "accuracy", Double.NEGATIVE_INFINITY, null),
                event(" ", "v1", day, "ALL", "accuracy", 1.0, null),
                event("M", "", day, "ALL", "accuracy", 1.0, null),
                event("M", "v1", day, "A\tB", "accuracy", 1.0, null),
                event("M", "v1", day, "ALL", "accuracy\u007f", 1.0, null),
                event("M".repeat(201), "v1", day, "ALL", "accuracy", 1.0, null),
                event("M", "v1", LocalDate.of(1999, 12, 31), "ALL", "accuracy", 1.0, null),
                event("M", "v1", LocalDate.of(2100, 1, 1), "ALL", "accuracy", 1.0, null),
                event("M", "v1", day, "ALL", "never_seen_before", 1.0, null));
        for (ModelStat event : refused) {
            assertThat(wire.upcast(key(event), encode(event), lookup)).as("%s", event).isFalse();
            assertThat(generally(key(event), encode(event))).as("%s", event).isNull();
        }
        ModelStat clean = event("M", "v1", day, "ALL", "accuracy", 1.0, null);
        byte[] value = encode(clean);
        for (String key : List.of("M/v1/2025-04-26/ALX", "M/v1/2025-04-27/ALL", "M/v2/2025-04-26/ALL", "M/v1/2025-04-26/ALL/",
                "M|v1|2025-04-26|ALL", "")) {
            assertThat(wire.upcast(key.getBytes(StandardCharsets.UTF_8), value, lookup)).as(key).isFalse();
        }
        assertThat(wire.upcast(null, value, lookup)).isFalse();
        byte[] trailing = java.util.Arrays.copyOf(value, value.length + 1);
        assertThat(wire.upcast(key(clean), trailing, lookup)).isFalse();
        assertThat(wire.upcast(key(clean), java.util.Arrays.copyOf(value, value.length - 1), lookup)).isFalse();
    }

    @Test
    void nonAsciiTextsAndOtherLayoutsTakeTheGeneralPath() {
        ModelStat unicode = event("Modèle", "v1", LocalDate.of(2025, 4, 26), "pays=ÎLE", "ünïcode_name", 2.0, null);
        assertThat(wire.upcast(key(unicode), encode(unicode), lookup)).isFalse();
        assertThat(generally(key(unicode), encode(unicode))).isNotNull();

        // The same fields in another order: readable by the general path, not the same bytes.
        Schema reordered = SchemaBuilder.record("ModelStat").namespace("statbridge.v1").fields()
                .requiredString("model_version").requiredString("model_name")
                .name("stat_date").type(org.apache.avro.LogicalTypes.date().addToSchema(Schema.create(Schema.Type.INT))).noDefault()
                .requiredString("slice_key").requiredString("metric_name").requiredDouble("metric_value")
                .optionalDouble("business_metric_value").endRecord();
        GenericRecord record = new GenericData.Record(reordered);
        record.put("model_name", "M");
        record.put("model_version", "v1");
        record.put("stat_date", (int) LocalDate.of(2025, 4, 26).toEpochDay());
        record.put("slice_key", "ALL");
        record.put("metric_name", "accuracy");
        record.put("metric_value", 0.5);
        byte[] other = serializer.serialize("model-stats.v1", record);
        byte[] key = "M/v1/2025-04-26/ALL".getBytes(StandardCharsets.UTF_8);
        assertThat(wire.upcast(key, other, lookup)).isFalse();
        assertThat(generally(key, other)).isNotNull();
    }

    /** Thousands of random events, clean and not, and random corruptions of them. */
    @Test
    void onRandomInputItTakesOnlyWhatItWritesExactlyAsTheGeneralPath() {
        Random random = new Random(20261121);
        String[] names = {"accuracy", "churn_rate", "psi_country", "x'; DROP TABLE t; --", "unknown_metric", "ünïcode_name"};
        int taken = 0;
        int clean = 0;
        for (int i = 0; i < 20_000; i++) {
            String model = text(random);
            String version = text(random);
            String slice = text(random);
            LocalDate date = LocalDate.of(1990, 1, 1).plusDays(random.nextInt(365 * 120));
            String name = names[random.nextInt(names.length)];
            double value = random.nextInt(50) == 0 ? Double.NaN : random.nextGaussian() * Math.pow(10, random.nextInt(40) - 20);
            Double kpi = random.nextBoolean() ? null : random.nextInt(50) == 0 ? Double.POSITIVE_INFINITY : random.nextDouble() * 1e4;
            ModelStat event = event(model, version, date, slice, name, value, kpi);
            byte[] key = key(event);
            byte[] bytes = encode(event);
            if (random.nextInt(10) == 0) {
                bytes[5 + random.nextInt(bytes.length - 5)] ^= (byte) (1 << random.nextInt(8));
            }
            if (random.nextInt(20) == 0) {
                key[random.nextInt(key.length)] ^= 1;
            }
            if (generally(key, bytes) != null && printableAscii(deserializer.deserialize("model-stats.v1", bytes))) {
                clean++;
            }
            taken += checkBoth(key, bytes);
        }
        // It must not decline what it can take: every clean event of printable ASCII is taken.
        assertThat(clean).isGreaterThan(2_000);
        assertThat(taken).isEqualTo(clean);
    }

    private static boolean printableAscii(ModelStat event) {
        return java.util.stream.Stream.of(event.getModelName(), event.getModelVersion(), event.getSliceKey(), event.getMetricName())
                .allMatch(text -> text.chars().allMatch(c -> c >= 0x20 && c <= 0x7E));
    }

    private static String text(Random random) {
        return switch (random.nextInt(12)) {
            case 0 -> "";
            case 1 -> " ";
            case 2 -> "x".repeat(195 + random.nextInt(10));
            case 3 -> "naïve" + random.nextInt(100);
            case 4 -> "tab\there";
            default -> {
                StringBuilder text = new StringBuilder();
                int length = 1 + random.nextInt(20);
                for (int i = 0; i < length; i++) {
                    text.append((char) (0x20 + random.nextInt(0x5F)));
                }
                yield text.toString();
            }
        };
    }
}

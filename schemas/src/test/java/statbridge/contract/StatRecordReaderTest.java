package statbridge.contract;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.Arrays;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import statbridge.registry.InMemorySchemaRegistryClient;
import statbridge.registry.SchemaRegistryClient;
import statbridge.serde.AvroDeserializer;
import statbridge.serde.AvroSerializer;
import statbridge.v2.MetricType;
import statbridge.v2.ModelStat;

/** One order for every component: tombstone, then the value, then the key. */
class StatRecordReaderTest {

    private final String scope = "stat-record-reader-" + UUID.randomUUID();
    private final SchemaRegistryClient registry = InMemorySchemaRegistryClient.forScope(scope);
    private final StatRecordReader<ModelStat> reader = new StatRecordReader<>(AvroDeserializer.forType(registry, ModelStat.class));
    private final ModelStat stat = new ModelStat("IntentClassifier", "v4", LocalDate.of(2026, 11, 20), "ALL", MetricType.ONLINE,
            "accuracy", 0.91);
    private final byte[] value = new AvroSerializer<>(registry, false, Map.of()).serialize("model-stats.v2", stat);
    private static final byte[] NOT_UTF8 = {(byte) 0xC3, 0x28};

    @AfterEach
    void dropScope() {
        InMemorySchemaRegistryClient.dropScope(scope);
    }

    private String verdict(byte[] key, byte[] body) {
        StatRecordReader.Result<ModelStat> result = reader.read("model-stats.v2", key, body);
        return result instanceof StatRecordReader.Refused<ModelStat> refused ? refused.reason() + ": " + refused.message()
                : "read " + ((StatRecordReader.Read<ModelStat>) result).key();
    }

    @Test
    void aGoodRecordIsReadWithItsKey() {
        assertThat(reader.read("model-stats.v2", "k/1".getBytes(StandardCharsets.UTF_8), value))
                .isEqualTo(new StatRecordReader.Read<>("k/1", stat));
        assertThat(verdict(null, value)).isEqualTo("read null");
    }

    @Test
    void theReasonsComeInOneOrder() {
        assertThat(verdict(NOT_UTF8, null)).isEqualTo("invalid-field: the record has no value (a tombstone)");
        assertThat(verdict(NOT_UTF8, Arrays.copyOf(value, 9))).startsWith("bad-wire-format: ");
        assertThat(verdict(NOT_UTF8, value)).isEqualTo("key-mismatch: the record key is not valid UTF-8");
    }
}

package statbridge.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.avro.Schema;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import statbridge.contract.StatValidator;
import statbridge.registry.ForwardingSchemaRegistryClient;
import statbridge.registry.InMemorySchemaRegistryClient;
import statbridge.registry.RegistryUnavailableException;
import statbridge.serde.AvroDeserializer;
import statbridge.serde.AvroSerializer;
import statbridge.sink.RecordDecoder.Accepted;
import statbridge.sink.RecordDecoder.Decoded;
import statbridge.sink.RecordDecoder.Refused;
import statbridge.sink.writer.Fact;
import statbridge.v2.BusinessStat;
import statbridge.v2.MetricType;
import statbridge.v2.ModelStat;

/** The sink's verdict on single records, from literal bytes, without a broker or a database. */
class RecordDecoderTest {

    private static final String STATS = "model-stats.v2";
    private static final String KPIS = "model-business-stats.v2";
    private static final LocalDate DAY = LocalDate.of(2026, 11, 20);
    private static final String KEY = "IntentClassifier/v4/2026-11-20/ALL";

    private final String scope = "record-decoder-" + UUID.randomUUID();
    private final AtomicBoolean registryDown = new AtomicBoolean();
    private final ForwardingSchemaRegistryClient registry = new ForwardingSchemaRegistryClient(
            InMemorySchemaRegistryClient.forScope(scope)) {
        @Override
        public Schema getSchemaById(int id) {
            if (registryDown.get()) {
                throw new RegistryUnavailableException("the registry answered 503", null);
            }
            return super.getSchemaById(id);
        }
    };
    private final AvroSerializer<Object> serializer = new AvroSerializer<>(registry, false, Map.of());
    private final RecordDecoder decoder = new RecordDecoder(STATS, AvroDeserializer.forType(registry, ModelStat.class),
            AvroDeserializer.forType(registry, BusinessStat.class), new StatValidator(StatValidator.Limits.defaults()));

    @AfterEach
    void dropScope() {
        InMemorySchemaRegistryClient.dropScope(scope);
    }

    private static ConsumerRecord<byte[], byte[]> record(String topic, byte[] key, byte[] value) {
        return new ConsumerRecord<>(topic, 2, 41, 1_763_600_000_000L, TimestampType.CREATE_TIME, key == null ? -1 : key.length,
                value == null ? -1 : value.length, key, value, new RecordHeaders(), Optional.empty());
    }

    private ConsumerRecord<byte[], byte[]> stat(String key, double value) {
        return record(STATS, key.getBytes(StandardCharsets.UTF_8), serializer.serialize(STATS,
                new ModelStat("IntentClassifier", "v4", DAY, "ALL", MetricType.ONLINE, "accuracy", value)));
    }

    private static String refusal(Decoded decoded) {
        assertThat(decoded).isInstanceOf(Refused.class);
        Rejected rejected = ((Refused) decoded).rejected();
        return rejected.reason() + ": " + rejected.message();
    }

    @Test
    void aValidStatBecomesAFactWithItsCoordinates() {
        assertThat(decoder.decode(stat(KEY, 0.91))).isEqualTo(new Accepted(new Fact(Fact.Kind.STAT, "IntentClassifier", "v4", DAY,
                "ALL", MetricType.ONLINE, "accuracy", 0.91, 1_763_600_000_000L, STATS, 2, 41)));
    }

    @Test
    void aBusinessStatWithoutAValueIsAWithdrawal() {
        byte[] value = serializer.serialize(KPIS, new BusinessStat("IntentClassifier", "v4", DAY, "ALL", MetricType.BUSINESS,
                "churn_rate", null));
        assertThat(decoder.decode(record(KPIS, KEY.getBytes(StandardCharsets.UTF_8), value))).isEqualTo(new Accepted(
                new Fact(Fact.Kind.BUSINESS, "IntentClassifier", "v4", DAY, "ALL", MetricType.BUSINESS, "churn_rate", null,
                        1_763_600_000_000L, KPIS, 2, 41)));
    }

    @Test
    void aKeyThatIsNotUtf8IsAKeyMismatch() {
        ConsumerRecord<byte[], byte[]> good = stat(KEY, 0.91);
        assertThat(refusal(decoder.decode(record(STATS, new byte[] {(byte) 0xC3, 0x28}, good.value()))))
                .isEqualTo("key-mismatch: the record key is not valid UTF-8");
    }

    @Test
    void aKeyOfAnotherRowIsAKeyMismatch() {
        assertThat(refusal(decoder.decode(stat("IntentClassifier/v4/2026-11-21/ALL", 0.91)))).startsWith("key-mismatch: ");
    }

    @Test
    void aTombstoneIsAnInvalidField() {
        assertThat(refusal(decoder.decode(record(STATS, KEY.getBytes(StandardCharsets.UTF_8), null))))
                .isEqualTo("invalid-field: the record has no value (a tombstone)");
    }

    @Test
    void aNonFiniteValueIsAnInvalidField() {
        assertThat(refusal(decoder.decode(stat(KEY, Double.NaN)))).startsWith("invalid-field: metric_value");
    }

    @Test
    void thirteenBytesDeclaringAHugeStringAreABadWireFormatNotAnAllocation() {
        int id = ByteBuffer.wrap(stat(KEY, 0.91).value(), 1, 4).getInt();
        // magic byte, schema id, then model_name declared 1,500,000,000 bytes long (zig-zag varint) with 3 bytes present
        byte[] poison = ByteBuffer.allocate(13).put((byte) 0).putInt(id)
                .put(new byte[] {(byte) 0x80, (byte) 0xBC, (byte) 0xC1, (byte) 0x96, 0x0B}).put("abc".getBytes(StandardCharsets.US_ASCII))
                .array();
        assertThat(refusal(decoder.decode(record(STATS, KEY.getBytes(StandardCharsets.UTF_8), poison))))
                .startsWith("bad-wire-format: ").contains("field model_name: a string of 1,500,000,000 bytes declared with 3 left");
    }

    @Test
    void aRegistryOutageIsNotTheRecordsFaultAndIsThrownForARetry() {
        ConsumerRecord<byte[], byte[]> record = stat(KEY, 0.91);
        registryDown.set(true);
        RecordDecoder fresh = new RecordDecoder(STATS, AvroDeserializer.forType(registry, ModelStat.class),
                AvroDeserializer.forType(registry, BusinessStat.class), new StatValidator(StatValidator.Limits.defaults()));
        assertThatThrownBy(() -> fresh.decode(record)).isInstanceOf(RegistryUnavailableException.class);
    }

    @Test
    void aRecordWrongInKeyAndBodyGetsTheReasonThePipelineGivesIt() {
        byte[] truncated = java.util.Arrays.copyOf(stat(KEY, 0.91).value(), 9);
        assertThat(refusal(decoder.decode(record(STATS, new byte[] {(byte) 0xC3, 0x28}, truncated)))).startsWith("bad-wire-format: ");
    }
}

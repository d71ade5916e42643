package statbridge.contract;

import java.nio.charset.CharacterCodingException;
import org.apache.avro.specific.SpecificRecord;
import statbridge.deadletter.Reasons;
import statbridge.serde.AvroDeserializer;
import statbridge.serde.AvroWireFormatException;

/**
 * Reads one consumed stat record the way every component does, in one order, so the pipeline and
 * the sink give the same record the same dead-letter reason: a tombstone is {@code invalid-field};
 * then the value is read under its writer's schema (every way its bytes can be wrong has its own
 * reason, see {@link AvroWireFormatException}); then the key must be UTF-8 ({@code key-mismatch}).
 * The caller checks the stat itself with {@link StatValidator}. A failure of the registry is not
 * the record's fault and is thrown. Not thread-safe (the key decoder keeps state).
 *
 * @param <T> the record type the deserializer reads
 */
public final class StatRecordReader<T extends SpecificRecord> {

    /** What a record read as. */
    public sealed interface Result<T> permits Read, Refused {
    }

    /** A record whose value and key could be read; the key is null when the record has none. */
    public record Read<T>(String key, T value) implements Result<T> {
    }

    /** A record to dead-letter, with the reason code and what is wrong. */
    public record Refused<T>(String reason, String message) implements Result<T> {
    }

    private final AvroDeserializer<T> deserializer;
    private final RecordKeys keys = new RecordKeys();

    public StatRecordReader(AvroDeserializer<T> deserializer) {
        this.deserializer = deserializer;
    }

    /**
     * @throws statbridge.registry.RegistryException when the registry fails (not for an id it does not know)
     */
    public Result<T> read(String topic, byte[] key, byte[] value) {
        if (value == null) {
            return new Refused<>(Reasons.INVALID_FIELD, "the record has no value (a tombstone)");
        }
        T record;
        try {
            record = deserializer.deserialize(topic, value);
        } catch (AvroWireFormatException e) {
            return new Refused<>(e.problem().reason(), e.getMessage());
        }
        try {
            return new Read<>(keys.decode(key), record);
        } catch (CharacterCodingException e) {
            return new Refused<>(Reasons.KEY_MISMATCH, "the record key is not valid UTF-8");
        }
    }
}

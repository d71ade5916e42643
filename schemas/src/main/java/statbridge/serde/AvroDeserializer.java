package statbridge.serde;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.data.TimeConversions;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DatumReader;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Deserializer;
import statbridge.registry.RegistryException;
import statbridge.registry.RegistryUnavailableException;
import statbridge.registry.SchemaRegistryClient;
import statbridge.registry.SchemaRegistryClients;
import statbridge.registry.UnsupportedSchemaException;
import statbridge.serde.AvroWireFormatException.Problem;

/**
 * Reads Confluent-framed Avro messages. The writer's schema comes from the registry by the id in
 * the header and is resolved against the reader's schema (a generated class's, or the writer's
 * own for generic reading), so producers on older and newer versions of a schema coexist.
 *
 * <p>Every way the bytes can be wrong raises an {@link AvroWireFormatException} naming the
 * {@link Problem}; a registry that cannot be reached raises {@link RegistryUnavailableException},
 * which says nothing about the message and must not be treated as bad input.
 *
 * @param <T> a generated record class, or {@code GenericRecord}
 */
public class AvroDeserializer<T> implements Deserializer<T> {

    static {
        TrustedClasses.ensure();
    }

    private static final int MAX_UNREADABLE_IDS = 1_000;

    private SchemaRegistryClient registry;
    private boolean ownsRegistry;
    private AvroSerdeConfig config;
    private Schema fixedReaderSchema;
    private final Map<Integer, Reading<T>> readers = new ConcurrentHashMap<>();
    /** Ids whose schema can never be read (another type, references): asked once, not once per message. */
    private final Map<Integer, AvroWireFormatException> unreadable = new ConcurrentHashMap<>();

    /** The writer's schema of an id and the reader that resolves it. */
    private record Reading<T>(Schema writer, DatumReader<T> reader) {
    }
    private final ThreadLocal<BinaryDecoder> decoders = new ThreadLocal<>();

    /** For Kafka to instantiate; {@link #configure} must follow. */
    public AvroDeserializer() {
    }

    /** A deserializer over an existing client. */
    public AvroDeserializer(SchemaRegistryClient registry, boolean isKey, Map<String, ?> configs) {
        this.registry = registry;
        init(AvroSerdeConfig.fromMap(configs, isKey));
    }

    /** A deserializer that reads every message into {@code type}, resolving the writer's schema against it. */
    public static <R extends SpecificRecord> AvroDeserializer<R> forType(SchemaRegistryClient registry, Class<R> type) {
        return new AvroDeserializer<>(registry, false, Map.of(AvroSerdeConfig.SPECIFIC_AVRO_VALUE_TYPE, type));
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        init(AvroSerdeConfig.fromMap(configs, isKey));
        if (registry == null) {
            registry = SchemaRegistryClients.create(configs);
            ownsRegistry = true;
        }
    }

    private void init(AvroSerdeConfig config) {
        this.config = config;
        if (config.specificType() != null) {
            this.fixedReaderSchema = SpecificData.get().getSchema(config.specificType());
        }
    }

    @Override
    public T deserialize(String topic, byte[] data) {
        if (data == null) {
            return null;
        }
        int id = WireFormat.schemaId(data);
        Reading<T> reading = readers.get(id);
        if (reading == null) {
            reading = readingFor(id);
            readers.put(id, reading);
        }
        String malformed = BodyScanner.check(reading.writer(), data, WireFormat.HEADER_SIZE, data.length - WireFormat.HEADER_SIZE);
        if (malformed != null) {
            throw new AvroWireFormatException(Problem.UNDECODABLE_BODY, "the Avro body of a message with schema id " + id
                    + " (" + (data.length - WireFormat.HEADER_SIZE) + " bytes) cannot be " + reading.writer().getFullName()
                    + ": " + malformed, id);
        }
        DatumReader<T> reader = reading.reader();
        BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(data, WireFormat.HEADER_SIZE,
                data.length - WireFormat.HEADER_SIZE, decoders.get());
        decoders.set(decoder);
        T value;
        try {
            value = reader.read(null, decoder);
        } catch (IOException | RuntimeException e) {
            throw new AvroWireFormatException(Problem.UNDECODABLE_BODY, "the Avro body of a message with schema id "
                    + id + " does not decode: " + e, id, e);
        }
        try {
            if (!decoder.isEnd()) {
                throw new AvroWireFormatException(Problem.UNDECODABLE_BODY, "the Avro body of a message with schema id "
                        + id + " has bytes left over after the record", id);
            }
        } catch (IOException e) {
            throw new AvroWireFormatException(Problem.UNDECODABLE_BODY, "cannot read the end of the Avro body: " + e, id, e);
        }
        return value;
    }

    private Reading<T> readingFor(int id) {
        AvroWireFormatException known = unreadable.get(id);
        if (known != null) {
            throw new AvroWireFormatException(known.problem(), known.getMessage(), id);
        }
        try {
            Schema writer = writerSchema(id);
            return new Reading<>(writer, readerFor(id, writer));
        } catch (AvroWireFormatException e) {
            if (e.problem() != Problem.UNKNOWN_SCHEMA_ID && unreadable.size() < MAX_UNREADABLE_IDS) {
                unreadable.put(id, e);
            }
            throw e;
        }
    }

    /**
     * The writer's schema of an id. A registry that cannot be reached, or that refuses us (401,
     * 403), says nothing about the message: that propagates for the caller to retry. Any other
     * answer is a fact about the id and becomes the message's problem.
     */
    private Schema writerSchema(int id) {
        try {
            return registry.getSchemaById(id);
        } catch (RegistryUnavailableException e) {
            throw e;
        } catch (UnsupportedSchemaException e) {
            throw new AvroWireFormatException(Problem.UNSUPPORTED_SCHEMA, e.getMessage(), id, e);
        } catch (RegistryException e) {
            if (e.isNotFound()) {
                throw new AvroWireFormatException(Problem.UNKNOWN_SCHEMA_ID,
                        "the schema registry does not know schema id " + id, id, e);
            }
            if (e.httpStatus() == 401 || e.httpStatus() == 403) {
                throw new RegistryUnavailableException("the schema registry refused to give schema id " + id
                        + " (check the registry credentials): " + e.getMessage(), e);
            }
            if (e.httpStatus() >= 400 && e.httpStatus() < 500) {
                throw new AvroWireFormatException(Problem.UNKNOWN_SCHEMA_ID, "the schema registry cannot give schema id "
                        + id + ": " + e.getMessage(), id, e);
            }
            throw new RegistryUnavailableException("cannot fetch schema id " + id + ": " + e.getMessage(), e);
        }
    }

    private DatumReader<T> readerFor(int id, Schema writer) {
        Schema reader = readerSchema(writer);
        SchemaCompatibility.SchemaPairCompatibility compatibility =
                SchemaCompatibility.checkReaderWriterCompatibility(reader, writer);
        if (compatibility.getType() != SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
            throw new AvroWireFormatException(Problem.INCOMPATIBLE_SCHEMA, "schema id " + id + " ("
                    + writer.getFullName() + ") cannot be read as " + reader.getFullName() + ": "
                    + compatibility.getResult().getIncompatibilities(), id);
        }
        if (config.specificReader()) {
            SpecificData data = SpecificData.getForSchema(reader);
            if (data.getClass(reader) != null) {
                return new SpecificDatumReader<>(writer, reader, data);
            }
        }
        GenericData data = GenericData.get();
        if (config.logicalTypeConverters()) {
            data = new GenericData();
            data.addLogicalTypeConversion(new TimeConversions.DateConversion());
            data.addLogicalTypeConversion(new TimeConversions.TimestampMillisConversion());
            data.addLogicalTypeConversion(new TimeConversions.TimestampMicrosConversion());
        }
        return new GenericDatumReader<>(writer, reader, data);
    }

    private Schema readerSchema(Schema writer) {
        if (fixedReaderSchema != null) {
            return fixedReaderSchema;
        }
        if (config.specificReader()) {
            Class<?> generated = SpecificData.get().getClass(writer);
            if (generated != null && SpecificRecord.class.isAssignableFrom(generated)) {
                return SpecificData.get().getSchema(generated);
            }
        }
        return writer;
    }

    @Override
    public void close() {
        if (ownsRegistry && registry != null) {
            registry.close();
        }
    }
}

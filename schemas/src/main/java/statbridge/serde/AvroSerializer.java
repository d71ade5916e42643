package statbridge.serde;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericContainer;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DatumWriter;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serializer;
import statbridge.registry.CachingSchemaRegistryClient;
import statbridge.registry.RegistryException;
import statbridge.registry.SchemaRegistryClient;
import statbridge.registry.SchemaRegistryClients;

/**
 * Writes Avro records (generated or generic) in the Confluent wire format, registering or
 * looking up the record's schema under the TopicNameStrategy subject ({@code <topic>-value} or
 * {@code <topic>-key}). Schema ids and datum writers are cached per schema, so the registry is
 * asked once per schema, not per record.
 *
 * @param <T> a generated {@link SpecificRecord} or a {@link GenericContainer}
 */
public class AvroSerializer<T> implements Serializer<T> {

    static {
        TrustedClasses.ensure();
    }

    private record SubjectSchema(String subject, Schema schema) {
    }

    /** A buffer grown past this by one large record is not kept for the next. */
    private static final int MAX_RETAINED_BUFFER = 64 * 1024;

    private SchemaRegistryClient registry;
    private boolean ownsRegistry;
    private boolean isKey;
    private AvroSerdeConfig config;
    private final Map<SubjectSchema, Integer> ids = new ConcurrentHashMap<>();
    private final Map<Schema, DatumWriter<Object>> writers = new ConcurrentHashMap<>();
    private final Map<String, String> subjects = new ConcurrentHashMap<>();
    private final ThreadLocal<Output> outputs = ThreadLocal.withInitial(Output::new);

    /** One thread's reusable output: an unsynchronized byte buffer and the encoder writing into it. */
    private static final class Output extends OutputStream {
        byte[] data = new byte[256];
        int size;
        BinaryEncoder encoder;

        @Override
        public void write(int b) {
            ensure(1);
            data[size++] = (byte) b;
        }

        @Override
        public void write(byte[] bytes, int offset, int length) {
            ensure(length);
            System.arraycopy(bytes, offset, data, size, length);
            size += length;
        }

        private void ensure(int extra) {
            if (size + extra > data.length) {
                data = Arrays.copyOf(data, Math.max(data.length * 2, size + extra));
            }
        }
    }

    /** For Kafka to instantiate; {@link #configure} must follow. */
    public AvroSerializer() {
    }

    /** A serializer over an existing client, with Confluent's defaults otherwise. */
    public AvroSerializer(SchemaRegistryClient registry, boolean isKey, Map<String, ?> configs) {
        this.registry = registry;
        this.isKey = isKey;
        this.config = AvroSerdeConfig.fromMap(configs, isKey);
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        this.isKey = isKey;
        this.config = AvroSerdeConfig.fromMap(configs, isKey);
        if (registry == null) {
            this.registry = SchemaRegistryClients.create(configs);
            this.ownsRegistry = true;
        }
    }

    @Override
    public byte[] serialize(String topic, T data) {
        if (data == null) {
            return null;
        }
        if (!(data instanceof GenericContainer container)) {
            throw new SerializationException("AvroSerializer writes Avro records, not " + data.getClass().getName());
        }
        Schema schema = container.getSchema();
        int id = schemaId(subjects.computeIfAbsent(topic, t -> SubjectNames.subject(t, isKey)), schema);
        Output out = outputs.get();
        out.size = 0;
        out.ensure(WireFormat.HEADER_SIZE);
        WireFormat.writeHeader(out.data, id);
        out.size = WireFormat.HEADER_SIZE;
        try {
            out.encoder = EncoderFactory.get().binaryEncoder(out, out.encoder);
            writers.computeIfAbsent(schema, AvroSerializer::writerFor).write(data, out.encoder);
            out.encoder.flush();
        } catch (IOException | RuntimeException e) {
            throw new SerializationException("cannot write " + schema.getFullName() + " for topic " + topic + ": " + e.getMessage(), e);
        }
        byte[] bytes = Arrays.copyOf(out.data, out.size);
        if (out.data.length > MAX_RETAINED_BUFFER) {
            outputs.remove();
        }
        return bytes;
    }

    /**
     * The schema id this serializer writes {@code schema} with on {@code topic} (registering it
     * first when {@code auto.register.schemas} is on), as {@link #serialize} would.
     */
    public int schemaIdFor(String topic, Schema schema) {
        return schemaId(subjects.computeIfAbsent(topic, t -> SubjectNames.subject(t, isKey)), schema);
    }

    private int schemaId(String subject, Schema schema) {
        SubjectSchema key = new SubjectSchema(subject, schema);
        Integer cached = ids.get(key);
        if (cached != null) {
            return cached;
        }
        int id;
        try {
            if (config.autoRegisterSchemas()) {
                id = registry.register(subject, schema);
            } else {
                id = (registry instanceof CachingSchemaRegistryClient caching
                        ? caching.lookupId(subject, schema)
                        : registry.lookup(subject, schema).map(r -> r.id()))
                        .orElseThrow(() -> new SerializationException("schema " + schema.getFullName()
                                + " is not registered under subject '" + subject + "' and "
                                + AvroSerdeConfig.AUTO_REGISTER_SCHEMAS + " is false"));
            }
        } catch (RegistryException e) {
            throw new SerializationException("schema registry refused " + schema.getFullName()
                    + " under subject '" + subject + "': " + e.getMessage(), e);
        }
        ids.put(key, id);
        return id;
    }

    @SuppressWarnings("unchecked")
    private static DatumWriter<Object> writerFor(Schema schema) {
        SpecificData specific = SpecificData.getForSchema(schema);
        if (specific.getClass(schema) != null && SpecificRecord.class.isAssignableFrom(specific.getClass(schema))) {
            return (DatumWriter<Object>) (DatumWriter<?>) new SpecificDatumWriter<>(schema, specific);
        }
        return new GenericDatumWriter<>(schema, GenericData.get());
    }

    @Override
    public void close() {
        if (ownsRegistry && registry != null) {
            registry.close();
        }
    }
}

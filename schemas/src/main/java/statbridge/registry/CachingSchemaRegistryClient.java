package statbridge.registry;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.avro.Schema;

/**
 * Remembers the answers that never change (a schema by id, the id of a schema under a subject),
 * so serializers and deserializers ask the registry once per schema, not once per record.
 * Everything else passes straight through. Each cache holds at most {@code capacity} entries,
 * least recently used first out.
 */
public final class CachingSchemaRegistryClient extends ForwardingSchemaRegistryClient {

    /** Default entries per cache, as in Confluent's clients. */
    public static final int DEFAULT_CAPACITY = 1000;

    private record SubjectSchema(String subject, Schema schema) {
    }

    private final Map<Integer, Schema> schemasById;
    private final Map<SubjectSchema, Integer> idsBySubjectSchema;

    public CachingSchemaRegistryClient(SchemaRegistryClient delegate) {
        this(delegate, DEFAULT_CAPACITY);
    }

    public CachingSchemaRegistryClient(SchemaRegistryClient delegate, int capacity) {
        super(delegate);
        this.schemasById = lru(capacity);
        this.idsBySubjectSchema = lru(capacity);
    }

    private static <K, V> Map<K, V> lru(int capacity) {
        return Collections.synchronizedMap(new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
                return size() > capacity;
            }
        });
    }

    @Override
    public int register(String subject, Schema schema) {
        SubjectSchema key = new SubjectSchema(subject, schema);
        Integer cached = idsBySubjectSchema.get(key);
        if (cached != null) {
            return cached;
        }
        int id = super.register(subject, schema);
        idsBySubjectSchema.put(key, id);
        schemasById.putIfAbsent(id, schema);
        return id;
    }

    @Override
    public Schema getSchemaById(int id) {
        Schema cached = schemasById.get(id);
        if (cached != null) {
            return cached;
        }
        Schema schema = super.getSchemaById(id);
        schemasById.put(id, schema);
        return schema;
    }

    @Override
    public Optional<RegisteredSchema> lookup(String subject, Schema schema) {
        Optional<RegisteredSchema> found = super.lookup(subject, schema);
        found.ifPresent(r -> idsBySubjectSchema.put(new SubjectSchema(subject, schema), r.id()));
        return found;
    }

    /** The id of {@code schema} under {@code subject}, from the cache when known. */
    public Optional<Integer> lookupId(String subject, Schema schema) {
        SubjectSchema key = new SubjectSchema(subject, schema);
        Integer cached = idsBySubjectSchema.get(key);
        if (cached != null) {
            return Optional.of(cached);
        }
        return lookup(subject, schema).map(RegisteredSchema::id);
    }
}

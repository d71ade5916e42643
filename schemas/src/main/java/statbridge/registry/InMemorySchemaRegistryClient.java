package statbridge.registry;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;

/**
 * A registry held in this JVM, for unit tests: configure {@code schema.registry.url=mock://name}
 * and every serializer, deserializer and client configured with the same scope shares one
 * {@link SchemaRegistryStore}, as with Confluent's mock registry.
 *
 * <p>The scopes live in a static map on purpose: Kafka instantiates serdes by reflection, so a
 * shared name is the only way for a producer's serializer and a consumer's deserializer in the
 * same test to see the same schemas. {@link #dropScope} forgets one.
 */
public final class InMemorySchemaRegistryClient implements SchemaRegistryClient {

    private static final Map<String, SchemaRegistryStore> SCOPES = new ConcurrentHashMap<>();

    private final SchemaRegistryStore store;

    public InMemorySchemaRegistryClient(SchemaRegistryStore store) {
        this.store = store;
    }

    /** The client for a named scope, creating the scope on first use. */
    public static InMemorySchemaRegistryClient forScope(String scope) {
        return new InMemorySchemaRegistryClient(SCOPES.computeIfAbsent(scope, s -> new SchemaRegistryStore()));
    }

    /** Forgets every schema registered in a scope. */
    public static void dropScope(String scope) {
        SCOPES.remove(scope);
    }

    @Override
    public int register(String subject, Schema schema) {
        return store.register(subject, schema.toString()).id();
    }

    @Override
    public Schema getSchemaById(int id) {
        return AvroSchemas.parse(id, store.schemaById(id));
    }

    @Override
    public RegisteredSchema getLatestVersion(String subject) {
        return store.version(subject, "latest");
    }

    @Override
    public RegisteredSchema getVersion(String subject, int version) {
        return store.version(subject, Integer.toString(version));
    }

    @Override
    public Optional<RegisteredSchema> lookup(String subject, Schema schema) {
        try {
            return Optional.of(store.lookup(subject, schema.toString()));
        } catch (RegistryException e) {
            if (e.isNotFound()) {
                return Optional.empty();
            }
            throw e;
        }
    }

    @Override
    public List<Integer> getVersions(String subject) {
        return store.versions(subject);
    }

    @Override
    public List<String> getSubjects() {
        return store.subjects();
    }

    @Override
    public List<String> testCompatibility(String subject, Schema schema) {
        return store.testCompatibility(subject, null, schema.toString());
    }

    @Override
    public Optional<CompatibilityLevel> getCompatibility(String subject) {
        return subject == null ? Optional.of(store.globalLevel()) : store.subjectLevel(subject);
    }

    @Override
    public void setCompatibility(String subject, CompatibilityLevel level) {
        if (subject == null) {
            store.setGlobalLevel(level);
        } else {
            store.setSubjectLevel(subject, level);
        }
    }
}

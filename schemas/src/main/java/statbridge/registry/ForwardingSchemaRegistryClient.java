package statbridge.registry;

import java.util.List;
import java.util.Optional;
import org.apache.avro.Schema;

/** A client that hands every call to another; extend it to change a few calls (caching, counting, ...). */
public class ForwardingSchemaRegistryClient implements SchemaRegistryClient {

    private final SchemaRegistryClient delegate;

    public ForwardingSchemaRegistryClient(SchemaRegistryClient delegate) {
        this.delegate = delegate;
    }

    protected SchemaRegistryClient delegate() {
        return delegate;
    }

    @Override
    public int register(String subject, Schema schema) {
        return delegate.register(subject, schema);
    }

    @Override
    public Schema getSchemaById(int id) {
        return delegate.getSchemaById(id);
    }

    @Override
    public RegisteredSchema getLatestVersion(String subject) {
        return delegate.getLatestVersion(subject);
    }

    @Override
    public RegisteredSchema getVersion(String subject, int version) {
        return delegate.getVersion(subject, version);
    }

    @Override
    public Optional<RegisteredSchema> lookup(String subject, Schema schema) {
        return delegate.lookup(subject, schema);
    }

    @Override
    public List<Integer> getVersions(String subject) {
        return delegate.getVersions(subject);
    }

    @Override
    public List<String> getSubjects() {
        return delegate.getSubjects();
    }

    @Override
    public List<String> testCompatibility(String subject, Schema schema) {
        return delegate.testCompatibility(subject, schema);
    }

    @Override
    public Optional<CompatibilityLevel> getCompatibility(String subject) {
        return delegate.getCompatibility(subject);
    }

    @Override
    public void setCompatibility(String subject, CompatibilityLevel level) {
        delegate.setCompatibility(subject, level);
    }

    @Override
    public void close() {
        delegate.close();
    }
}

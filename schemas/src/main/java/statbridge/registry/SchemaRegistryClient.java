package statbridge.registry;

import java.util.List;
import java.util.Optional;
import org.apache.avro.Schema;

/**
 * The operations statbridge needs from a Confluent-compatible schema registry.
 *
 * <p>Implementations: {@link RestSchemaRegistryClient} speaks the REST API to one or more
 * registry URLs, {@link InMemorySchemaRegistryClient} serves {@code mock://<scope>} URLs in unit
 * tests, and {@link CachingSchemaRegistryClient} wraps either so that a hot path asks the
 * registry once per schema. {@link SchemaRegistryClients#create} picks one from configuration.
 *
 * <p>Every method throws {@link RegistryException} for a negative answer and
 * {@link RegistryUnavailableException} when no registry could be reached.
 */
public interface SchemaRegistryClient extends AutoCloseable {

    /** Registers {@code schema} under {@code subject} (or finds it there) and returns its id. */
    int register(String subject, Schema schema);

    /** The schema with this global id. */
    Schema getSchemaById(int id);

    /** The latest version under {@code subject}. */
    RegisteredSchema getLatestVersion(String subject);

    /** One version under {@code subject}. */
    RegisteredSchema getVersion(String subject, int version);

    /** The version of {@code subject} that holds exactly {@code schema}, if any. */
    Optional<RegisteredSchema> lookup(String subject, Schema schema);

    /** The versions under {@code subject}, ascending. */
    List<Integer> getVersions(String subject);

    /** Every subject. */
    List<String> getSubjects();

    /**
     * Checks {@code schema} against the subject's latest version under the subject's rule.
     * An unknown subject is compatible: there is nothing to break.
     *
     * @return the incompatibilities the registry reports; empty when compatible
     */
    List<String> testCompatibility(String subject, Schema schema);

    /** The subject's own compatibility rule, or the global one when {@code subject} is null. */
    Optional<CompatibilityLevel> getCompatibility(String subject);

    /** Sets the subject's rule, or the global one when {@code subject} is null. */
    void setCompatibility(String subject, CompatibilityLevel level);

    @Override
    default void close() {
    }
}

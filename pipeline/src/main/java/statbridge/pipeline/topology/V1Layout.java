package statbridge.pipeline.topology;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntPredicate;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import statbridge.registry.RegistryException;
import statbridge.registry.SchemaRegistryClient;

/**
 * Whether a schema id's schema writes exactly the bytes the v1 schema writes: the same Parsing
 * Canonical Form (names, field order, types; docs, defaults and logical types aside). Answers are
 * kept per id; an id the registry cannot answer for now is not remembered.
 */
final class V1Layout implements IntPredicate {

    private static final long V1 = SchemaNormalization.parsingFingerprint64(statbridge.v1.ModelStat.SCHEMA$);

    private final SchemaRegistryClient registry;
    private final Map<Integer, Boolean> answers = new ConcurrentHashMap<>();

    V1Layout(SchemaRegistryClient registry) {
        this.registry = registry;
    }

    @Override
    public boolean test(int schemaId) {
        Boolean known = answers.get(schemaId);
        if (known != null) {
            return known;
        }
        boolean same;
        try {
            Schema schema = registry.getSchemaById(schemaId);
            same = SchemaNormalization.parsingFingerprint64(schema) == V1;
        } catch (RegistryException e) {
            if (!e.isNotFound()) {
                return false; // the general path reports or retries it
            }
            same = false;
        } catch (RuntimeException e) {
            return false;
        }
        answers.put(schemaId, same);
        return same;
    }
}

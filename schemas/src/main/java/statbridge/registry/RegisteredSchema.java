package statbridge.registry;

/**
 * One version of a schema under a subject, as the registry returns it.
 *
 * @param subject the subject, e.g. {@code model-stats.v1-value}
 * @param id the global schema id written into every message
 * @param version the version under the subject, from 1
 * @param schema the schema text
 */
public record RegisteredSchema(String subject, int id, int version, String schema) {
}

package statbridge.registry;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;

/**
 * The state of a schema registry: subjects, their versions, global schema ids, and the
 * compatibility rules, with the Confluent semantics (an identical schema keeps its id across
 * subjects; registering a schema already under a subject returns its existing id; a schema
 * that breaks the subject's rule is refused with error 409).
 *
 * <p>Held in memory. It backs both statbridge's registry server (which journals its changes, see
 * {@link #recordChangesTo}) and the {@code mock://} client, so both behave the same. Thread-safe.
 */
public final class SchemaRegistryStore {

    /** The Confluent registry's default rule. */
    public static final CompatibilityLevel DEFAULT_COMPATIBILITY = CompatibilityLevel.BACKWARD;

    private final Map<Integer, String> schemasById = new HashMap<>();
    private final Map<String, Integer> idsByCanonical = new HashMap<>();
    private final Map<String, TreeMap<Integer, Integer>> subjects = new LinkedHashMap<>();
    private final Map<String, CompatibilityLevel> subjectLevels = new HashMap<>();
    private CompatibilityLevel globalLevel;
    private int nextId = 1;
    private ChangeLog changes;

    public SchemaRegistryStore() {
        this(DEFAULT_COMPATIBILITY);
    }

    public SchemaRegistryStore(CompatibilityLevel globalLevel) {
        this.globalLevel = globalLevel;
    }

    /**
     * Where every change goes once it is applied, e.g. a journal the store is rebuilt from on the
     * next start: a change is its operation ({@code register}, {@code level}, {@code delete-level},
     * {@code delete-subject}, {@code delete-version}), its subject (null for the global level) and
     * its argument, if any.
     */
    @FunctionalInterface
    public interface ChangeLog {
        void append(String op, String subject, String field, String value);
    }

    /** Sends every change from now on to {@code changes}. */
    public synchronized void recordChangesTo(ChangeLog changes) {
        this.changes = changes;
    }

    private void record(String op, String subject, String field, String value) {
        if (changes != null) {
            changes.append(op, subject, field, value);
        }
    }

    /**
     * Registers a schema under a subject.
     *
     * @throws RegistryException 42201 when the text is not a valid Avro schema, 409 when it breaks
     *     the subject's compatibility rule
     */
    public synchronized RegisteredSchema register(String subject, String schemaText) {
        Schema schema = parse(schemaText);
        String canonical = schema.toString();
        TreeMap<Integer, Integer> versions = subjects.get(subject);
        if (versions != null) {
            Integer existingId = idsByCanonical.get(canonical);
            if (existingId != null) {
                for (Map.Entry<Integer, Integer> version : versions.entrySet()) {
                    if (version.getValue().equals(existingId)) {
                        return new RegisteredSchema(subject, existingId, version.getKey(), canonical);
                    }
                }
            }
            List<String> problems = AvroCompatibility.check(schema, schemasOf(versions), effectiveLevel(subject));
            if (!problems.isEmpty()) {
                throw new RegistryException(409, RegistryException.INCOMPATIBLE_SCHEMA,
                        "Schema being registered is incompatible with an earlier schema for subject \""
                                + subject + "\", details: " + problems);
            }
        }
        int id = idsByCanonical.computeIfAbsent(canonical, c -> {
            int assigned = nextId++;
            schemasById.put(assigned, c);
            return assigned;
        });
        TreeMap<Integer, Integer> target = subjects.computeIfAbsent(subject, s -> new TreeMap<>());
        int version = target.isEmpty() ? 1 : target.lastKey() + 1;
        target.put(version, id);
        record("register", subject, "schema", canonical);
        return new RegisteredSchema(subject, id, version, canonical);
    }

    /** The schema text for a global id. */
    public synchronized String schemaById(int id) {
        String schema = schemasById.get(id);
        if (schema == null) {
            throw RegistryException.schemaNotFound("with id " + id);
        }
        return schema;
    }

    /** Subjects and versions that use a global id. */
    public synchronized List<RegisteredSchema> usagesOf(int id) {
        schemaById(id);
        List<RegisteredSchema> usages = new ArrayList<>();
        subjects.forEach((subject, versions) -> versions.forEach((version, vid) -> {
            if (vid == id) {
                usages.add(new RegisteredSchema(subject, id, version, schemasById.get(id)));
            }
        }));
        return usages;
    }

    /**
     * One version of a subject.
     *
     * @param version a version number, or {@code "latest"} / {@code "-1"}
     */
    public synchronized RegisteredSchema version(String subject, String version) {
        TreeMap<Integer, Integer> versions = versionsOf(subject);
        int wanted = parseVersion(version, versions);
        Integer id = versions.get(wanted);
        if (id == null) {
            throw RegistryException.versionNotFound(subject, version);
        }
        return new RegisteredSchema(subject, id, wanted, schemasById.get(id));
    }

    /** The version of a subject that holds exactly this schema. */
    public synchronized RegisteredSchema lookup(String subject, String schemaText) {
        TreeMap<Integer, Integer> versions = versionsOf(subject);
        Integer id = idsByCanonical.get(parse(schemaText).toString());
        if (id != null) {
            for (Map.Entry<Integer, Integer> version : versions.entrySet()) {
                if (version.getValue().equals(id)) {
                    return new RegisteredSchema(subject, id, version.getKey(), schemasById.get(id));
                }
            }
        }
        throw RegistryException.schemaNotFound("under subject '" + subject + "'");
    }

    public synchronized List<Integer> versions(String subject) {
        return new ArrayList<>(versionsOf(subject).keySet());
    }

    public synchronized List<String> subjects() {
        return new ArrayList<>(subjects.keySet());
    }

    /** Deletes a subject and returns the versions it had. Ids stay resolvable, as in Confluent. */
    public synchronized List<Integer> deleteSubject(String subject) {
        List<Integer> versions = new ArrayList<>(versionsOf(subject).keySet());
        subjects.remove(subject);
        subjectLevels.remove(subject);
        record("delete-subject", subject, null, null);
        return versions;
    }

    /** Deletes one version of a subject and returns its number. */
    public synchronized int deleteVersion(String subject, String version) {
        TreeMap<Integer, Integer> versions = versionsOf(subject);
        int wanted = parseVersion(version, versions);
        if (versions.remove(wanted) == null) {
            throw RegistryException.versionNotFound(subject, version);
        }
        if (versions.isEmpty()) {
            subjects.remove(subject);
        }
        record("delete-version", subject, "version", Integer.toString(wanted));
        return wanted;
    }

    /**
     * Checks a schema against a subject's versions under its rule.
     *
     * @param version one version to check against, or null for the versions the rule selects
     * @return the incompatibilities; empty when compatible (also when the subject does not exist
     *     and no version was named)
     */
    public synchronized List<String> testCompatibility(String subject, String version, String schemaText) {
        Schema schema = parse(schemaText);
        TreeMap<Integer, Integer> versions = subjects.get(subject);
        if (versions == null) {
            if (version == null) {
                return List.of();
            }
            throw RegistryException.subjectNotFound(subject);
        }
        CompatibilityLevel level = effectiveLevel(subject);
        if (version == null) {
            return AvroCompatibility.check(schema, schemasOf(versions), level);
        }
        RegisteredSchema against = version(subject, version);
        CompatibilityLevel single = switch (level) {
            case BACKWARD_TRANSITIVE -> CompatibilityLevel.BACKWARD;
            case FORWARD_TRANSITIVE -> CompatibilityLevel.FORWARD;
            case FULL_TRANSITIVE -> CompatibilityLevel.FULL;
            default -> level;
        };
        return AvroCompatibility.check(schema, List.of(parse(against.schema())), single);
    }

    public synchronized CompatibilityLevel globalLevel() {
        return globalLevel;
    }

    public synchronized void setGlobalLevel(CompatibilityLevel level) {
        this.globalLevel = level;
        record("level", null, "level", level.name());
    }

    public synchronized Optional<CompatibilityLevel> subjectLevel(String subject) {
        return Optional.ofNullable(subjectLevels.get(subject));
    }

    public synchronized void setSubjectLevel(String subject, CompatibilityLevel level) {
        subjectLevels.put(subject, level);
        record("level", subject, "level", level.name());
    }

    public synchronized Optional<CompatibilityLevel> deleteSubjectLevel(String subject) {
        Optional<CompatibilityLevel> removed = Optional.ofNullable(subjectLevels.remove(subject));
        removed.ifPresent(level -> record("delete-level", subject, null, null));
        return removed;
    }

    /** The rule that applies to a subject: its own, else the global one. */
    public synchronized CompatibilityLevel effectiveLevel(String subject) {
        return subjectLevels.getOrDefault(subject, globalLevel);
    }

    private TreeMap<Integer, Integer> versionsOf(String subject) {
        TreeMap<Integer, Integer> versions = subjects.get(subject);
        if (versions == null) {
            throw RegistryException.subjectNotFound(subject);
        }
        return versions;
    }

    private List<Schema> schemasOf(TreeMap<Integer, Integer> versions) {
        List<Schema> schemas = new ArrayList<>(versions.size());
        for (int id : versions.values()) {
            schemas.add(parse(schemasById.get(id)));
        }
        return schemas;
    }

    private static int parseVersion(String version, TreeMap<Integer, Integer> versions) {
        if ("latest".equals(version) || "-1".equals(version)) {
            return versions.lastKey();
        }
        try {
            int parsed = Integer.parseInt(version);
            if (parsed < 1) {
                throw new NumberFormatException();
            }
            return parsed;
        } catch (NumberFormatException e) {
            throw new RegistryException(422, RegistryException.INVALID_VERSION,
                    "The specified version '" + version + "' is not a valid version id. "
                            + "Allowed values are between [1, 2^31-1] and the string \"latest\"");
        }
    }

    static Schema parse(String schemaText) {
        if (schemaText == null || schemaText.isBlank()) {
            throw RegistryException.invalidSchema("empty schema");
        }
        try {
            return new Schema.Parser().parse(schemaText);
        } catch (AvroRuntimeException | IllegalArgumentException | NullPointerException e) {
            throw RegistryException.invalidSchema(e.getMessage());
        }
    }
}

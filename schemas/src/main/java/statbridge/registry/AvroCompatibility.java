package statbridge.registry;

import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.Incompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.apache.avro.SchemaCompatibility.SchemaPairCompatibility;

/**
 * Checks a candidate Avro schema against earlier versions under a {@link CompatibilityLevel},
 * using Avro's own {@link SchemaCompatibility}, and explains every incompatibility found.
 *
 * <p>One implementation serves the registry server, the in-memory registry, the build-time
 * evolution check and {@code statbridge schemas check}, so they can never disagree.
 */
public final class AvroCompatibility {

    private AvroCompatibility() {
    }

    /**
     * Returns one human-readable line per incompatibility; an empty list means compatible.
     *
     * @param candidate the proposed new version
     * @param previous the earlier versions, oldest first
     * @param level the rule to apply
     */
    public static List<String> check(Schema candidate, List<Schema> previous, CompatibilityLevel level) {
        List<String> problems = new ArrayList<>();
        if (level == CompatibilityLevel.NONE || previous.isEmpty()) {
            return problems;
        }
        int first = level.isTransitive() ? 0 : previous.size() - 1;
        for (int i = previous.size() - 1; i >= first; i--) {
            Schema earlier = previous.get(i);
            String which = "version " + (i + 1) + " of " + previous.size();
            if (level.checksBackward()) {
                describe(SchemaCompatibility.checkReaderWriterCompatibility(candidate, earlier), candidate,
                        "BACKWARD: the new schema cannot read data written with " + which, problems);
            }
            if (level.checksForward()) {
                describe(SchemaCompatibility.checkReaderWriterCompatibility(earlier, candidate), earlier,
                        "FORWARD: " + which + " cannot read data written with the new schema", problems);
            }
        }
        return problems;
    }

    private static void describe(SchemaPairCompatibility pair, Schema reader, String prefix, List<String> into) {
        if (pair.getType() == SchemaCompatibilityType.COMPATIBLE) {
            return;
        }
        List<Incompatibility> incompatibilities = pair.getResult().getIncompatibilities();
        if (incompatibilities.isEmpty()) {
            into.add(prefix + ": " + pair.getDescription());
            return;
        }
        for (Incompatibility incompatibility : incompatibilities) {
            String field = fieldPath(reader, incompatibility.getLocation());
            into.add(prefix + ": " + incompatibility.getType() + " at " + incompatibility.getLocation()
                    + (field.isEmpty() ? "" : " (field " + field + ")") + ": " + incompatibility.getMessage());
        }
    }

    /** Turns a location such as {@code /fields/5/type} into the dotted field names it points at in {@code schema}. */
    static String fieldPath(Schema schema, String location) {
        StringBuilder names = new StringBuilder();
        Schema current = schema;
        String[] parts = location == null ? new String[0] : location.split("/");
        for (int i = 0; i < parts.length - 1; i++) {
            if (!parts[i].equals("fields") || current == null || current.getType() != Schema.Type.RECORD) {
                continue;
            }
            try {
                Schema.Field field = current.getFields().get(Integer.parseInt(parts[i + 1]));
                names.append(names.length() == 0 ? "" : ".").append(field.name());
                current = field.schema();
                if (current.getType() == Schema.Type.UNION) {
                    current = current.getTypes().stream().filter(t -> t.getType() == Schema.Type.RECORD).findFirst().orElse(current);
                }
            } catch (NumberFormatException | IndexOutOfBoundsException e) {
                break;
            }
        }
        return names.toString();
    }
}

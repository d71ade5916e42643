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
                describe(SchemaCompatibility.checkReaderWriterCompatibility(candidate, earlier),
                        "BACKWARD: the new schema cannot read data written with " + which, problems);
            }
            if (level.checksForward()) {
                describe(SchemaCompatibility.checkReaderWriterCompatibility(earlier, candidate),
                        "FORWARD: " + which + " cannot read data written with the new schema", problems);
            }
        }
        return problems;
    }

    private static void describe(SchemaPairCompatibility pair, String prefix, List<String> into) {
        if (pair.getType() == SchemaCompatibilityType.COMPATIBLE) {
            return;
        }
        List<Incompatibility> incompatibilities = pair.getResult().getIncompatibilities();
        if (incompatibilities.isEmpty()) {
            into.add(prefix + ": " + pair.getDescription());
            return;
        }
        for (Incompatibility incompatibility : incompatibilities) {
            into.add(prefix + ": " + incompatibility.getType() + " at " + incompatibility.getLocation()
                    + ": " + incompatibility.getMessage());
        }
    }
}

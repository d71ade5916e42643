package statbridge.contract;

import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;
import statbridge.registry.AvroCompatibility;
import statbridge.registry.CompatibilityLevel;

/**
 * Checks that the current contract schemas may follow their released versions under each
 * subject's rule. The build runs this (SchemaEvolutionTest) and so does
 * {@code statbridge schemas check}.
 */
public final class SchemaEvolution {

    /** The outcome for one record: its rule and every incompatibility found (empty when fine). */
    public record Result(ContractSchema record, CompatibilityLevel rule, int releasedVersions, List<String> problems) {
        public boolean compatible() {
            return problems.isEmpty();
        }
    }

    private SchemaEvolution() {
    }

    /** Checks every contract record's current schema against its released history. */
    public static List<Result> checkAll(SchemaHistory history) {
        List<Result> results = new ArrayList<>();
        for (ContractSchema record : ContractSchema.values()) {
            results.add(check(record, record.schema(), history));
        }
        return results;
    }

    /** Checks {@code candidate} as the next version of {@code record}. */
    public static Result check(ContractSchema record, Schema candidate, SchemaHistory history) {
        List<Schema> released = history.released(record);
        CompatibilityLevel rule = history.rule(record);
        return new Result(record, rule, released.size(), AvroCompatibility.check(candidate, released, rule));
    }
}

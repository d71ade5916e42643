package statbridge.contract;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.junit.jupiter.api.Test;
import statbridge.registry.AvroCompatibility;
import statbridge.registry.CompatibilityLevel;

/**
 * Holds the evolution rules. The first test is the build's guard: change a .avsc file in a way
 * its subject's rule forbids and the build fails here, printing every incompatibility.
 */
class SchemaEvolutionTest {

    private final SchemaHistory history = SchemaHistory.load();

    @Test
    void everyContractSchemaFollowsItsReleasedVersionsUnderItsSubjectsRule() {
        for (SchemaEvolution.Result result : SchemaEvolution.checkAll(history)) {
            assertThat(result.releasedVersions())
                    .as("released versions of %s", result.record().fullName())
                    .isPositive();
            assertThat(result.problems())
                    .as("%s is not %s-compatible with its released versions:%n  %s",
                            result.record().fullName(), result.rule(), String.join("\n  ", result.problems()))
                    .isEmpty();
        }
    }

    @Test
    void subjectsDefaultToBackwardTransitive() {
        for (ContractSchema record : ContractSchema.values()) {
            assertThat(history.rule(record)).isEqualTo(CompatibilityLevel.BACKWARD_TRANSITIVE);
        }
    }

    @Test
    void addingAFieldWithoutADefaultIsCaughtAndExplained() {
        Schema current = ContractSchema.MODEL_STAT_V1.schema();
        String broken = current.toString().replace("\"fields\":[",
                "\"fields\":[{\"name\":\"owner_team\",\"type\":\"string\"},");
        SchemaEvolution.Result result = SchemaEvolution.check(ContractSchema.MODEL_STAT_V1,
                new Schema.Parser().parse(broken), history);

        assertThat(result.compatible()).isFalse();
        assertThat(result.problems()).singleElement().asString()
                .contains("BACKWARD", "READER_FIELD_MISSING_DEFAULT_VALUE", "owner_team");
    }

    @Test
    void addingAFieldWithADefaultIsAllowed() {
        Schema current = ContractSchema.MODEL_STAT_V2.schema();
        String evolved = current.toString().replace("\"fields\":[",
                "\"fields\":[{\"name\":\"owner_team\",\"type\":\"string\",\"default\":\"\"},");
        assertThat(SchemaEvolution.check(ContractSchema.MODEL_STAT_V2, new Schema.Parser().parse(evolved), history)
                .problems()).isEmpty();
    }

    @Test
    void transitiveRulesLookPastTheLatestVersion() {
        Schema v1 = SchemaBuilder.record("R").fields().requiredString("a").endRecord();
        Schema v2 = SchemaBuilder.record("R").fields().endRecord();
        Schema v3 = SchemaBuilder.record("R").fields().name("a").type().intType().intDefault(0).endRecord();

        assertThat(AvroCompatibility.check(v3, List.of(v1, v2), CompatibilityLevel.BACKWARD)).isEmpty();
        assertThat(AvroCompatibility.check(v3, List.of(v1, v2), CompatibilityLevel.BACKWARD_TRANSITIVE))
                .singleElement().asString().contains("version 1 of 2", "TYPE_MISMATCH");
    }

    @Test
    void forwardRulesCheckThatOldReadersCanReadNewData() {
        Schema old = SchemaBuilder.record("R").fields().requiredString("a").requiredString("b").endRecord();
        Schema dropsB = SchemaBuilder.record("R").fields().requiredString("a").endRecord();

        assertThat(AvroCompatibility.check(dropsB, List.of(old), CompatibilityLevel.BACKWARD)).isEmpty();
        assertThat(AvroCompatibility.check(dropsB, List.of(old), CompatibilityLevel.FORWARD))
                .singleElement().asString().startsWith("FORWARD").contains("b");
        assertThat(AvroCompatibility.check(dropsB, List.of(old), CompatibilityLevel.FULL)).hasSize(1);
        assertThat(AvroCompatibility.check(dropsB, List.of(old), CompatibilityLevel.NONE)).isEmpty();
    }
}

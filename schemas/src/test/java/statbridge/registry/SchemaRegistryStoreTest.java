package statbridge.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.junit.jupiter.api.Test;

class SchemaRegistryStoreTest {

    private static final Schema V1 = SchemaBuilder.record("R").namespace("t").fields().requiredString("a").endRecord();
    private static final Schema V2 = SchemaBuilder.record("R").namespace("t").fields().requiredString("a")
            .name("b").type().intType().intDefault(0).endRecord();
    private static final Schema V2_BREAKING = SchemaBuilder.record("R").namespace("t").fields().requiredString("a")
            .requiredInt("b").endRecord();

    private final SchemaRegistryStore store = new SchemaRegistryStore();

    @Test
    void registeringTheSameSchemaTwiceKeepsItsIdAndVersion() {
        RegisteredSchema first = store.register("s-value", V1.toString());
        RegisteredSchema again = store.register("s-value", V1.toString(true));

        assertThat(again).isEqualTo(first);
        assertThat(first.version()).isEqualTo(1);
        assertThat(store.versions("s-value")).containsExactly(1);
    }

    @Test
    void anIdenticalSchemaKeepsItsIdUnderAnotherSubject() {
        int id = store.register("a-value", V1.toString()).id();
        RegisteredSchema other = store.register("b-value", V1.toString());

        assertThat(other.id()).isEqualTo(id);
        assertThat(other.version()).isEqualTo(1);
        assertThat(store.usagesOf(id)).extracting(RegisteredSchema::subject).containsExactly("a-value", "b-value");
    }

    @Test
    void aCompatibleNewVersionGetsTheNextVersionAndANewId() {
        RegisteredSchema first = store.register("s-value", V1.toString());
        RegisteredSchema second = store.register("s-value", V2.toString());

        assertThat(second.version()).isEqualTo(2);
        assertThat(second.id()).isNotEqualTo(first.id());
        assertThat(store.version("s-value", "latest")).isEqualTo(second);
        assertThat(store.version("s-value", "1")).isEqualTo(first);
        assertThat(store.lookup("s-value", V1.toString())).isEqualTo(first);
    }

    @Test
    void anIncompatibleVersionIsRefusedWith409AndTheReason() {
        store.register("s-value", V1.toString());

        assertThatThrownBy(() -> store.register("s-value", V2_BREAKING.toString()))
                .isInstanceOfSatisfying(RegistryException.class, e -> {
                    assertThat(e.httpStatus()).isEqualTo(409);
                    assertThat(e.errorCode()).isEqualTo(RegistryException.INCOMPATIBLE_SCHEMA);
                    assertThat(e.getMessage()).contains("READER_FIELD_MISSING_DEFAULT_VALUE", "b");
                });
        assertThat(store.versions("s-value")).containsExactly(1);
    }

    @Test
    void theSubjectsOwnRuleOverridesTheGlobalOne() {
        store.register("s-value", V1.toString());
        store.setSubjectLevel("s-value", CompatibilityLevel.NONE);

        assertThat(store.register("s-value", V2_BREAKING.toString()).version()).isEqualTo(2);
        assertThat(store.effectiveLevel("other")).isEqualTo(CompatibilityLevel.BACKWARD);
    }

    @Test
    void compatibilityTestsDoNotRegister() {
        store.register("s-value", V1.toString());

        assertThat(store.testCompatibility("s-value", null, V2.toString())).isEmpty();
        assertThat(store.testCompatibility("s-value", "latest", V2_BREAKING.toString())).isNotEmpty();
        assertThat(store.testCompatibility("unknown-value", null, V2.toString())).isEmpty();
        assertThat(store.versions("s-value")).containsExactly(1);
    }

    @Test
    void badRequestsGetTheConfluentErrorCodes() {
        store.register("s-value", V1.toString());

        assertThatThrownBy(() -> store.register("s-value", "{not json"))
                .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.errorCode()).isEqualTo(42201));
        assertThatThrownBy(() -> store.version("s-value", "zero"))
                .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.errorCode()).isEqualTo(42202));
        assertThatThrownBy(() -> store.version("s-value", "7"))
                .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.errorCode()).isEqualTo(40402));
        assertThatThrownBy(() -> store.version("nope", "1"))
                .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.errorCode()).isEqualTo(40401));
        assertThatThrownBy(() -> store.schemaById(999))
                .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.errorCode()).isEqualTo(40403));
        assertThatThrownBy(() -> store.lookup("s-value", V2.toString()))
                .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.errorCode()).isEqualTo(40403));
    }

    @Test
    void deletingASubjectKeepsItsIdsResolvable() {
        int id = store.register("s-value", V1.toString()).id();

        assertThat(store.deleteSubject("s-value")).containsExactly(1);
        assertThat(store.subjects()).isEmpty();
        assertThat(store.schemaById(id)).isEqualTo(V1.toString());
    }
}

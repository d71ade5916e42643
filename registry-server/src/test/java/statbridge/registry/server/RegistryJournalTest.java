package statbridge.registry.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import statbridge.registry.CompatibilityLevel;
import statbridge.registry.SchemaRegistryStore;

class RegistryJournalTest {

    private static final Schema V1 = SchemaBuilder.record("R").namespace("t").fields().requiredString("a").endRecord();
    private static final Schema V2 = SchemaBuilder.record("R").namespace("t").fields().requiredString("a")
            .name("b").type().intType().intDefault(0).endRecord();
    private static final Schema V2_BREAKING = SchemaBuilder.record("R").namespace("t").fields().requiredString("a")
            .requiredInt("b").endRecord();

    @Test
    void aJournaledStoreComesBackWithTheSameIdsVersionsAndRules(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("registry").resolve("registry.jsonl");
        SchemaRegistryStore first = RegistryJournal.open(file);
        int a = first.register("a-value", V1.toString()).id();
        first.setSubjectLevel("a-value", CompatibilityLevel.NONE);
        int b = first.register("a-value", V2_BREAKING.toString()).id();
        first.register("b-value", V2.toString());
        first.deleteSubject("b-value");

        SchemaRegistryStore again = RegistryJournal.open(file);

        assertThat(again.schemaById(a)).isEqualTo(V1.toString());
        assertThat(again.version("a-value", "2").id()).isEqualTo(b);
        assertThat(again.subjectLevel("a-value")).contains(CompatibilityLevel.NONE);
        assertThat(again.subjects()).containsExactly("a-value");
        assertThat(again.register("c-value", V2.toString()).id()).as("ids continue after the replayed ones").isEqualTo(b + 1);
    }

    @Test
    void everyChangeIsOneJsonLine(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("registry.jsonl");
        SchemaRegistryStore store = RegistryJournal.open(file);
        store.register("a-value", V1.toString());
        store.setGlobalLevel(CompatibilityLevel.FULL);
        assertThat(Files.readAllLines(file, StandardCharsets.UTF_8)).containsExactly(
                "{\"op\":\"register\",\"subject\":\"a-value\",\"schema\":" + com.fasterxml.jackson.databind.node.TextNode.valueOf(
                        V1.toString()) + "}",
                "{\"op\":\"level\",\"subject\":null,\"level\":\"FULL\"}");
    }

    @Test
    void aJournalWithAnUnknownChangeIsRefusedWithTheLine(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("registry.jsonl");
        Files.writeString(file, "{\"op\":\"rename\",\"subject\":\"a-value\"}\n");
        assertThatThrownBy(() -> RegistryJournal.open(file)).isInstanceOf(IOException.class)
                .hasMessage("unknown change in " + file + ": {\"op\":\"rename\",\"subject\":\"a-value\"}");
    }
}

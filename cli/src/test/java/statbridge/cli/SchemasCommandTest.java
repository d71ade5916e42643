package statbridge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import org.apache.avro.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import statbridge.registry.CompatibilityLevel;
import statbridge.registry.server.SchemaRegistryServer;

/** {@code statbridge schemas check|register} against our registry server over HTTP. */
class SchemasCommandTest {

    private SchemaRegistryServer registry;
    private final CliRunner cli = new CliRunner();

    @BeforeEach
    void start() throws IOException {
        registry = SchemaRegistryServer.startLocal();
    }

    @AfterEach
    void stop() {
        registry.close();
    }

    private int run(String... args) {
        return cli.run(args);
    }

    @Test
    void registerPutsAllThreeSchemasUnderTheirSubjectsWithTheHistorysRuleAndIsIdempotent() {
        assertThat(run("schemas", "register", "--registry", registry.url())).isZero();
        assertThat(run("schemas", "register", "--registry", registry.url())).isZero();

        assertThat(registry.store().subjects()).containsExactlyInAnyOrder(
                "model-stats.v1-value", "model-stats.v2-value", "model-business-stats.v2-value");
        for (String subject : registry.store().subjects()) {
            assertThat(registry.store().versions(subject)).containsExactly(1);
            assertThat(registry.store().subjectLevel(subject)).contains(CompatibilityLevel.BACKWARD_TRANSITIVE);
        }
        assertThat(cli.out()).contains("statbridge.v1.ModelStat", "model-stats.v1-value version 1, schema id");
    }

    @Test
    void checkPassesWhenTheRegistryHoldsTheSameSchemas() {
        run("schemas", "register", "--registry", registry.url());

        assertThat(run("schemas", "check", "--registry", registry.url())).isZero();
        assertThat(cli.out())
                .contains("Against the released history", "BACKWARD_TRANSITIVE, 1 released version(s)")
                .contains("model-stats.v2-value (latest version 1, rule BACKWARD_TRANSITIVE)")
                .contains("All schemas are compatible.");
    }

    @Test
    void checkReportsARegisteredSchemaTheContractCannotFollowAndExitsOne() {
        Schema incompatible = new Schema.Parser().parse(statbridge.v1.ModelStat.getClassSchema().toString()
                .replace("{\"name\":\"metric_value\",\"type\":\"double\"}", "{\"name\":\"metric_value\",\"type\":\"string\"}"));
        registry.store().register("model-stats.v1-value", incompatible.toString());

        assertThat(run("schemas", "check", "--registry", registry.url())).isEqualTo(ExitCodes.PROBLEM);
        assertThat(cli.out()).contains("FAIL  statbridge.v1.ModelStat", "TYPE_MISMATCH", "metric_value")
                .contains("Some schemas are NOT compatible");
    }

    @Test
    void aNamedRegistryThatDoesNotAnswerIsAnErrorNotASilentSkip() throws IOException {
        int dead;
        try (ServerSocket socket = new ServerSocket(0)) {
            dead = socket.getLocalPort();
        }
        assertThat(run("schemas", "check", "--registry", "http://127.0.0.1:" + dead)).isEqualTo(ExitCodes.PROBLEM);
        assertThat(cli.err()).contains("cannot reach the schema registry", "127.0.0.1:" + dead);
    }

    @Test
    void badUsageExitsTwoWithTheUsage() {
        assertThat(run("schemas", "check", "--no-such-flag")).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(cli.err()).contains("Unknown option: '--no-such-flag'", "Usage:");
        assertThat(run("schemas", "register", "--registry", registry.url(), "--compatibility", "SOMETIMES"))
                .isEqualTo(ExitCodes.BAD_INPUT);
    }

    @Test
    void helpListsTheSubcommands() {
        assertThat(run("--help")).isZero();
        assertThat(cli.out()).contains("Usage: statbridge", "schemas", "Exit codes");
    }
}

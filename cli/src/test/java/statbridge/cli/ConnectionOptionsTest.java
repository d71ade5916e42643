package statbridge.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;
import statbridge.config.ConfigurationException;
import statbridge.registry.RegistrySettings;

/** Every command checks every key the product reads before it starts. */
class ConnectionOptionsTest {

    @Test
    void aBadValueOfAnyDeclaredKeyStopsTheCommandWithEveryProblemNamed() {
        assertThatThrownBy(() -> new ConnectionOptions().resolve(Map.of("STATBRIDGE_SINK_WRITE_LANES", "0",
                "STATBRIDGE_PIPELINE_UNMAPPED_POLICY", "guess")))
                .isInstanceOf(ConfigurationException.class)
                .hasMessage("2 settings are not valid:\n"
                        + "  pipeline.unmapped.policy must be one of INFER, DLQ, not 'guess' (environment STATBRIDGE_PIPELINE_UNMAPPED_POLICY)\n"
                        + "  sink.write.lanes must be a whole number from 1 to 64, not '0' (environment STATBRIDGE_SINK_WRITE_LANES)");
    }

    @Test
    void goodValuesAndTheShortEndpointNamesPass() {
        assertThat(RegistrySettings.clientConfig(new ConnectionOptions().resolve(Map.of("STATBRIDGE_KAFKA", "broker:9092",
                "STATBRIDGE_MAX_RETRIES", "5")))).containsEntry("max.retries", "5");
    }

    @Test
    void aMistypedKeyStopsEveryCommandWithExitTwoAndTheNearestKnownKey(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        assertThatThrownBy(() -> new ConnectionOptions().resolve(Map.of("STATBRIDGE_SINK_WRITE_LANE", "2")))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("'sink.write.lane' (environment STATBRIDGE_SINK_WRITE_LANE) is not a setting; the nearest is 'sink.write.lanes'");

        java.nio.file.Path config = dir.resolve("sink.properties");
        java.nio.file.Files.writeString(config, "kafka.linger.ms=5\nsink.hikari.maxLifetime=60000\nconsole.prot=8089\n");
        CliRunner cli = new CliRunner();
        assertThat(cli.run("verify", "--config", config.toString(), "--jdbc", "jdbc:postgresql://127.0.0.1:1/none")).isEqualTo(2);
        assertThat(cli.err()).contains("'console.prot' (file " + config + ") is not a setting; the nearest is 'console.port'")
                .doesNotContain("kafka.linger.ms").doesNotContain("maxLifetime");
    }
}

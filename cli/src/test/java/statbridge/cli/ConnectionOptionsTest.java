package statbridge.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;
import statbridge.config.ConfigurationException;

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
        assertThat(new ConnectionOptions().resolve(Map.of("STATBRIDGE_KAFKA", "broker:9092", "STATBRIDGE_MAX_RETRIES", "5"))
                .registryClientConfig()).containsEntry("max.retries", "5");
    }
}

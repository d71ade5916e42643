package statbridge.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import statbridge.config.Configuration;
import statbridge.config.ConfigurationException;
import statbridge.sink.dualwrite.GraceAction;

/** The sink refuses at start every value its settings do not allow, and reads the rest typed. */
class SinkConfigTest {

    private static SinkConfig from(Map<String, String> flags) {
        return SinkConfig.from(Configuration.load(null, Map.of(), flags));
    }

    @Test
    void everyKeyIsReadTyped() {
        SinkConfig config = from(Map.of("sink.grace.period.end", "2026-12-31T00:00:00Z", "sink.grace.period.action", "switch_off",
                "sink.accept.data.loss", "model-stats.v2-3, model-stats.v2-4", "max.retries", "9"));
        assertThat(config.gracePeriodEnd()).isEqualTo(Instant.parse("2026-12-31T00:00:00Z"));
        assertThat(config.graceAction()).isEqualTo(GraceAction.SWITCH_OFF);
        assertThat(config.acceptDataLoss()).containsExactlyInAnyOrder("model-stats.v2-3", "model-stats.v2-4");
        assertThat(config.registry()).containsEntry("max.retries", "9");
    }

    @Test
    void aBackoffCeilingBelowTheFirstWaitIsRefusedAtStart() {
        assertThatThrownBy(() -> from(Map.of("sink.retry.max.backoff.ms", "100"))).isInstanceOf(ConfigurationException.class)
                .hasMessage("sink.retry.max.backoff.ms must be a whole number from 250 to 3600000, not '100' (flag)");
    }

    @Test
    void aGracePeriodEndThatIsNotADateTimeIsRefused() {
        assertThatThrownBy(() -> from(Map.of("sink.grace.period.end", "next friday"))).isInstanceOf(ConfigurationException.class)
                .hasMessage("sink.grace.period.end must be an ISO date-time such as 2026-12-31T00:00:00Z, not 'next friday' (flag)");
    }

    @Test
    void moreLanesThanConnectionsAreRefused() {
        assertThatThrownBy(() -> from(Map.of("sink.write.lanes", "6", "sink.pool.size", "4"))).isInstanceOf(ConfigurationException.class)
                .hasMessage("sink.write.lanes must be between 1 and sink.pool.size (4), not 6");
    }

    @Test
    void aPartitionToAcceptLossForThatIsNotTopicDashNumberIsRefusedWithTheFormItMustHave() {
        assertThatThrownBy(() -> from(Map.of("sink.accept.data.loss", "model-stats.v2-3, model-stats.v2:4")))
                .isInstanceOf(ConfigurationException.class)
                .hasMessage("sink.accept.data.loss must be partitions as topic-N (e.g. model-stats.v2-3), comma-separated, or all, "
                        + "not 'model-stats.v2-3, model-stats.v2:4' (flag)");
        assertThat(from(Map.of("sink.accept.data.loss", "all")).acceptDataLoss()).containsExactly("all");
    }
}

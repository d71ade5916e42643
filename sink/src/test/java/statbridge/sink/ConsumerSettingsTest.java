package statbridge.sink;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import statbridge.config.Configuration;

class ConsumerSettingsTest {

    private static Map<String, Object> settings(Map<String, String> flags) {
        return new TreeMap<>(ConsumerSettings.of(SinkConfig.from(Configuration.load(null, Map.of(), flags))));
    }

    @Test
    void exactlyOnceIntoPostgresqlFixesWhatNoSettingMayChange() {
        assertThat(settings(Map.of("kafka.bootstrap.servers", "broker:9092", "sink.group.id", "analytics-sink",
                "kafka.security.protocol", "SSL", "sink.consumer.enable.auto.commit", "true",
                "sink.consumer.auto.offset.reset", "earliest", "sink.consumer.isolation.level", "read_uncommitted")))
                .containsExactlyEntriesOf(new TreeMap<>(Map.of(
                        "auto.offset.reset", "none",
                        "bootstrap.servers", "broker:9092",
                        "enable.auto.commit", false,
                        "group.id", "analytics-sink",
                        "isolation.level", "read_committed",
                        "key.deserializer", "org.apache.kafka.common.serialization.ByteArrayDeserializer",
                        "max.partition.fetch.bytes", 65_536,
                        "max.poll.records", 5_000,
                        "security.protocol", "SSL",
                        "value.deserializer", "org.apache.kafka.common.serialization.ByteArrayDeserializer")));
    }

    @Test
    void theBatchSizeAndFetchSizeAreDefaultsAConsumerSettingOverrides() {
        Map<String, Object> settings = settings(Map.of("sink.batch.max.records", "700",
                "sink.consumer.max.poll.records", "300", "sink.consumer.max.partition.fetch.bytes", "1048576"));
        assertThat(settings).containsEntry("max.poll.records", "300").containsEntry("max.partition.fetch.bytes", "1048576");
        assertThat(settings(Map.of("sink.batch.max.records", "700"))).containsEntry("max.poll.records", 700);
    }
}

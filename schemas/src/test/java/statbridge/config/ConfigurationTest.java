package statbridge.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigurationTest {

    @TempDir
    Path dir;

    @Test
    void flagsBeatTheEnvironmentWhichBeatsTheFile() throws Exception {
        Path file = dir.resolve("statbridge.properties");
        Files.writeString(file, """
                kafka.bootstrap.servers=file:9092
                schema.registry.url=http://file:8081
                jdbc.url=jdbc:postgresql://file/db
                """);
        Map<String, String> env = Map.of("STATBRIDGE_SCHEMA_REGISTRY_URL", "http://env:8081",
                "STATBRIDGE_JDBC_URL", "jdbc:postgresql://env/db", "PATH", "/usr/bin");
        Map<String, String> flags = new HashMap<>();
        flags.put("jdbc.url", "jdbc:postgresql://flag/db");
        flags.put("kafka.bootstrap.servers", null);

        Configuration config = Configuration.load(file, env, flags);

        assertThat(config.get(CommonSettings.KAFKA_BOOTSTRAP_SERVERS)).isEqualTo("file:9092");
        assertThat(config.get(CommonSettings.SCHEMA_REGISTRY_URL)).isEqualTo("http://env:8081");
        assertThat(config.get(CommonSettings.JDBC_URL)).isEqualTo("jdbc:postgresql://flag/db");
        assertThat(config.get(CommonSettings.TOPIC_V1)).isEqualTo("model-stats.v1");
        assertThat(config.origin(CommonSettings.SCHEMA_REGISTRY_URL)).isEqualTo("environment STATBRIDGE_SCHEMA_REGISTRY_URL");
        assertThat(config.origin(CommonSettings.TOPIC_V1)).isEqualTo("default");
    }

    @Test
    void environmentNamesMapToKeysWithDoubleUnderscoreForALiteralOne() {
        assertThat(Setting.environmentVariable("kafka.sasl.jaas.config")).isEqualTo("STATBRIDGE_KAFKA_SASL_JAAS_CONFIG");
        assertThat(Configuration.keyFromEnvironment("KAFKA_SASL_JAAS_CONFIG")).isEqualTo("kafka.sasl.jaas.config");
        assertThat(Configuration.keyFromEnvironment("SINK_MAX__ROWS")).isEqualTo("sink.max_rows");
        assertThat(Setting.environmentVariable("sink.max_rows")).isEqualTo("STATBRIDGE_SINK_MAX__ROWS");
    }

    @Test
    void keysThatWouldNotSurviveTheEnvironmentAreRefused() {
        assertThatThrownBy(() -> new Setting("topic.model-stats", null, "x")).hasMessageContaining("lower-case");
    }

    @Test
    void passThroughKeysKeepTheirSuffixAndSecretsAreHidden() {
        Configuration config = Configuration.load(null, Map.of(), Map.of(
                "kafka.security.protocol", "SASL_SSL",
                "kafka.sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule required password=\"p\";",
                "basic.auth.user.info", "ops:pw",
                "jdbc.password", "pw"));

        assertThat(config.withPrefix("kafka.")).containsEntry("security.protocol", "SASL_SSL")
                .containsKey("sasl.jaas.config");
        assertThat(config.registryClientConfig()).containsEntry("basic.auth.user.info", "ops:pw")
                .containsEntry("schema.registry.url", "http://localhost:8081");
        assertThat(config.describe().toString()).doesNotContain("pw").doesNotContain("PlainLoginModule")
                .contains("SASL_SSL");
    }

    @Test
    void malformedValuesAreRefusedNamingTheKeyAndWhereTheValueCameFrom() {
        Setting batch = new Setting("sink.batch.max.records", "5000", "rows per batch");
        Configuration config = Configuration.load(null, Map.of("STATBRIDGE_SINK_BATCH_MAX_RECORDS", "lots"), Map.of());

        assertThatThrownBy(() -> config.getInt(batch))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("sink.batch.max.records")
                .hasMessageContaining("lots")
                .hasMessageContaining("STATBRIDGE_SINK_BATCH_MAX_RECORDS");
        assertThatThrownBy(() -> Configuration.load(dir.resolve("missing.properties"), Map.of(), Map.of()))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("does not exist");
    }
}

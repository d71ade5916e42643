package statbridge.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import statbridge.contract.ValidationSettings;
import statbridge.registry.RegistrySettings;

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
        assertThat(RegistrySettings.clientConfig(config)).containsEntry("basic.auth.user.info", "ops:pw")
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

    @Test
    void aValueItsDeclarationDoesNotAllowIsRefusedWithTheKeyWhatIsAllowedAndWhereItCameFrom() {
        Setting lanes = Setting.integer("sink.write.lanes", 2, 1, 64, "lanes");
        Configuration config = Configuration.load(null, Map.of("STATBRIDGE_SINK_WRITE_LANES", "0"), Map.of());

        assertThatThrownBy(() -> config.validate(List.of(lanes))).isInstanceOf(ConfigurationException.class)
                .hasMessage("sink.write.lanes must be a whole number from 1 to 64, not '0' (environment STATBRIDGE_SINK_WRITE_LANES)");
    }

    @Test
    void everyBadValueIsNamedAtOnce() {
        Configuration config = Configuration.load(null, Map.of(), Map.of("sink.grace.period.action", "later",
                "validation.allow.non.finite", "yes", "validation.min.date", "2020-13-01"));

        assertThatThrownBy(() -> config.validate(List.of(Setting.choice("sink.grace.period.action", List.of("SWITCH_OFF", "WARN"), "x"),
                ValidationSettings.ALLOW_NON_FINITE, ValidationSettings.MIN_DATE)))
                .isInstanceOf(ConfigurationException.class)
                .hasMessage("3 settings are not valid:\n"
                        + "  sink.grace.period.action must be one of SWITCH_OFF, WARN, not 'later' (flag)\n"
                        + "  validation.allow.non.finite must be true or false, not 'yes' (flag)\n"
                        + "  validation.min.date must be a date YYYY-MM-DD, not '2020-13-01' (flag)");
    }

    @Test
    void allowedValuesPassAndChoicesIgnoreCase() {
        Configuration config = Configuration.load(null, Map.of(), Map.of("sink.grace.period.action", "switch_off",
                "validation.max.string.length", "64"));
        config.validate(List.of(Setting.choice("sink.grace.period.action", List.of("SWITCH_OFF", "WARN"), "x"),
                ValidationSettings.MAX_STRING_LENGTH));
        assertThat(config.getInt(ValidationSettings.MAX_STRING_LENGTH)).isEqualTo(64);
    }

    @Test
    void aDefaultItsOwnDeclarationRefusesIsAProgrammingError() {
        assertThatThrownBy(() -> Setting.integer("sink.pool.size", 0, 1, 64, "x")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("sink.pool.size: the default '0' is not a whole number from 1 to 64");
    }

    @Test
    void theRegistryClientsOwnKeysReachTheClientFromAFileOrTheEnvironment() {
        Configuration config = Configuration.load(null, Map.of("STATBRIDGE_MAX_RETRIES", "7", "STATBRIDGE_HTTP_READ_TIMEOUT_MS", "900"),
                Map.of("retries.wait.ms", "50"));
        config.validate(RegistrySettings.all());
        assertThat(RegistrySettings.clientConfig(config)).containsEntry("max.retries", "7").containsEntry("http.read.timeout.ms", "900")
                .containsEntry("retries.wait.ms", "50");
        assertThat(statbridge.registry.RegistryClientConfig.fromMap(RegistrySettings.clientConfig(config)).maxRetries()).isEqualTo(7);
        assertThatThrownBy(() -> Configuration.load(null, Map.of("STATBRIDGE_MAX_RETRIES", "-1"), Map.of()).validate(RegistrySettings.all()))
                .hasMessage("max.retries must be a whole number from 0 to 100, not '-1' (environment STATBRIDGE_MAX_RETRIES)");
    }

    @Test
    void aMistypedKeyInAnOwnNamespaceIsRefusedWithTheNearestDeclaredOne() throws Exception {
        Path file = dir.resolve("typo.properties");
        Files.writeString(file, "sink.batch.max.record=10\n");
        Configuration config = Configuration.load(file, Map.of("STATBRIDGE_SINK_GROPU_ID", "g"), Map.of());
        List<Setting> known = List.of(new Setting("sink.group.id", "statbridge-sink", "group"),
                Setting.integer("sink.batch.max.records", 5_000, 1, 100_000, "batch"), new Setting("topic.v1", "model-stats.v1", "topic"));

        assertThatThrownBy(() -> config.refuseUnknown(known, List.of()))
                .isInstanceOf(ConfigurationException.class)
                .hasMessage("2 keys are not settings (statbridge config reference lists them all):\n"
                        + "  'sink.batch.max.record' (file " + file + ") is not a setting; the nearest is 'sink.batch.max.records'\n"
                        + "  'sink.gropu.id' (environment STATBRIDGE_SINK_GROPU_ID) is not a setting; the nearest is 'sink.group.id'");
    }

    @Test
    void keysForAnotherLibraryAndKeysOfNamespacesStatbridgeDoesNotOwnAreLeftAlone() {
        Configuration config = Configuration.load(null, Map.of("STATBRIDGE_LOG_LEVEL", "DEBUG", "STATBRIDGE_HOME", "/tmp"),
                Map.of("sink.consumer.max.poll.records", "500", "sink.group.id", "g"));
        List<Setting> known = List.of(new Setting("sink.group.id", "statbridge-sink", "group"));

        config.refuseUnknown(known, List.of("sink.consumer."));
        assertThatThrownBy(() -> config.refuseUnknown(known, List.of()))
                .hasMessageContaining("'sink.consumer.max.poll.records' (flag) is not a setting");
    }

    @Test
    void theNearestKeyIsTheFewestEditsAway() {
        assertThat(Configuration.nearest("sink.write.lane", List.of("sink.group.id", "sink.write.lanes", "sink.pool.size")))
                .isEqualTo("sink.write.lanes");
        assertThat(Configuration.nearest("topic.v3", List.of("topic.v1", "topic.v2", "topic.dlq"))).isEqualTo("topic.v1");
    }

    @Test
    void aRuleBeyondTheTypeRefusesAValueWithWhatItAllowsAndChecksTheDefault() {
        Setting even = Setting.integer("sink.even", 2, 0, 100, "an even number").validatedBy("an even number from 0 to 100",
                value -> Integer.parseInt(value) % 2 == 0);
        Configuration config = Configuration.load(null, Map.of(), Map.of("sink.even", "3"));

        assertThatThrownBy(() -> config.validate(List.of(even))).isInstanceOf(ConfigurationException.class)
                .hasMessage("sink.even must be an even number from 0 to 100, not '3' (flag)");
        assertThat(even.allowed()).isEqualTo("an even number from 0 to 100");
        assertThatThrownBy(() -> Setting.integer("sink.odd", 2, 0, 100, "odd").validatedBy("odd", value -> Integer.parseInt(value) % 2 == 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("the default '2' is not odd");
    }

    @Test
    void anInstantIsReadOrEmptyWhenUnsetOrBlank() {
        Setting end = Setting.instant("sink.end", "end");
        assertThat(Configuration.load(null, Map.of(), Map.of("sink.end", "2026-12-31T00:00:00Z")).getInstant(end))
                .contains(java.time.Instant.parse("2026-12-31T00:00:00Z"));
        assertThat(Configuration.load(null, Map.of(), Map.of("sink.end", " ")).getInstant(end)).isEmpty();
        assertThat(Configuration.empty().getInstant(end)).isEmpty();
        assertThatThrownBy(() -> Configuration.load(null, Map.of(), Map.of("sink.end", "tomorrow")).getInstant(end))
                .isInstanceOf(ConfigurationException.class)
                .hasMessage("sink.end must be an ISO date-time such as 2026-12-31T00:00:00Z, not 'tomorrow' (flag)");
    }

    /** A component's declarations, as {@link Setting#declaredIn} reads them. */
    static final class Declared {
        public static final Setting FIRST = new Setting("sink.first", "1", "first");
        public static final Setting SECOND = Setting.bool("sink.second", true, "second");
        static final Setting NOT_PUBLIC = new Setting("sink.hidden", "x", "not a public declaration");
        public static Setting notFinal = new Setting("sink.mutable", "x", "not final");
        public static final String NOT_A_SETTING = "sink.text";
    }

    @Test
    void aComponentsSettingsAreItsPublicDeclarationsInTheirOrder() {
        assertThat(Setting.declaredIn(Declared.class)).containsExactly(Declared.FIRST, Declared.SECOND);
        assertThat(CommonSettings.all()).contains(CommonSettings.KAFKA_BOOTSTRAP_SERVERS, CommonSettings.TOPIC_CATALOG)
                .hasSize(10);
    }
}

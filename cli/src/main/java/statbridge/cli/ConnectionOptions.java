package statbridge.cli;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import picocli.CommandLine.Option;
import statbridge.config.CommonSettings;
import statbridge.config.Configuration;

/**
 * The options every command that talks to Kafka, the registry or PostgreSQL takes. Values come
 * from {@code --config}, then {@code STATBRIDGE_*} environment variables, then these flags.
 */
public final class ConnectionOptions {

    @Option(names = "--config", paramLabel = "FILE", description = "Properties file with configuration keys (see README).")
    Path configFile;

    @Option(names = "--kafka", paramLabel = "HOST:PORT", description = "Kafka bootstrap servers (default: kafka.bootstrap.servers, else localhost:9092).")
    String kafka;

    @Option(names = "--registry", paramLabel = "URL", description = "Schema registry URL (default: schema.registry.url, else http://localhost:8081).")
    String registry;

    @Option(names = "--jdbc", paramLabel = "URL", description = "PostgreSQL JDBC URL (default: jdbc.url, else jdbc:postgresql://localhost:5432/postgres).")
    String jdbc;

    /**
     * The configuration these options, the file and the environment resolve to; endpoints they
     * leave out come from a {@code statbridge up} running on this machine, if there is one.
     */
    public Configuration resolve() {
        Configuration config = resolve(System.getenv());
        java.util.Optional<Map<String, String>> local = LocalEndpoints.read();
        if (local.isEmpty()) {
            return config;
        }
        Map<String, String> fill = new HashMap<>();
        for (var setting : java.util.List.of(CommonSettings.KAFKA_BOOTSTRAP_SERVERS, CommonSettings.SCHEMA_REGISTRY_URL,
                CommonSettings.JDBC_URL)) {
            if (!config.isSet(setting) && local.get().containsKey(setting.key())) {
                fill.put(setting.key(), local.get().get(setting.key()));
            }
        }
        return config.with(fill);
    }

    /** As {@link #resolve()}, without looking for a running {@code statbridge up}. */
    public Configuration resolveWithoutLocalEndpoints() {
        return resolve(System.getenv());
    }

    Configuration resolve(Map<String, String> environment) {
        Map<String, String> flags = new HashMap<>();
        flags.put(CommonSettings.KAFKA_BOOTSTRAP_SERVERS.key(), kafka);
        flags.put(CommonSettings.SCHEMA_REGISTRY_URL.key(), registry);
        flags.put(CommonSettings.JDBC_URL.key(), jdbc);
        Map<String, String> environmentWithShortNames = new HashMap<>(environment);
        shortName(environment, "STATBRIDGE_KAFKA", CommonSettings.KAFKA_BOOTSTRAP_SERVERS.environmentVariable(), environmentWithShortNames);
        shortName(environment, "STATBRIDGE_REGISTRY", CommonSettings.SCHEMA_REGISTRY_URL.environmentVariable(), environmentWithShortNames);
        shortName(environment, "STATBRIDGE_JDBC", CommonSettings.JDBC_URL.environmentVariable(), environmentWithShortNames);
        Configuration config = Configuration.load(configFile, environmentWithShortNames, flags);
        config.validate(ConfigReference.settings());
        config.refuseUnknown(ConfigReference.settings(), ConfigReference.passThroughPrefixes());
        return config;
    }

    private static void shortName(Map<String, String> environment, String shortName, String longName, Map<String, String> into) {
        into.remove(shortName);
        if (environment.containsKey(shortName) && !environment.containsKey(longName)) {
            into.put(longName, environment.get(shortName));
        }
    }
}

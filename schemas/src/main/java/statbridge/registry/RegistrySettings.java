package statbridge.registry;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import statbridge.config.CommonSettings;
import statbridge.config.Configuration;
import statbridge.config.Setting;

/**
 * The schema registry client's keys, Confluent's names, declared once: {@link RegistryClientConfig}
 * reads a client's map by them, and statbridge reads them from a file, the environment or flags
 * for the pipeline, the sink and the CLI. {@code schema.registry.url} is
 * {@link CommonSettings#SCHEMA_REGISTRY_URL}; {@code schema.registry.ssl.*} keys pass through to
 * the client's TLS settings.
 */
public final class RegistrySettings {

    public static final Setting URL = CommonSettings.SCHEMA_REGISTRY_URL;
    public static final Setting BASIC_AUTH_CREDENTIALS_SOURCE = Setting.choice("basic.auth.credentials.source",
            List.of("USER_INFO", "URL"), "USER_INFO to send basic.auth.user.info, URL to take user:password from the URL. Default: none.");
    public static final Setting BASIC_AUTH_USER_INFO = Setting.password("basic.auth.user.info",
            "user:password for HTTP basic authentication. Never logged.");
    public static final Setting CONNECT_TIMEOUT_MS = Setting.longInteger("http.connect.timeout.ms", 10_000, 1, 600_000,
            "Time to open a connection to the registry.");
    public static final Setting READ_TIMEOUT_MS = Setting.longInteger("http.read.timeout.ms", 30_000, 1, 600_000,
            "Time to wait for the registry's answer.");
    public static final Setting MAX_RETRIES = Setting.integer("max.retries", 3, 0, 100,
            "Attempts after the first, per round of the registry URLs, on a network error, a 5xx or a 429.");
    public static final Setting RETRIES_WAIT_MS = Setting.longInteger("retries.wait.ms", 250, 0, 600_000,
            "First wait between registry attempts; it doubles each time.");
    public static final Setting RETRIES_MAX_WAIT_MS = Setting.longInteger("retries.max.wait.ms", 5_000, 0, 600_000,
            "Longest wait between registry attempts.");
    public static final Setting CACHE_CAPACITY = Setting.integer("schema.registry.cache.capacity",
            CachingSchemaRegistryClient.DEFAULT_CAPACITY, 1, 1_000_000, "Schemas and ids the client keeps per cache.");
    /** Keys that go to the client's TLS settings as they are ({@link TlsSettings}). */
    public static final String SSL_PASS_THROUGH = "schema.registry.ssl.";

    private RegistrySettings() {
    }

    /** The client's own keys besides the URL (which {@link CommonSettings} declares with the other endpoints). */
    public static List<Setting> all() {
        return Setting.declaredIn(RegistrySettings.class).stream().filter(setting -> setting != URL).toList();
    }

    /**
     * The settings for a registry client from {@code config}: {@code schema.registry.*},
     * {@code basic.auth.*} and the client's other keys, with the URL resolved.
     */
    public static Map<String, String> clientConfig(Configuration config) {
        Map<String, String> client = new HashMap<>(config.startingWith("schema.registry.", "basic.auth."));
        for (Setting setting : all()) {
            if (config.isSet(setting)) {
                client.put(setting.key(), config.get(setting));
            }
        }
        client.put(URL.key(), config.get(URL));
        return client;
    }
}

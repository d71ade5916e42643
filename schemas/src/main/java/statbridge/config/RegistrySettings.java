package statbridge.config;

import java.util.List;
import statbridge.registry.CachingSchemaRegistryClient;
import statbridge.registry.RegistryClientConfig;

/**
 * The schema registry client's own keys, Confluent's names, as statbridge reads them from a
 * file, the environment or flags for the pipeline, the sink and the CLI. {@code schema.registry.url}
 * is {@link CommonSettings#SCHEMA_REGISTRY_URL}; {@code schema.registry.ssl.*} keys pass through
 * to the client's TLS settings.
 */
public final class RegistrySettings {

    public static final Setting BASIC_AUTH_CREDENTIALS_SOURCE = Setting.choice(RegistryClientConfig.BASIC_AUTH_CREDENTIALS_SOURCE,
            List.of("USER_INFO", "URL"), RegistryClientConfig.BASIC_AUTH_CREDENTIALS_SOURCE_DOC);
    public static final Setting BASIC_AUTH_USER_INFO = Setting.password(RegistryClientConfig.BASIC_AUTH_USER_INFO,
            RegistryClientConfig.BASIC_AUTH_USER_INFO_DOC);
    public static final Setting CONNECT_TIMEOUT_MS = Setting.longInteger(RegistryClientConfig.CONNECT_TIMEOUT_MS,
            RegistryClientConfig.CONNECT_TIMEOUT_MS_DEFAULT, 1, 600_000, "Time to open a connection to the registry.");
    public static final Setting READ_TIMEOUT_MS = Setting.longInteger(RegistryClientConfig.READ_TIMEOUT_MS,
            RegistryClientConfig.READ_TIMEOUT_MS_DEFAULT, 1, 600_000, "Time to wait for the registry's answer.");
    public static final Setting MAX_RETRIES = Setting.integer(RegistryClientConfig.MAX_RETRIES,
            RegistryClientConfig.MAX_RETRIES_DEFAULT, 0, 100,
            "Attempts after the first, per round of the registry URLs, on a network error, a 5xx or a 429.");
    public static final Setting RETRIES_WAIT_MS = Setting.longInteger(RegistryClientConfig.RETRIES_WAIT_MS,
            RegistryClientConfig.RETRIES_WAIT_MS_DEFAULT, 0, 600_000, "First wait between registry attempts; it doubles each time.");
    public static final Setting RETRIES_MAX_WAIT_MS = Setting.longInteger(RegistryClientConfig.RETRIES_MAX_WAIT_MS,
            RegistryClientConfig.RETRIES_MAX_WAIT_MS_DEFAULT, 0, 600_000, "Longest wait between registry attempts.");
    public static final Setting CACHE_CAPACITY = Setting.integer(RegistryClientConfig.CACHE_CAPACITY,
            CachingSchemaRegistryClient.DEFAULT_CAPACITY, 1, 1_000_000, "Schemas and ids the client keeps per cache.");

    private RegistrySettings() {
    }

    public static List<Setting> all() {
        return List.of(BASIC_AUTH_CREDENTIALS_SOURCE, BASIC_AUTH_USER_INFO, CONNECT_TIMEOUT_MS, READ_TIMEOUT_MS, MAX_RETRIES,
                RETRIES_WAIT_MS, RETRIES_MAX_WAIT_MS, CACHE_CAPACITY);
    }
}

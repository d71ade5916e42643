package statbridge.registry;

import java.util.Map;

/** Creates the right {@link SchemaRegistryClient} for a configuration. */
public final class SchemaRegistryClients {

    private SchemaRegistryClients() {
    }

    /**
     * A caching client: in memory for {@code mock://<scope>} URLs, over REST otherwise.
     */
    public static SchemaRegistryClient create(RegistryClientConfig config) {
        SchemaRegistryClient base = config.isMock()
                ? InMemorySchemaRegistryClient.forScope(mockScope(config.urls().get(0)))
                : new RestSchemaRegistryClient(config);
        return new CachingSchemaRegistryClient(base, config.cacheCapacity());
    }

    /** The scope named by a {@code mock://<scope>} URL. */
    public static String mockScope(String url) {
        String scope = url.substring("mock://".length());
        int slash = scope.indexOf('/');
        return slash < 0 ? scope : scope.substring(0, slash);
    }

    /** Reads the Confluent-named keys from {@code configs}; see {@link RegistryClientConfig#fromMap}. */
    public static SchemaRegistryClient create(Map<String, ?> configs) {
        return create(RegistryClientConfig.fromMap(configs));
    }
}

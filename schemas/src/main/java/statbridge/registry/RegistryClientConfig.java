package statbridge.registry;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * How to reach a schema registry. The keys are Confluent's, so one client configuration works
 * for their serializers and ours.
 *
 * @param urls one or more base URLs, tried in order when one does not answer
 * @param basicAuthUserInfo {@code user:password}, or null for no authentication
 * @param connectTimeout time to open a connection
 * @param requestTimeout time to wait for an answer
 * @param maxRetries attempts after the first, per URL round, on a network error or a 5xx/429
 * @param retryBackoff first wait between attempts, doubled each time
 * @param retryMaxBackoff the longest wait between attempts
 * @param tls trust and key stores for {@code https} URLs, or null for the JVM defaults
 * @param cacheCapacity entries per client-side cache
 */
public record RegistryClientConfig(
        List<String> urls,
        String basicAuthUserInfo,
        Duration connectTimeout,
        Duration requestTimeout,
        int maxRetries,
        Duration retryBackoff,
        Duration retryMaxBackoff,
        TlsSettings tls,
        int cacheCapacity) {

    // The keys, as RegistrySettings declares them (names, defaults and docs once).
    public static final String URL = RegistrySettings.URL.key();
    public static final String BASIC_AUTH_CREDENTIALS_SOURCE = RegistrySettings.BASIC_AUTH_CREDENTIALS_SOURCE.key();
    public static final String BASIC_AUTH_USER_INFO = RegistrySettings.BASIC_AUTH_USER_INFO.key();
    public static final String CONNECT_TIMEOUT_MS = RegistrySettings.CONNECT_TIMEOUT_MS.key();
    public static final String READ_TIMEOUT_MS = RegistrySettings.READ_TIMEOUT_MS.key();
    public static final String MAX_RETRIES = RegistrySettings.MAX_RETRIES.key();
    public static final String RETRIES_WAIT_MS = RegistrySettings.RETRIES_WAIT_MS.key();
    public static final String RETRIES_MAX_WAIT_MS = RegistrySettings.RETRIES_MAX_WAIT_MS.key();
    public static final String CACHE_CAPACITY = RegistrySettings.CACHE_CAPACITY.key();
    public static final String SSL_PREFIX = RegistrySettings.SSL_PASS_THROUGH;

    public RegistryClientConfig {
        urls = List.copyOf(urls);
        if (urls.isEmpty()) {
            throw new IllegalArgumentException(URL + " must name at least one registry URL");
        }
        for (String url : urls) {
            if (!url.startsWith("mock://")) {
                URI uri = URI.create(url);
                if (uri.getScheme() == null || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))) {
                    throw new IllegalArgumentException("registry URL '" + url + "' must start with http://, https:// or mock://");
                }
            }
        }
        if (maxRetries < 0) {
            throw new IllegalArgumentException(MAX_RETRIES + " must be >= 0");
        }
    }

    /** One URL, defaults for everything else. */
    public static RegistryClientConfig of(String url) {
        return fromMap(Map.of(URL, url));
    }

    /** Reads the Confluent-named keys from a Kafka-style configuration map. */
    public static RegistryClientConfig fromMap(Map<String, ?> configs) {
        Object raw = configs.get(URL);
        if (raw == null || raw.toString().isBlank()) {
            throw new IllegalArgumentException("missing required configuration '" + URL + "': the registry's base URL(s), "
                    + "comma-separated (http, https, or mock://<scope> for an in-memory registry in tests), tried in order");
        }
        List<String> urls = new ArrayList<>();
        for (String part : raw.toString().split(",")) {
            if (!part.isBlank()) {
                urls.add(part.trim());
            }
        }
        String userInfo = null;
        String source = string(configs, BASIC_AUTH_CREDENTIALS_SOURCE).orElse("").toUpperCase(Locale.ROOT);
        if (source.equals("USER_INFO")) {
            userInfo = string(configs, BASIC_AUTH_USER_INFO)
                    .or(() -> string(configs, "schema.registry." + BASIC_AUTH_USER_INFO))
                    .orElseThrow(() -> new IllegalArgumentException(
                            BASIC_AUTH_CREDENTIALS_SOURCE + "=USER_INFO needs " + BASIC_AUTH_USER_INFO));
        } else if (source.equals("URL")) {
            String userInfoFromUrl = URI.create(urls.get(0)).getUserInfo();
            if (userInfoFromUrl == null) {
                throw new IllegalArgumentException(BASIC_AUTH_CREDENTIALS_SOURCE + "=URL needs user:password@ in the URL");
            }
            userInfo = userInfoFromUrl;
        } else if (!source.isEmpty()) {
            throw new IllegalArgumentException(BASIC_AUTH_CREDENTIALS_SOURCE + " must be USER_INFO or URL, not '" + source + "'");
        }
        return new RegistryClientConfig(
                urls,
                userInfo,
                Duration.ofMillis(number(configs, RegistrySettings.CONNECT_TIMEOUT_MS)),
                Duration.ofMillis(number(configs, RegistrySettings.READ_TIMEOUT_MS)),
                (int) number(configs, RegistrySettings.MAX_RETRIES),
                Duration.ofMillis(number(configs, RegistrySettings.RETRIES_WAIT_MS)),
                Duration.ofMillis(number(configs, RegistrySettings.RETRIES_MAX_WAIT_MS)),
                TlsSettings.fromMap(configs, SSL_PREFIX).orElse(null),
                (int) number(configs, RegistrySettings.CACHE_CAPACITY));
    }

    /** True when the URLs name an in-memory {@code mock://} registry. */
    public boolean isMock() {
        return urls.get(0).startsWith("mock://");
    }

    @Override
    public String toString() {
        return "RegistryClientConfig[urls=" + statbridge.config.Secrets.redact(urls.toString()) + ", basicAuth=" + (basicAuthUserInfo == null ? "none" : "[hidden]")
                + ", connectTimeout=" + connectTimeout + ", requestTimeout=" + requestTimeout
                + ", maxRetries=" + maxRetries + ", tls=" + (tls == null ? "default" : tls) + "]";
    }

    static Optional<String> string(Map<String, ?> configs, String key) {
        Object value = configs.get(key);
        if (value == null) {
            return Optional.empty();
        }
        if (value instanceof org.apache.kafka.common.config.types.Password password) {
            return Optional.of(password.value());
        }
        String text = value.toString();
        return text.isBlank() ? Optional.empty() : Optional.of(text);
    }

    /** The number {@code setting} has in {@code configs}, or its declared default. */
    static long number(Map<String, ?> configs, statbridge.config.Setting setting) {
        return number(configs, setting.key(), Long.parseLong(setting.defaultValue()));
    }

    static long number(Map<String, ?> configs, String key, long fallback) {
        Object value = configs.get(key);
        if (value == null) {
            return fallback;
        }
        if (value instanceof Number n) {
            return n.longValue();
        }
        try {
            return Long.parseLong(value.toString().trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("configuration '" + key + "' must be a number, not '" + value + "'");
        }
    }
}

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

    public static final String URL = "schema.registry.url";
    public static final String URL_DOC = "Comma-separated registry base URLs (http, https, or mock://<scope> "
            + "for an in-memory registry in tests). Tried in order when one does not answer.";
    public static final String BASIC_AUTH_CREDENTIALS_SOURCE = "basic.auth.credentials.source";
    public static final String BASIC_AUTH_CREDENTIALS_SOURCE_DOC = "USER_INFO to send basic.auth.user.info, "
            + "URL to take user:password from the URL. Default: none.";
    public static final String BASIC_AUTH_USER_INFO = "basic.auth.user.info";
    public static final String BASIC_AUTH_USER_INFO_DOC = "user:password for HTTP basic authentication. Never logged.";
    public static final String CONNECT_TIMEOUT_MS = "http.connect.timeout.ms";
    public static final long CONNECT_TIMEOUT_MS_DEFAULT = 10_000;
    public static final String READ_TIMEOUT_MS = "http.read.timeout.ms";
    public static final long READ_TIMEOUT_MS_DEFAULT = 30_000;
    public static final String MAX_RETRIES = "max.retries";
    public static final int MAX_RETRIES_DEFAULT = 3;
    public static final String RETRIES_WAIT_MS = "retries.wait.ms";
    public static final long RETRIES_WAIT_MS_DEFAULT = 250;
    public static final String RETRIES_MAX_WAIT_MS = "retries.max.wait.ms";
    public static final long RETRIES_MAX_WAIT_MS_DEFAULT = 5_000;
    public static final String CACHE_CAPACITY = "schema.registry.cache.capacity";
    public static final String SSL_PREFIX = "schema.registry.ssl.";

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
            throw new IllegalArgumentException("missing required configuration '" + URL + "': " + URL_DOC);
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
                Duration.ofMillis(number(configs, CONNECT_TIMEOUT_MS, CONNECT_TIMEOUT_MS_DEFAULT)),
                Duration.ofMillis(number(configs, READ_TIMEOUT_MS, READ_TIMEOUT_MS_DEFAULT)),
                (int) number(configs, MAX_RETRIES, MAX_RETRIES_DEFAULT),
                Duration.ofMillis(number(configs, RETRIES_WAIT_MS, RETRIES_WAIT_MS_DEFAULT)),
                Duration.ofMillis(number(configs, RETRIES_MAX_WAIT_MS, RETRIES_MAX_WAIT_MS_DEFAULT)),
                TlsSettings.fromMap(configs, SSL_PREFIX).orElse(null),
                (int) number(configs, CACHE_CAPACITY, CachingSchemaRegistryClient.DEFAULT_CAPACITY));
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

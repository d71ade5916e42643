package statbridge.config;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Keeps secrets out of everything statbridge prints: configuration keys whose values are secret,
 * and credentials inside values and messages ({@code https://user:pass@registry},
 * {@code jdbc:postgresql://host/db?password=...}, {@code password="..."} in a JAAS line). Logs,
 * exceptions shown on {@code /health}, {@code config show} and the startup settings all pass
 * through {@link #redact}.
 */
public final class Secrets {

    /** What a hidden value prints as. */
    public static final String HIDDEN = "[hidden]";

    /** {@code scheme://user:password@host} (or {@code scheme://token@host}): the user info. */
    private static final Pattern USER_INFO = Pattern.compile("(?i)\\b([a-z][a-z0-9+.-]*://)([^/@\\s\"',;\\[\\]]+)@");
    /** {@code password=...}, {@code secret=...}, {@code token=...} in a query string, a JDBC URL or a JAAS line. */
    private static final Pattern KEY_VALUE = Pattern.compile(
            "(?i)\\b((?:[a-z0-9_.]*)(?:password|passwd|secret|token|user\\.info|credentials)[a-z0-9_.]*\\s*[=:]\\s*)"
                    + "(?!\\[hidden])(\"[^\"]*\"|'[^']*'|[^&;,\\s\"')\\]}]+)");

    private Secrets() {
    }

    public static boolean isSecret(String key) {
        String k = key.toLowerCase(Locale.ROOT);
        return k.contains("password") || k.contains("secret") || k.contains("jaas") || k.contains("user.info")
                || k.contains("credentials") || k.contains("token") || k.endsWith(".key");
    }

    /** A configuration value as it may be shown: hidden whole for a secret key, its credentials hidden otherwise. */
    public static String visible(String key, Object value) {
        if (value == null) {
            return null;
        }
        return isSecret(key) ? HIDDEN : redact(value.toString());
    }

    /** {@code text} with every credential it carries replaced by {@link #HIDDEN}. */
    public static String redact(String text) {
        if (text == null || text.isEmpty()) {
            return text;
        }
        String result = USER_INFO.matcher(text).replaceAll(m -> Matcher.quoteReplacement(m.group(1) + HIDDEN + "@"));
        return KEY_VALUE.matcher(result).replaceAll(m -> Matcher.quoteReplacement(m.group(1) + HIDDEN));
    }
}

package statbridge.config;

import java.util.Locale;

/**
 * One configuration key: its name, default, and what it does. Components declare their settings
 * as constants; the README's configuration reference is generated from them, so the two cannot
 * drift.
 *
 * @param key the key in a configuration file, e.g. {@code kafka.bootstrap.servers}
 * @param defaultValue the value when nothing sets it, or null when it has none
 * @param doc one or two sentences for the reference
 */
public record Setting(String key, String defaultValue, String doc) {

    public Setting {
        if (!key.matches("[a-z0-9_]+(\\.[a-z0-9_]+)*")) {
            throw new IllegalArgumentException("setting key '" + key + "' must be lower-case words joined by dots, "
                    + "so that it maps to one environment variable and back");
        }
    }

    /** The environment variable that sets this key: {@code STATBRIDGE_} + the key upper-cased, dots as underscores, underscores doubled. */
    public String environmentVariable() {
        return environmentVariable(key);
    }

    /** The environment variable for any key, e.g. {@code STATBRIDGE_KAFKA_BOOTSTRAP_SERVERS}. */
    public static String environmentVariable(String key) {
        return "STATBRIDGE_" + key.toUpperCase(Locale.ROOT).replace("_", "__").replace('.', '_');
    }
}

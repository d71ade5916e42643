package statbridge.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * Configuration resolved from, in rising precedence: a properties file, environment variables
 * ({@code STATBRIDGE_KAFKA_BOOTSTRAP_SERVERS} sets {@code kafka.bootstrap.servers}; a double
 * underscore stands for a literal one), and command-line flags. Immutable.
 */
public final class Configuration {

    private static final String ENV_PREFIX = "STATBRIDGE_";

    private final Map<String, String> values;
    private final Map<String, String> origins;

    private Configuration(Map<String, String> values, Map<String, String> origins) {
        this.values = Collections.unmodifiableMap(values);
        this.origins = Collections.unmodifiableMap(origins);
    }

    /** Nothing set: every setting takes its default. */
    public static Configuration empty() {
        return new Configuration(new TreeMap<>(), new TreeMap<>());
    }

    /**
     * Layers a file (may be null), the environment and flags.
     *
     * @throws ConfigurationException when the file cannot be read
     */
    public static Configuration load(Path file, Map<String, String> environment, Map<String, String> flags) {
        Map<String, String> values = new TreeMap<>();
        Map<String, String> origins = new TreeMap<>();
        if (file != null) {
            Properties properties = new Properties();
            try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                properties.load(reader);
            } catch (NoSuchFileException e) {
                throw new ConfigurationException("configuration file " + file + " does not exist");
            } catch (IOException | IllegalArgumentException e) {
                throw new ConfigurationException("cannot read configuration file " + file + ": " + e.getMessage());
            }
            for (String key : properties.stringPropertyNames()) {
                values.put(key, properties.getProperty(key).trim());
                origins.put(key, "file " + file);
            }
        }
        environment.forEach((name, value) -> {
            if (name.startsWith(ENV_PREFIX) && name.length() > ENV_PREFIX.length()) {
                String key = keyFromEnvironment(name.substring(ENV_PREFIX.length()));
                values.put(key, value);
                origins.put(key, "environment " + name);
            }
        });
        flags.forEach((key, value) -> {
            if (value != null) {
                values.put(key, value);
                origins.put(key, "flag");
            }
        });
        return new Configuration(values, origins);
    }

    /**
     * The key an environment variable sets, e.g. {@code STATBRIDGE_SINK_GROUP_ID} sets
     * {@code sink.group.id} (a double underscore stands for an underscore); empty for a variable
     * without the {@code STATBRIDGE_} prefix.
     */
    public static java.util.Optional<String> keyOfEnvironmentVariable(String name) {
        return name.startsWith(ENV_PREFIX) && name.length() > ENV_PREFIX.length()
                ? java.util.Optional.of(keyFromEnvironment(name.substring(ENV_PREFIX.length()))) : java.util.Optional.empty();
    }

    static String keyFromEnvironment(String suffix) {
        return suffix.toLowerCase(Locale.ROOT).replace("__", "\u0000").replace('_', '.').replace('\u0000', '_');
    }

    /**
     * Refuses the configuration when any of {@code settings} has a value its declaration does not
     * allow, naming every such key, what it allows, and where the value came from.
     *
     * @throws ConfigurationException listing the problems
     */
    public void validate(Collection<Setting> settings) {
        List<String> problems = new ArrayList<>();
        for (Setting setting : settings) {
            String value = values.get(setting.key());
            if (value != null) {
                setting.problem(value).ifPresent(problem -> problems.add(setting.key() + " " + problem + " (" + origin(setting) + ")"));
            }
        }
        if (problems.size() == 1) {
            throw new ConfigurationException(problems.get(0));
        } else if (!problems.isEmpty()) {
            throw new ConfigurationException(problems.size() + " settings are not valid:\n  " + String.join("\n  ", problems));
        }
    }

    /**
     * Refuses every key set here (by a file, the environment or a flag) that no setting of
     * {@code known} declares, when it lies in a namespace statbridge owns (the first word of a
     * declared key: {@code sink}, {@code pipeline}, {@code topic}, ...) and under none of the
     * {@code passThrough} prefixes (whose keys go to another library, e.g. {@code kafka.}); names
     * the nearest declared key of each. A mistyped key would otherwise be ignored silently, and
     * its default taken.
     *
     * @throws ConfigurationException naming every such key, where it was set, and the nearest known key
     */
    public void refuseUnknown(Collection<Setting> known, Collection<String> passThrough) {
        java.util.Set<String> keys = new java.util.TreeSet<>();
        java.util.Set<String> namespaces = new java.util.TreeSet<>();
        for (Setting setting : known) {
            keys.add(setting.key());
            namespaces.add(setting.key().substring(0, setting.key().indexOf('.') < 0 ? setting.key().length() : setting.key().indexOf('.')));
        }
        List<String> problems = new ArrayList<>();
        for (String key : values.keySet()) {
            String namespace = key.indexOf('.') < 0 ? key : key.substring(0, key.indexOf('.'));
            if (keys.contains(key) || !namespaces.contains(namespace) || passThrough.stream().anyMatch(key::startsWith)) {
                continue;
            }
            problems.add("'" + key + "' (" + origins.get(key) + ") is not a setting; the nearest is '" + nearest(key, keys) + "'");
        }
        if (problems.size() == 1) {
            throw new ConfigurationException(problems.get(0) + " (statbridge config reference lists them all)");
        } else if (!problems.isEmpty()) {
            throw new ConfigurationException(problems.size() + " keys are not settings (statbridge config reference lists them all):\n  "
                    + String.join("\n  ", problems));
        }
    }

    /** The key of {@code keys} fewest single-character edits away from {@code key} (Levenshtein); the first in order on a tie. */
    static String nearest(String key, Collection<String> keys) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String candidate : keys) {
            int distance = editDistance(key, candidate);
            if (distance < bestDistance) {
                best = candidate;
                bestDistance = distance;
            }
        }
        return best;
    }

    private static int editDistance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }

    /** The value of a setting, or its default. */
    public String get(Setting setting) {
        return values.getOrDefault(setting.key(), setting.defaultValue());
    }

    /** True when something other than the default set this setting. */
    public boolean isSet(Setting setting) {
        return values.containsKey(setting.key());
    }

    /** Where a setting's value came from: a file, an environment variable, a flag, or the default. */
    public String origin(Setting setting) {
        return origins.getOrDefault(setting.key(), "default");
    }

    public int getInt(Setting setting) {
        String value = get(setting);
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException | NullPointerException e) {
            throw new ConfigurationException(setting.key() + " must be a whole number, not '" + value + "' ("
                    + origin(setting) + ")");
        }
    }

    public long getLong(Setting setting) {
        String value = get(setting);
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException | NullPointerException e) {
            throw new ConfigurationException(setting.key() + " must be a whole number, not '" + value + "' ("
                    + origin(setting) + ")");
        }
    }

    public java.time.LocalDate getDate(Setting setting) {
        String value = get(setting);
        try {
            return java.time.LocalDate.parse(value.trim());
        } catch (java.time.format.DateTimeParseException | NullPointerException e) {
            throw new ConfigurationException(setting.key() + " must be a date YYYY-MM-DD, not '" + value + "' ("
                    + origin(setting) + ")");
        }
    }

    /**
     * The point in time of an {@link Setting.Type#INSTANT} setting, or empty when it is unset or blank.
     *
     * @throws ConfigurationException when the value is not an ISO date-time
     */
    public java.util.Optional<java.time.Instant> getInstant(Setting setting) {
        String value = get(setting);
        if (value == null || value.isBlank()) {
            return java.util.Optional.empty();
        }
        try {
            return java.util.Optional.of(java.time.Instant.parse(value.trim()));
        } catch (java.time.format.DateTimeParseException e) {
            throw new ConfigurationException(setting.key() + " must be " + setting.allowed() + ", not '" + value + "' ("
                    + origin(setting) + ")");
        }
    }

    /** A length of time ({@link Durations}). */
    public java.time.Duration getDuration(Setting setting) {
        String value = get(setting);
        try {
            return Durations.parse(value);
        } catch (IllegalArgumentException e) {
            throw new ConfigurationException(setting.key() + " must be " + Durations.ALLOWED + ", not '" + value + "' ("
                    + origin(setting) + ")");
        }
    }

    /** A comma-separated list, blanks dropped. */
    public java.util.List<String> getList(Setting setting) {
        String value = get(setting);
        if (value == null || value.isBlank()) {
            return java.util.List.of();
        }
        return java.util.Arrays.stream(value.split(",")).map(String::trim).filter(v -> !v.isEmpty()).toList();
    }

    /** An enum constant by name, case-insensitively, with the allowed names in the error. */
    public <E extends Enum<E>> E getEnum(Setting setting, Class<E> type) {
        String value = get(setting);
        for (E constant : type.getEnumConstants()) {
            if (constant.name().equalsIgnoreCase(value == null ? "" : value.trim())) {
                return constant;
            }
        }
        throw new ConfigurationException(setting.key() + " must be one of "
                + java.util.Arrays.toString(type.getEnumConstants()) + ", not '" + value + "' (" + origin(setting) + ")");
    }

    public boolean getBoolean(Setting setting) {
        String value = get(setting);
        if ("true".equalsIgnoreCase(value) || "false".equalsIgnoreCase(value)) {
            return Boolean.parseBoolean(value);
        }
        throw new ConfigurationException(setting.key() + " must be true or false, not '" + value + "' ("
                + origin(setting) + ")");
    }

    /** Every key that starts with {@code prefix}, with the prefix removed, e.g. the pass-through {@code kafka.*}. */
    public Map<String, String> withPrefix(String prefix) {
        Map<String, String> found = new LinkedHashMap<>();
        values.forEach((key, value) -> {
            if (key.startsWith(prefix)) {
                found.put(key.substring(prefix.length()), value);
            }
        });
        return found;
    }

    /** Every key that starts with one of {@code prefixes}, keys unchanged, e.g. the registry client's keys. */
    public Map<String, String> startingWith(String... prefixes) {
        Map<String, String> found = new LinkedHashMap<>();
        values.forEach((key, value) -> {
            for (String prefix : prefixes) {
                if (key.startsWith(prefix)) {
                    found.put(key, value);
                    return;
                }
            }
        });
        return found;
    }

    /** A copy with {@code overrides} on top. */
    public Configuration with(Map<String, String> overrides) {
        Map<String, String> merged = new TreeMap<>(values);
        Map<String, String> mergedOrigins = new TreeMap<>(origins);
        overrides.forEach((key, value) -> {
            merged.put(key, value);
            mergedOrigins.put(key, "override");
        });
        return new Configuration(merged, mergedOrigins);
    }

    /** Every explicitly set key and value, secrets masked, for logs and {@code --help} diagnostics. */
    public Map<String, String> describe() {
        Map<String, String> shown = new TreeMap<>();
        values.forEach((key, value) -> shown.put(key, Secrets.visible(key, value)));
        return shown;
    }
}

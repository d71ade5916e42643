package statbridge.config;

import java.time.Instant;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * One configuration key, declared once: its name, type, default, what values it allows, and what
 * it does. Components declare their settings as constants; {@link Configuration#validate} refuses
 * a bad value at start with the key and what is allowed, and docs/configuration.md's
 * reference is generated from the declarations, so the two cannot drift.
 *
 * @param key the key in a configuration file, e.g. {@code kafka.bootstrap.servers}
 * @param type how the value is read
 * @param defaultValue the value when nothing sets it, or null when it has none
 * @param min the smallest whole number allowed ({@link Type#INT}, {@link Type#LONG}), or null
 * @param max the largest whole number allowed, or null
 * @param choices the values allowed ({@link Type#CHOICE}, compared ignoring case), else empty
 * @param doc one or two sentences for the reference
 * @param check a rule the value must pass beyond its type ({@link #validatedBy}), or {@link Check#NONE}
 */
public record Setting(String key, Type type, String defaultValue, Long min, Long max, List<String> choices, String doc, Check check) {

    /**
     * A rule a value must pass beyond its type, e.g. each item of a list in a certain form.
     *
     * @param allowed what the rule allows, for messages and the reference, e.g. "partitions as topic-N, or all"
     */
    public record Check(String allowed, Predicate<String> accepts) {
        /** No rule beyond the type. */
        public static final Check NONE = new Check(null, value -> true);
    }

    /** How a setting's text is read. */
    public enum Type {
        STRING, PASSWORD, INT, LONG, BOOLEAN, DATE, INSTANT, DURATION, LIST, CHOICE
    }

    public Setting {
        if (!key.matches("[a-z0-9_]+(\\.[a-z0-9_]+)*")) {
            throw new IllegalArgumentException("setting key '" + key + "' must be lower-case words joined by dots, "
                    + "so that it maps to one environment variable and back");
        }
        choices = List.copyOf(choices);
        if ((type == Type.CHOICE) == choices.isEmpty()) {
            throw new IllegalArgumentException(key + ": a choice names its values, and only a choice does");
        }
        if (defaultValue != null && !accepts(type, defaultValue, min, max, choices)) {
            throw new IllegalArgumentException(key + ": the default '" + defaultValue + "' is not " + allowed(type, min, max, choices));
        }
        if (defaultValue != null && !check.accepts().test(defaultValue.trim())) {
            throw new IllegalArgumentException(key + ": the default '" + defaultValue + "' is not " + check.allowed());
        }
    }

    /**
     * The settings {@code holder} declares as {@code public static final} fields, in the order it
     * declares them: a component's list of its keys, derived so that none can be left out of it.
     */
    public static List<Setting> declaredIn(Class<?> holder) {
        List<Setting> declared = new java.util.ArrayList<>();
        for (java.lang.reflect.Field field : holder.getDeclaredFields()) {
            int modifiers = field.getModifiers();
            if (field.getType() == Setting.class && java.lang.reflect.Modifier.isStatic(modifiers)
                    && java.lang.reflect.Modifier.isPublic(modifiers) && java.lang.reflect.Modifier.isFinal(modifiers)) {
                try {
                    declared.add((Setting) field.get(null));
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(holder.getName() + "." + field.getName() + " cannot be read", e);
                }
            }
        }
        return List.copyOf(declared);
    }

    /** A setting without a rule beyond its type. */
    public Setting(String key, Type type, String defaultValue, Long min, Long max, List<String> choices, String doc) {
        this(key, type, defaultValue, min, max, choices, doc, Check.NONE);
    }

    /**
     * This setting, whose values must also pass {@code accepts} (given the trimmed text, after the
     * type's own check): the hook for a rule its type cannot say, as HikariCP's setters check theirs.
     *
     * @param allowed what the rule allows, e.g. "partitions as topic-N, comma-separated, or all"
     */
    public Setting validatedBy(String allowed, Predicate<String> accepts) {
        return new Setting(key, type, defaultValue, min, max, choices, doc, new Check(allowed, accepts));
    }

    /** A text setting without validation. */
    public Setting(String key, String defaultValue, String doc) {
        this(key, Type.STRING, defaultValue, null, null, List.of(), doc);
    }

    /** A secret: never logged or printed. */
    public static Setting password(String key, String doc) {
        return new Setting(key, Type.PASSWORD, null, null, null, List.of(), doc);
    }

    public static Setting integer(String key, int defaultValue, int min, int max, String doc) {
        return new Setting(key, Type.INT, Integer.toString(defaultValue), (long) min, (long) max, List.of(), doc);
    }

    public static Setting longInteger(String key, long defaultValue, long min, long max, String doc) {
        return new Setting(key, Type.LONG, Long.toString(defaultValue), min, max, List.of(), doc);
    }

    public static Setting bool(String key, boolean defaultValue, String doc) {
        return new Setting(key, Type.BOOLEAN, Boolean.toString(defaultValue), null, null, List.of(), doc);
    }

    public static Setting date(String key, LocalDate defaultValue, String doc) {
        return new Setting(key, Type.DATE, defaultValue.toString(), null, null, List.of(), doc);
    }

    /** An ISO date-time, with no default. */
    public static Setting instant(String key, String doc) {
        return new Setting(key, Type.INSTANT, null, null, null, List.of(), doc);
    }

    /** A length of time ({@link Durations}): {@code 90s}, {@code 15m}, {@code 14d}. */
    public static Setting duration(String key, String defaultValue, String doc) {
        return new Setting(key, Type.DURATION, defaultValue, null, null, List.of(), doc);
    }

    public static Setting list(String key, String defaultValue, String doc) {
        return new Setting(key, Type.LIST, defaultValue, null, null, List.of(), doc);
    }

    /** One of an enum's constants, by name. */
    public static <E extends Enum<E>> Setting choice(String key, E defaultValue, Class<E> values, String doc) {
        return new Setting(key, Type.CHOICE, defaultValue == null ? null : defaultValue.name(), null, null,
                Arrays.stream(values.getEnumConstants()).map(Enum::name).toList(), doc);
    }

    /** One of these values, with no default. */
    public static Setting choice(String key, List<String> values, String doc) {
        return new Setting(key, Type.CHOICE, null, null, null, values, doc);
    }

    /** Why {@code value} is not allowed, e.g. "must be a whole number from 1 to 64"; empty when it is. */
    public Optional<String> problem(String value) {
        return accepts(type, value, min, max, choices) && check.accepts().test(value.trim()) ? Optional.empty()
                : Optional.of("must be " + allowed() + ", not '" + value + "'");
    }

    /** What the setting allows, e.g. "a whole number from 1 to 64" or "one of WARN, SWITCH_OFF". */
    public String allowed() {
        return check.allowed() != null ? check.allowed() : allowed(type, min, max, choices);
    }

    private static String allowed(Type type, Long min, Long max, List<String> choices) {
        return switch (type) {
            case INT, LONG -> "a whole number" + (min != null && max != null ? " from " + min + " to " + max
                    : min != null ? " of at least " + min : max != null ? " of at most " + max : "");
            case BOOLEAN -> "true or false";
            case DATE -> "a date YYYY-MM-DD";
            case INSTANT -> "an ISO date-time such as 2026-12-31T00:00:00Z";
            case DURATION -> "a length of time such as 90s, 15m, 12h or 14d";
            case LIST -> "a comma-separated list";
            case CHOICE -> "one of " + String.join(", ", choices);
            case STRING, PASSWORD -> "text";
        };
    }

    private static boolean accepts(Type type, String raw, Long min, Long max, List<String> choices) {
        String value = raw.trim();
        try {
            return switch (type) {
                case INT, LONG -> {
                    long number = type == Type.INT ? Integer.parseInt(value) : Long.parseLong(value);
                    yield (min == null || number >= min) && (max == null || number <= max);
                }
                case BOOLEAN -> value.equalsIgnoreCase("true") || value.equalsIgnoreCase("false");
                case DATE -> LocalDate.parse(value) != null;
                case INSTANT -> value.isEmpty() || Instant.parse(value) != null;
                case DURATION -> Durations.parse(value) != null;
                case CHOICE -> choices.stream().anyMatch(c -> c.equalsIgnoreCase(value));
                case STRING, PASSWORD, LIST -> true;
            };
        } catch (IllegalArgumentException | DateTimeParseException e) {
            return false;
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

package statbridge.config;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Lengths of time as people write them on a command line or in a file: {@code 90s}, {@code 15m},
 * {@code 12h}, {@code 14d}, or ISO-8601 ({@code PT1H30M}). Never negative.
 */
public final class Durations {

    private static final Pattern SHORT = Pattern.compile("(\\d{1,9})\\s*(ms|s|m|h|d)");

    private Durations() {
    }

    /**
     * @throws IllegalArgumentException saying what is accepted, for a malformed or negative length
     */
    public static Duration parse(String text) {
        String value = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        Matcher shortForm = SHORT.matcher(value);
        if (shortForm.matches()) {
            long amount = Long.parseLong(shortForm.group(1));
            return switch (shortForm.group(2)) {
                case "ms" -> Duration.ofMillis(amount);
                case "s" -> Duration.ofSeconds(amount);
                case "m" -> Duration.ofMinutes(amount);
                case "h" -> Duration.ofHours(amount);
                default -> Duration.ofDays(amount);
            };
        }
        if (value.startsWith("p")) {
            try {
                Duration iso = Duration.parse(value.toUpperCase(Locale.ROOT));
                if (!iso.isNegative()) {
                    return iso;
                }
            } catch (DateTimeParseException e) {
                // reported below
            }
        }
        throw new IllegalArgumentException("'" + text + "' is not " + ALLOWED);
    }

    /** What {@link #parse} accepts, for messages. */
    public static final String ALLOWED = "a length of time such as 90s, 15m, 12h or 14d (or ISO-8601, e.g. PT1H), not negative";

    /** A short text for a duration, e.g. {@code 14d}, {@code 90s}, {@code 1h30m}. */
    public static String format(Duration duration) {
        if (duration.isZero()) {
            return "0s";
        }
        StringBuilder text = new StringBuilder();
        if (duration.toDays() > 0) {
            text.append(duration.toDays()).append('d');
        }
        if (duration.toHoursPart() > 0) {
            text.append(duration.toHoursPart()).append('h');
        }
        if (duration.toMinutesPart() > 0) {
            text.append(duration.toMinutesPart()).append('m');
        }
        if (duration.toSecondsPart() > 0) {
            text.append(duration.toSecondsPart()).append('s');
        }
        if (text.isEmpty()) {
            text.append(duration.toMillis()).append("ms");
        }
        return text.toString();
    }
}

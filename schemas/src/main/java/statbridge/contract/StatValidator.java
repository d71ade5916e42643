package statbridge.contract;

import java.time.LocalDate;
import java.util.Optional;
import statbridge.deadletter.Reasons;
import statbridge.v2.MetricType;

/**
 * What makes a stat acceptable, in one place for the pipeline, the sink and the publishers:
 * identity strings present, not over-long and free of control characters (PostgreSQL cannot
 * store NUL); values finite unless allowed; dates in range; the record key matching the value.
 */
public final class StatValidator {

    /** A rule a stat broke, with the dead-letter reason code. */
    public record Violation(String reason, String message) {
    }

    /**
     * @param maxStringLength longest identity string accepted
     * @param minDate earliest stat_date accepted
     * @param maxDate latest stat_date accepted
     * @param allowNonFinite accept NaN and infinite values
     * @param requireKey refuse records without a key (otherwise a missing key is accepted)
     */
    public record Limits(int maxStringLength, LocalDate minDate, LocalDate maxDate, boolean allowNonFinite,
            boolean requireKey) {

        public static final int DEFAULT_MAX_STRING_LENGTH = 200;
        public static final LocalDate DEFAULT_MIN_DATE = LocalDate.of(2000, 1, 1);
        public static final LocalDate DEFAULT_MAX_DATE = LocalDate.of(2099, 12, 31);

        public static Limits defaults() {
            return new Limits(DEFAULT_MAX_STRING_LENGTH, DEFAULT_MIN_DATE, DEFAULT_MAX_DATE, false, true);
        }
    }

    private final Limits limits;

    public StatValidator(Limits limits) {
        this.limits = limits;
    }

    public Limits limits() {
        return limits;
    }

    public Optional<Violation> validate(String key, statbridge.v1.ModelStat stat) {
        return firstOf(
                identity(stat.getModelName(), stat.getModelVersion(), stat.getStatDate(), stat.getSliceKey()),
                text("metric_name", stat.getMetricName()),
                number("metric_value", stat.getMetricValue()),
                stat.getBusinessMetricValue() == null ? Optional.empty()
                        : number("business_metric_value", stat.getBusinessMetricValue()),
                key(key, StatKey.of(stat)));
    }

    public Optional<Violation> validate(String key, statbridge.v2.ModelStat stat) {
        return firstOf(
                identity(stat.getModelName(), stat.getModelVersion(), stat.getStatDate(), stat.getSliceKey()),
                type(stat.getMetricType()),
                text("metric_key", stat.getMetricKey()),
                number("metric_value", stat.getMetricValue()),
                key(key, StatKey.of(stat)));
    }

    public Optional<Violation> validate(String key, statbridge.v2.BusinessStat stat) {
        return firstOf(
                identity(stat.getModelName(), stat.getModelVersion(), stat.getStatDate(), stat.getSliceKey()),
                type(stat.getMetricType()),
                text("metric_key", stat.getMetricKey()),
                stat.getBusinessMetricValue() == null ? Optional.empty()
                        : number("business_metric_value", stat.getBusinessMetricValue()),
                key(key, StatKey.of(stat)));
    }

    @SafeVarargs
    private static Optional<Violation> firstOf(Optional<Violation>... checks) {
        for (Optional<Violation> check : checks) {
            if (check.isPresent()) {
                return check;
            }
        }
        return Optional.empty();
    }

    private Optional<Violation> identity(String model, String version, LocalDate date, String slice) {
        return firstOf(text("model_name", model), text("model_version", version), date(date), text("slice_key", slice));
    }

    private Optional<Violation> text(String field, String value) {
        if (value == null || value.isBlank()) {
            return invalid(field + " is empty");
        }
        if (value.length() > limits.maxStringLength()) {
            return invalid(field + " is " + value.length() + " characters long; the limit is " + limits.maxStringLength());
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (Character.isISOControl(c)) {
                return invalid(field + " contains the control character U+" + String.format("%04X", (int) c)
                        + " at position " + i);
            }
            if (c == '\uFFFD') {
                return invalid(field + " contains U+FFFD: its bytes were not valid UTF-8");
            }
        }
        return Optional.empty();
    }

    private Optional<Violation> number(String field, double value) {
        if (!limits.allowNonFinite() && !Double.isFinite(value)) {
            return invalid(field + " is " + value + "; only finite values are accepted");
        }
        return Optional.empty();
    }

    private Optional<Violation> date(LocalDate date) {
        if (date == null) {
            return invalid("stat_date is missing");
        }
        if (date.isBefore(limits.minDate()) || date.isAfter(limits.maxDate())) {
            return invalid("stat_date " + date + " is outside " + limits.minDate() + ".." + limits.maxDate());
        }
        return Optional.empty();
    }

    private static Optional<Violation> type(MetricType type) {
        if (type == null || type == MetricType.UNKNOWN) {
            return Optional.of(new Violation(Reasons.UNKNOWN_METRIC_TYPE,
                    "metric_type is a symbol this version does not know (read as UNKNOWN)"));
        }
        return Optional.empty();
    }

    private Optional<Violation> key(String key, StatKey expected) {
        if (key == null) {
            return limits.requireKey()
                    ? Optional.of(new Violation(Reasons.KEY_MISMATCH, "the record has no key; expected '" + expected.render() + "'"))
                    : Optional.empty();
        }
        if (!key.equals(expected.render())) {
            String shown = key.length() > 300 ? key.substring(0, 300) + "..." : key;
            return Optional.of(new Violation(Reasons.KEY_MISMATCH,
                    "the record key '" + shown + "' does not match the value; expected '" + expected.render() + "'"));
        }
        return Optional.empty();
    }

    private static Optional<Violation> invalid(String message) {
        return Optional.of(new Violation(Reasons.INVALID_FIELD, message));
    }
}

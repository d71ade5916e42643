package statbridge.cli;

import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.avro.specific.SpecificRecord;
import statbridge.contract.MetricTypes;
import statbridge.contract.StatKey;
import statbridge.contract.StatValidator;
import statbridge.v2.BusinessStat;
import statbridge.v2.MetricType;

/**
 * Turns one line's named fields into the records it publishes (a v1 stat; or a v2 stat and, with
 * a business value, its KPI), checked by the contract's {@link StatValidator}, or the reason the
 * line is refused.
 */
final class StatRecords {

    private final StatLines.Version version;
    private final StatValidator validator;

    StatRecords(StatLines.Version version, StatValidator validator) {
        this.version = version;
        this.validator = validator;
    }

    /** The records one line's named fields describe, or why the line is refused. */
    Outcome build(Map<String, String> fields) {
        try {
            String model = fields.get("model_name");
            String modelVersion = fields.get("model_version");
            LocalDate date = date(fields.get("stat_date"));
            String slice = fields.get("slice_key");
            double value = number("metric_value", fields.get("metric_value"));
            String business = fields.get(StatLines.OPTIONAL_COLUMN);
            Double businessValue = business == null || business.isEmpty() ? null : number(StatLines.OPTIONAL_COLUMN, business);
            List<SpecificRecord> records = new ArrayList<>();
            if (version == StatLines.Version.V1) {
                var stat = new statbridge.v1.ModelStat(model, modelVersion, date, slice, fields.get("metric_name"), value,
                        businessValue);
                Optional<StatValidator.Violation> violation = validator.validate(StatKey.of(stat).render(), stat);
                if (violation.isPresent()) {
                    return Outcome.refused(violation.get());
                }
                records.add(stat);
            } else {
                MetricType type = type(fields.get("metric_type"));
                var stat = new statbridge.v2.ModelStat(model, modelVersion, date, slice, type, fields.get("metric_key"), value);
                Optional<StatValidator.Violation> violation = validator.validate(StatKey.of(stat).render(), stat);
                if (violation.isPresent()) {
                    return Outcome.refused(violation.get());
                }
                records.add(stat);
                if (business != null) {
                    var kpi = new BusinessStat(model, modelVersion, date, slice, type, fields.get("metric_key"), businessValue);
                    violation = validator.validate(StatKey.of(kpi).render(), kpi);
                    if (violation.isPresent()) {
                        return Outcome.refused(violation.get());
                    }
                    records.add(kpi);
                }
            }
            return new Outcome(records, null);
        } catch (IllegalArgumentException e) {
            return Outcome.refused(e.getMessage());
        }
    }

    /** Either the records of a line or the reason it was refused. */
    record Outcome(List<SpecificRecord> records, String reason) {
        static Outcome refused(StatValidator.Violation violation) {
            return refused(violation.reason() + ": " + violation.message());
        }

        static Outcome refused(String reason) {
            return new Outcome(null, reason);
        }
    }

    private static LocalDate date(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("stat_date is empty");
        }
        try {
            return LocalDate.parse(text.strip());
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("stat_date '" + abbreviate(text) + "' is not a date (YYYY-MM-DD)");
        }
    }

    private static double number(String field, String text) {
        String t = text == null ? "" : text.strip();
        if (StatLines.NON_FINITE.contains(t)) {
            return t.equals("NaN") ? Double.NaN : t.startsWith("-") ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
        }
        if (!StatLines.NUMBER.matcher(t).matches()) {
            throw new IllegalArgumentException(field + " '" + abbreviate(text) + "' is not a number");
        }
        return Double.parseDouble(t);
    }

    private static MetricType type(String text) {
        return MetricTypes.parse(text);
    }

    private static String abbreviate(String text) {
        return text == null ? "" : text.length() > 40 ? text.substring(0, 40) + "..." : text;
    }
}

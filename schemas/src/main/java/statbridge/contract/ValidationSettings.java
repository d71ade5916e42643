package statbridge.contract;

import java.util.List;
import statbridge.config.Configuration;
import statbridge.config.Setting;

/** The keys of the input validation every component applies to a stat ({@link StatValidator}). */
public final class ValidationSettings {

    public static final Setting MAX_STRING_LENGTH = Setting.integer("validation.max.string.length",
            StatValidator.Limits.DEFAULT_MAX_STRING_LENGTH, 1, 100_000,
            "Longest model name, version, slice key, metric name or key accepted; longer ones are dead-lettered (invalid-field).");
    public static final Setting MIN_DATE = Setting.date("validation.min.date",
            StatValidator.Limits.DEFAULT_MIN_DATE, "Earliest stat_date accepted.");
    public static final Setting MAX_DATE = Setting.date("validation.max.date",
            StatValidator.Limits.DEFAULT_MAX_DATE, "Latest stat_date accepted.");
    public static final Setting ALLOW_NON_FINITE = Setting.bool("validation.allow.non.finite", false,
            "Accept NaN and infinite metric values instead of dead-lettering them.");
    public static final Setting REQUIRE_KEY = Setting.bool("validation.require.key", true,
            "Dead-letter records without a key (key-mismatch). A key, when present, must always match the value.");

    private ValidationSettings() {
    }

    public static List<Setting> all() {
        return Setting.declaredIn(ValidationSettings.class);
    }

    /** The validation limits these settings describe. */
    public static StatValidator.Limits limits(Configuration config) {
        return new StatValidator.Limits(config.getInt(MAX_STRING_LENGTH), config.getDate(MIN_DATE), config.getDate(MAX_DATE),
                config.getBoolean(ALLOW_NON_FINITE), config.getBoolean(REQUIRE_KEY));
    }
}

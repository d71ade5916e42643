package statbridge.tools.series;

import java.util.List;
import statbridge.config.Configuration;
import statbridge.config.Setting;

/** The keys of the metric series: what counts as a series gone silent, and how often the sink process counts them. */
public final class SeriesSettings {

    public static final Setting SILENT_WINDOW_DAYS = Setting.integer("series.silent.window.days", 10, 2, 366,
            "The recent window, in days of stat_date up to today, in which a series must have been published on most days "
                    + "(series.silent.min.days) to be reported silent when it stops.");
    public static final Setting SILENT_MIN_DAYS = Setting.integer("series.silent.min.days", 7, 1, 366,
            "Days of the window (series.silent.window.days) on which a series must have rows to count as regularly published.");
    public static final Setting SILENT_AFTER_DAYS = Setting.integer("series.silent.after.days", 2, 1, 365,
            "A regularly published series is silent when it has no rows for this many days up to today while other series "
                    + "of its model still arrive.");

    public static final Setting SILENT_INTERVAL = Setting.duration("sink.series.silent.interval", "5m",
            "How often the sink process counts the silent series and models for its metrics (statbridge_series_silent, statbridge_models_silent); 0s never.");

    private SeriesSettings() {
    }

    public static List<Setting> all() {
        return Setting.declaredIn(SeriesSettings.class);
    }

    /** The silence rule of {@code config}. */
    public static SilentSeries.Rule rule(Configuration config) {
        try {
            return new SilentSeries.Rule(config.getInt(SILENT_WINDOW_DAYS), config.getInt(SILENT_MIN_DAYS), config.getInt(SILENT_AFTER_DAYS));
        } catch (IllegalArgumentException e) {
            throw new statbridge.config.ConfigurationException("series.silent.*: " + e.getMessage());
        }
    }
}

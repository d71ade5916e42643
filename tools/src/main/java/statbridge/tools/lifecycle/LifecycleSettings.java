package statbridge.tools.lifecycle;

import java.util.List;
import statbridge.config.Setting;

/** The keys of the end of a migration: who reads the legacy shape, how often that is sampled, how long nobody must read it before it goes. */
public final class LifecycleSettings {

    public static final Setting QUIET_PERIOD = Setting.duration("legacy.quiet.period", "14d",
            "How long no reader of the legacy shape may have been seen before 'statbridge legacy retire' removes the legacy view "
                    + "(e.g. 14d, 36h); 'dual-write status', 'dual-write off' and 'purge-legacy' report the readers seen within it.");

    public static final Setting OWN_ROLES = Setting.list("legacy.readers.own.roles", null,
            "Roles statbridge runs as besides the one that samples (e.g. an operator's role for verify, backfill or import), comma-separated: their statements are statbridge's own, not readers of the legacy shape.");

    public static final Setting READERS_INTERVAL = Setting.duration("sink.legacy.readers.interval", "1m",
            "How often the sink process copies the statements that read the legacy shape from pg_stat_statements into ml_monitoring.legacy_readers (e.g. 30s, 5m); 0s never.");

    private LifecycleSettings() {
    }

    public static List<Setting> all() {
        return Setting.declaredIn(LifecycleSettings.class);
    }
}

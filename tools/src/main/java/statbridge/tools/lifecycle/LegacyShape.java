package statbridge.tools.lifecycle;

import java.util.List;
import java.util.Set;

/** What a rewrite of a query on the legacy shape knows of that shape: its names and columns. */
final class LegacyShape {

    /** The relations that hold the legacy shape: the legacy name, its archive, and the rebuild view. */
    static final Set<String> TABLES = Set.of("model_stats_daily_legacy", "model_stats_daily_legacy_archive",
            "model_stats_daily_legacy_rebuilt");
    /** The legacy shape's columns, in its order: what {@code *} stands for. */
    static final List<String> COLUMNS = List.of("model_name", "model_version", "stat_date", "slice_key", "metric_name",
            "metric_value", "business_metric_value", "updated_at");
    /** The columns the new tables hold under the same name and meaning. */
    static final Set<String> SAME_COLUMNS = Set.of("model_name", "model_version", "stat_date", "slice_key", "metric_value");

    private LegacyShape() {
    }
}

package statbridge.tools.migration;

import java.util.Collection;
import java.util.Comparator;
import statbridge.catalog.CatalogEntry;

/** The migration guide for dashboard owners, in Markdown, generated from the metric catalog. */
public final class MigrationGuide {

    private MigrationGuide() {
    }

    public static String render(Collection<CatalogEntry> catalog) {
        StringBuilder md = new StringBuilder();
        md.append("# Moving dashboards to the new model statistics tables\n\n")
                .append("`ml_monitoring.model_stats_daily` no longer has `metric_name`: each metric is identified by ")
                .append("`(metric_type, metric_key)`, with `metric_type` one of ONLINE, BUSINESS, DRIFT. ")
                .append("`business_metric_value` moved to `ml_monitoring.model_business_stats_daily`, keyed the same way. ")
                .append("Until your dashboards move, `ml_monitoring.model_stats_daily_legacy` answers the old queries ")
                .append("with the same columns and the same rows.\n\n")
                .append("## The mapping\n\n| legacy `metric_name` | `metric_type` | `metric_key` |\n|---|---|---|\n");
        Collection<CatalogEntry> sorted = catalog.stream().sorted(Comparator.comparing(CatalogEntry::metricName)).toList();
        for (CatalogEntry entry : sorted) {
            md.append("| `").append(entry.metricName()).append("` | ").append(entry.metricType()).append(" | `")
                    .append(entry.metricKey()).append("` |\n");
        }
        md.append("\n## Query rewrites\n");
        for (CatalogEntry entry : sorted) {
            String name = entry.metricName().replace("'", "''");
            String key = entry.metricKey().replace("'", "''");
            md.append("\n<a id=\"").append(anchor(entry.metricName())).append("\"></a>\n\n### `").append(entry.metricName())
                    .append("`\n\nBefore:\n\n```sql\n")
                    .append("SELECT stat_date, slice_key, metric_value, business_metric_value\n")
                    .append("FROM ml_monitoring.model_stats_daily_legacy\n")
                    .append("WHERE model_name = :model AND model_version = :version AND metric_name = '").append(name).append("'\n")
                    .append("  AND stat_date BETWEEN :from AND :to;\n```\n\nAfter:\n\n```sql\n")
                    .append("SELECT s.stat_date, s.slice_key, s.metric_value, b.business_metric_value\n")
                    .append("FROM ml_monitoring.model_stats_daily s\n")
                    .append("LEFT JOIN ml_monitoring.model_business_stats_daily b\n")
                    .append("  ON b.model_name = s.model_name AND b.model_version = s.model_version AND b.stat_date = s.stat_date\n")
                    .append(" AND b.slice_key = s.slice_key AND b.metric_type = s.metric_type AND b.metric_key = s.metric_key\n")
                    .append("WHERE s.model_name = :model AND s.model_version = :version\n")
                    .append("  AND s.metric_type = '").append(entry.metricType()).append("' AND s.metric_key = '").append(key).append("'\n")
                    .append("  AND s.stat_date BETWEEN :from AND :to;\n```\n");
        }
        return md.toString();
    }

    /** The anchor of a metric's section, e.g. {@code metric-accuracy}, for links from elsewhere. */
    public static String anchor(String metricName) {
        return "metric-" + metricName.toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9]+", "-");
    }
}

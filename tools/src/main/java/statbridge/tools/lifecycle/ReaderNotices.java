package statbridge.tools.lifecycle;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import statbridge.config.Durations;
import statbridge.sink.dualwrite.DualWriteStatus;
import statbridge.tools.migration.MigrationGuide;

/**
 * The notice to one role that reads the legacy shape: what changes and when, the queries it ran
 * with their rewrites, and the migration guide's sections for the metrics they name. In Markdown,
 * for a ticket, a mail or a wiki page.
 */
public final class ReaderNotices {

    private ReaderNotices() {
    }

    /** A file name for a role's notice: the role, with anything unsafe for a file name replaced. */
    public static String fileName(String role) {
        return role.replaceAll("[^A-Za-z0-9_.-]", "_") + ".md";
    }

    public static String render(String role, List<LegacyLifecycle.ReaderQuery> queries, DualWriteStatus status, Duration quietPeriod,
            String guideFile) {
        StringBuilder md = new StringBuilder();
        md.append("# Notice to `").append(role).append("`: `ml_monitoring.model_stats_daily_legacy` is going away\n\n");
        md.append("The model statistics moved to new tables: each metric is now identified by `(metric_type, metric_key)` in ")
                .append("`ml_monitoring.model_stats_daily`, and `business_metric_value` lives in ")
                .append("`ml_monitoring.model_business_stats_daily`. The legacy-shaped `model_stats_daily_legacy` still answers ")
                .append("with the same rows for now. Your role ran the queries below on it; each comes with its equivalent on the new ")
                .append("tables. The [migration guide](").append(guideFile).append(") has the mapping of every metric.\n\n");
        md.append("## What changes, and when\n\n");
        if (status.on()) {
            md.append("- Today `model_stats_daily_legacy` is a table, still written beside the new tables (dual-write is on).\n");
            md.append(status.gracePeriodEnd() == null
                    ? "- The end of the dual-write grace period is not set yet.\n"
                    : "- The dual-write grace period ends **" + status.gracePeriodEnd() + "**; then "
                            + (status.onGraceEnd().name().equals("SWITCH_OFF") ? "the legacy table is no longer written and a view "
                                    + "over the new tables takes its place.\n" : "the platform team decides when to stop writing it.\n"));
        } else {
            md.append("- Since ").append(status.changedAt()).append(" `model_stats_daily_legacy` is a view over the new tables ")
                    .append("(dual-write is off): your queries still work, with the same rows.\n");
        }
        md.append("- The legacy view will be removed once no query has read it for ").append(Durations.format(quietPeriod))
                .append(". Every run of a query below restarts that clock: moving them is what lets it end.\n\n");
        md.append("## Your queries\n");
        int n = 0;
        for (LegacyLifecycle.ReaderQuery query : queries) {
            LegacyReaders.Reader reader = query.reader();
            md.append("\n### ").append(++n).append(". ").append(String.format(Locale.ROOT, "%,d", reader.calls()))
                    .append(" call(s), ").append(String.format(Locale.ROOT, "%,d", reader.rows())).append(" row(s), last seen ")
                    .append(reader.lastSeen()).append(" (first ").append(reader.firstSeen()).append(")\n\n");
            md.append("```sql\n").append(reader.query().strip()).append("\n```\n\n");
            if (query.offered()) {
                md.append("On the new tables (").append(query.check()).append("):\n\n```sql\n")
                        .append(SqlLayout.lines(query.rewrite().rewritten()))
                        .append("\n```\n");
            } else {
                md.append("Not rewritten automatically: ").append(query.refusal()).append(".\n");
            }
            if (!query.rewrite().metrics().isEmpty()) {
                md.append("\nIn the guide: ");
                md.append(String.join(", ", query.rewrite().metrics().stream()
                        .map(metric -> "[`" + metric + "`](" + guideFile + "#" + MigrationGuide.anchor(metric) + ")").toList()));
                md.append("\n");
            } else if (!query.offered()) {
                md.append("\nThe [guide](").append(guideFile).append(") shows the rewrite of each metric's query.\n");
            }
        }
        return md.toString();
    }
}

package statbridge.console;

import static statbridge.console.Html.command;
import static statbridge.console.Html.escape;
import static statbridge.console.Html.url;

import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import statbridge.config.Durations;
import statbridge.sink.dualwrite.DualWriteStatus;
import statbridge.sink.dualwrite.ParityResult;
import statbridge.tools.lifecycle.LegacyLifecycle;
import statbridge.tools.lifecycle.LegacyReaders;
import statbridge.tools.series.DeadLetterEvidence;
import statbridge.tools.series.SilentSeries;

/**
 * The migration page ({@code /}): the dual-write state and grace period, parity, readers of the
 * legacy shape, lag, silent series, dead letters by reason, the switch's history and the models to
 * chart, from what {@link ConsoleData} and {@link KafkaWatch} read.
 */
final class MigrationPage {

    private final ConsoleData data;
    private final KafkaWatch kafka;

    MigrationPage(ConsoleData data, KafkaWatch kafka) {
        this.data = data;
        this.kafka = kafka;
    }

    String render() throws SQLException {
        ConsoleData.Overview o = data.overview();
        KafkaWatch.Reading reading = kafka == null ? null : kafka.last();
        Instant now = Instant.now();
        StringBuilder body = new StringBuilder();
        body.append("<div class=\"grid\">");
        body.append(dualWrite(o.status(), now));
        body.append(parity(o.status()));
        body.append(readers(o));
        body.append("</div>");
        body.append(lag(reading, now));
        body.append(silent(o.silent(), reading));
        body.append(deadLetters(reading, now));
        body.append(history(o.status()));
        body.append(models());
        return Html.page("statbridge — migration", body.toString(), true);
    }

    private static String dualWrite(DualWriteStatus status, Instant now) {
        StringBuilder s = new StringBuilder("<section id=\"dual-write\"><h2>Dual-write</h2>");
        s.append("<p><span id=\"mode\" class=\"badge ").append(status.on() ? "warn" : "ok").append("\">")
                .append(status.on() ? "on" : "off").append("</span> ")
                .append(status.on() ? "the sink writes the new tables and model_stats_daily_legacy"
                        : "model_stats_daily_legacy is a view over the new tables")
                .append("</p><table><tr><th>changed</th><td>").append(escape(String.valueOf(status.changedAt()))).append(" by ")
                .append(escape(status.changedBy())).append(status.forced() ? " <span class=\"badge bad\">forced</span>" : "")
                .append(status.reason() == null || status.reason().isBlank() ? "" : " — " + escape(status.reason())).append("</td></tr>");
        s.append("<tr><th>grace period</th><td id=\"grace\">");
        if (status.gracePeriodEnd() == null) {
            s.append("none set (<code>sink.grace.period.end</code>)");
        } else {
            Duration left = status.timeLeft(now).orElseThrow();
            s.append("ends ").append(escape(status.gracePeriodEnd().toString())).append(" (")
                    .append(left.isNegative() ? "ended " + human(left.negated()) + " ago" : human(left) + " left").append("); then ")
                    .append(status.onGraceEnd().name().equals("SWITCH_OFF") ? "switch off automatically" : "warn");
        }
        s.append("</td></tr></table>");
        s.append(command(status.on() ? "statbridge dual-write off --reason TEXT" : "statbridge dual-write on --reason TEXT",
                "statbridge dual-write status"));
        return s.append("</section>").toString();
    }

    private static String parity(DualWriteStatus status) {
        StringBuilder s = new StringBuilder("<section id=\"parity\"><h2>Last parity check</h2>");
        if (status.lastParity().isEmpty()) {
            s.append("<p>never run</p>");
        } else {
            ParityResult p = status.lastParity().get();
            s.append("<p><span class=\"badge ").append(p.ok() ? "ok\">equal" : "bad\">different").append("</span> ")
                    .append(escape(p.selection())).append(", checked ").append(escape(p.checkedAt().toString())).append("</p>")
                    .append("<table><tr><th>legacy rows</th><td>").append(count(p.legacyRows()))
                    .append("</td><th>rebuilt from the new tables</th><td>").append(count(p.rebuiltRows())).append("</td></tr>")
                    .append("<tr><th>missing in legacy</th><td>").append(count(p.missingInLegacy()))
                    .append("</td><th>missing in new</th><td>").append(count(p.missingInNew())).append("</td></tr>")
                    .append("<tr><th>values differing</th><td>").append(count(p.differing())).append("</td></tr></table>");
        }
        s.append(command("statbridge verify", "statbridge verify --json"));
        return s.append("</section>").toString();
    }

    private static String readers(ConsoleData.Overview o) {
        StringBuilder s = new StringBuilder("<section id=\"readers\"><h2>Readers of the legacy shape</h2>");
        LegacyLifecycle.Verdict verdict = o.verdict();
        if (verdict == null) {
            s.append("<p>unknown: ").append(escape(o.verdictProblem())).append("</p>");
        } else {
            Set<String> roles = new TreeSet<>(verdict.readers().stream().map(LegacyReaders.Reader::role).toList());
            s.append("<p>").append(roles.isEmpty() ? "none" : roles.size() + " role(s): " + escape(String.join(", ", roles)))
                    .append(" within the quiet period of ").append(escape(Durations.format(o.quietPeriod()))).append("</p>");
            s.append("<p>retire: <span id=\"retire\" class=\"badge ")
                    .append(verdict.retired() ? "ok\">done" : verdict.passes() ? "ok\">would pass" : "warn\">would be refused")
                    .append("</span></p>");
            if (!verdict.passes() && !verdict.retired()) {
                s.append("<ul>");
                verdict.reasons().forEach(r -> s.append("<li>").append(escape(r)).append("</li>"));
                s.append("</ul>");
            }
        }
        s.append(command("statbridge legacy readers", "statbridge legacy notices", "statbridge legacy retire"));
        return s.append("</section>").toString();
    }

    private static String lag(KafkaWatch.Reading reading, Instant now) {
        StringBuilder s = new StringBuilder("<section id=\"lag\"><h2>Lag and rates</h2>");
        if (reading == null) {
            s.append("<p>not read from Kafka yet</p>");
        } else {
            if (!reading.lags().isEmpty()) {
                s.append("<table><tr><th></th><th>records behind</th><th>records/s</th><th>group</th><th>topics</th></tr>");
                for (KafkaWatch.Lag lag : reading.lags()) {
                    s.append("<tr class=\"lag-").append(lag.name()).append("\"><th>").append(lag.name()).append("</th><td>")
                            .append(lag.problem() != null ? "unknown: " + escape(lag.problem()) : count(lag.behind())).append("</td><td>")
                            .append(lag.perSecond() == null ? "…" : String.format(Locale.ROOT, "%,.0f", lag.perSecond())).append("</td><td>")
                            .append(escape(lag.group())).append("</td><td>").append(escape(String.join(", ", lag.topics()))).append("</td></tr>");
                }
                s.append("</table>");
            }
            s.append(age(reading, now));
        }
        s.append(command("statbridge pipeline", "statbridge sink", "GET /metrics on each component's --metrics-port"));
        return s.append("</section>").toString();
    }

    private static String age(KafkaWatch.Reading reading, Instant now) {
        return "<p class=\"muted\">read from Kafka " + human(Duration.between(reading.at(), now)) + " ago"
                + (reading.problem() == null ? "" : "; the last attempt failed: " + escape(reading.problem())) + "</p>";
    }

    private static String silent(SilentSeries.Report report, KafkaWatch.Reading reading) {
        DeadLetterEvidence evidence = reading == null ? null : reading.evidence();
        StringBuilder s = new StringBuilder("<section id=\"silent\"><h2>Silent series</h2>");
        SilentSeries.Rule rule = report.rule();
        s.append("<p class=\"muted\">").append(report.series().size()).append(" series, ").append(report.models().size())
                .append(" model(s) as of ").append(report.day()).append(": published on at least ").append(rule.minDays())
                .append(" of the last ").append(rule.windowDays()).append(" days, nothing for the last ").append(rule.afterDays())
                .append("</p>");
        if (!report.series().isEmpty() || !report.models().isEmpty()) {
            s.append("<table><tr><th>series</th><th>silent since</th><th>last path</th><th>explanation</th></tr>");
            for (SilentSeries.Silent x : report.series()) {
                s.append("<tr class=\"silent-series\"><td>").append(escape(x.series().modelName() + " " + x.series().modelVersion() + "  "
                        + x.series().metricType() + "/" + x.series().metricKey())).append("</td><td>").append(x.silentSince())
                        .append("</td><td>").append(escape(x.lastPath() == null ? "unknown" : x.lastPath())).append("</td><td>")
                        .append(explain(evidence, x.series().modelName(), x.series().modelVersion(), x.series().metricKey(),
                                x.catalogChanges()))
                        .append("</td></tr>");
            }
            for (SilentSeries.SilentModel m : report.models()) {
                s.append("<tr class=\"silent-model\"><td>").append(escape("model " + m.modelName() + " " + m.modelVersion() + ": all "
                        + m.series() + " series")).append("</td><td>").append(m.silentSince()).append("</td><td></td><td>")
                        .append(explain(evidence, m.modelName(), m.modelVersion(), null, m.catalogChanges())).append("</td></tr>");
            }
            s.append("</table>");
        }
        for (SilentSeries.Moved moved : report.moved()) {
            s.append("<p>").append(escape(moved.from().series().modelName() + " " + moved.from().series().metricType() + "/"
                    + moved.from().series().metricKey() + " moved to " + moved.to().metricType() + "/" + moved.to().metricKey()
                    + " from " + moved.toFirstDate())).append("</p>");
        }
        s.append(command("statbridge series silent", "statbridge catalog add NAME TYPE KEY", "statbridge dlq replay --reason REASON"));
        return s.append("</section>").toString();
    }

    private static String explain(DeadLetterEvidence evidence, String model, String version, String key,
            List<SilentSeries.CatalogChange> catalog) {
        StringBuilder s = new StringBuilder();
        if (evidence == null) {
            s.append("dead letters: not read yet");
        } else {
            List<DeadLetterEvidence.Group> groups = evidence.of(model, version);
            if (groups.isEmpty()) {
                s.append("no dead letters for ").append(escape(model + " " + version)).append(" since (the job may have stopped publishing)");
            }
            for (DeadLetterEvidence.Group g : groups) {
                s.append("<div class=\"explanation\">dead letters: <b>").append(escape(g.reason())).append("</b> x")
                        .append(count(g.count())).append(" since ").append(escape(g.first().toString())).append(", e.g. ")
                        .append(escape(g.exampleFor(key))).append("</div>");
            }
        }
        for (SilentSeries.CatalogChange c : catalog) {
            s.append("<div>catalog: ").append(escape(c.metricName() + " → (" + c.metricType() + ", " + c.metricKey() + ") added "
                    + c.addedAt())).append("</div>");
        }
        return s.toString();
    }

    private static String deadLetters(KafkaWatch.Reading reading, Instant now) {
        StringBuilder s = new StringBuilder("<section id=\"dead-letters\"><h2>Dead letters, last 24 hours</h2>");
        if (reading == null) {
            s.append("<p>not read from Kafka yet</p>");
        } else {
            s.append("<p>").append(count(reading.deadLetterTotal())).append(" in all</p>");
            if (!reading.deadLetters().isEmpty()) {
                s.append("<table><tr><th>reason</th><th>count</th><th>last</th><th></th></tr>");
                for (KafkaWatch.Reason r : reading.deadLetters()) {
                    s.append("<tr class=\"dead-letter-reason\" data-reason=\"").append(escape(r.reason())).append("\"><td>")
                            .append(escape(r.reason())).append("</td><td>").append(count(r.count())).append("</td><td>")
                            .append(escape(String.valueOf(r.last()))).append("</td><td>")
                            .append(command("statbridge dlq list --reason " + r.reason(), "statbridge dlq replay --reason " + r.reason()))
                            .append("</td></tr>");
                }
                s.append("</table>");
            }
            s.append(age(reading, now));
        }
        s.append(command("statbridge dlq list", "statbridge dlq replay --dry-run"));
        return s.append("</section>").toString();
    }

    private static String history(DualWriteStatus status) {
        StringBuilder s = new StringBuilder("<section id=\"history\"><h2>Dual-write history</h2><table>"
                + "<tr><th>when</th><th>mode</th><th>by</th><th>rows rebuilt</th><th>reason</th></tr>");
        for (DualWriteStatus.Change c : status.history()) {
            s.append("<tr><td>").append(escape(c.at().toString())).append("</td><td>").append(escape(c.mode()))
                    .append(c.forced() ? " (forced)" : "").append("</td><td>").append(escape(c.by())).append("</td><td>")
                    .append(c.rowsRebuilt() == null ? "" : count(c.rowsRebuilt())).append("</td><td>").append(escape(c.reason()))
                    .append("</td></tr>");
        }
        s.append("</table>").append(command("statbridge dual-write status --history 20"));
        return s.append("</section>").toString();
    }

    private String models() throws SQLException {
        StringBuilder s = new StringBuilder("<section id=\"models\"><h2>Model Health</h2><p>");
        List<ConsoleData.ModelVersion> models = data.models();
        if (models.isEmpty()) {
            s.append("no series yet (ml_monitoring.metric_series is empty)");
        }
        for (ConsoleData.ModelVersion m : models) {
            s.append("<a href=\"/model?model=").append(url(m.model())).append("&amp;version=").append(url(m.version())).append("\">")
                    .append(escape(m.model() + " " + m.version())).append("</a> ");
        }
        s.append("</p>").append(command("statbridge series list", "statbridge series rebuild"));
        return s.append("</section>").toString();
    }

    private static String count(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }

    private static String human(Duration d) {
        if (d.toDays() > 0) {
            return d.toDays() + "d " + d.toHoursPart() + "h";
        }
        if (d.toHours() > 0) {
            return d.toHours() + "h " + d.toMinutesPart() + "m";
        }
        if (d.toMinutes() > 0) {
            return d.toMinutes() + "m " + d.toSecondsPart() + "s";
        }
        return d.toSeconds() + "s";
    }
}

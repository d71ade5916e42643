package statbridge.console;

import static statbridge.console.Html.command;
import static statbridge.console.Html.escape;
import static statbridge.console.Html.url;

import java.sql.SQLException;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/** The Model Health page ({@code /model}): every metric of one model, version and slice, as both shapes chart it. */
final class ModelHealthPage {

    /** The longest date range the page draws. */
    static final int MAX_DAYS = 366;
    static final int DEFAULT_DAYS = 30;
    private static final int MAX_PARAMETER = 200;

    private final ConsoleData data;

    ModelHealthPage(ConsoleData data) {
        this.data = data;
    }

    /** The Model Health page: every metric of one model, version and slice, as both shapes chart it. */
    String render(Map<String, String> query) throws SQLException {
        for (Map.Entry<String, String> parameter : query.entrySet()) {
            if (parameter.getValue().length() > MAX_PARAMETER) {
                throw new ConsolePages.BadRequest(parameter.getKey() + ": longer than " + MAX_PARAMETER + " characters");
            }
        }
        List<ConsoleData.ModelVersion> models = data.models();
        String model = query.get("model");
        if (model == null || model.isEmpty()) {
            return Html.page("statbridge — Model Health", picker(models), false);
        }
        List<ConsoleData.ModelVersion> versions = models.stream().filter(m -> m.model().equals(model)).toList();
        if (versions.isEmpty()) {
            throw new ConsolePages.BadRequest("unknown model '" + model + "': the models with series are "
                    + String.join(", ", new TreeSet<>(models.stream().map(ConsoleData.ModelVersion::model).toList())));
        }
        String version = query.getOrDefault("version", "");
        if (version.isEmpty()) {
            version = versions.get(versions.size() - 1).version();
        } else if (versions.stream().noneMatch(m -> m.version().equals(query.get("version")))) {
            throw new ConsolePages.BadRequest("model '" + model + "' has no version '" + version + "': it has "
                    + String.join(", ", versions.stream().map(ConsoleData.ModelVersion::version).toList()));
        }
        List<String> slices = data.slices(model, version);
        String slice = query.getOrDefault("slice", "");
        if (slice.isEmpty()) {
            slice = slices.contains("ALL") ? "ALL" : slices.isEmpty() ? "ALL" : slices.get(0);
        } else if (!slices.contains(slice)) {
            throw new ConsolePages.BadRequest("model '" + model + "' " + version + " has no slice '" + slice + "': it has " + String.join(", ", slices));
        }
        List<ConsoleData.SeriesInfo> series = data.series(model, version);
        LocalDate last = series.stream().map(ConsoleData.SeriesInfo::lastDate).max(LocalDate::compareTo).orElse(LocalDate.now());
        LocalDate to = date(query, "to", last);
        LocalDate from = date(query, "from", to.minusDays(DEFAULT_DAYS - 1));
        if (from.isAfter(to)) {
            throw new ConsolePages.BadRequest("from (" + from + ") is after to (" + to + ")");
        }
        long days = ChronoUnit.DAYS.between(from, to) + 1;
        if (days > MAX_DAYS) {
            throw new ConsolePages.BadRequest("the range " + from + " .. " + to + " is " + days + " days; the console draws at most " + MAX_DAYS);
        }
        List<ConsoleData.Chart> charts = data.charts(model, version, slice, from, to, series);
        StringBuilder body = new StringBuilder(form(model, version, slice, from, to, versions, slices));
        long identical = charts.stream().filter(ConsoleData.Chart::identical).count();
        body.append("<p id=\"summary\">").append(identical).append(" of ").append(charts.size())
                .append(" metrics identical in both shapes from ").append(from).append(" to ").append(to).append("</p>");
        body.append("<div class=\"grid metrics\">");
        for (ConsoleData.Chart chart : charts) {
            body.append(chart(chart, from, to));
        }
        body.append("</div>");
        body.append(command("statbridge verify --models " + model + " --versions " + version + " --from " + from + " --to " + to, "statbridge series list --model " + model));
        return Html.page("statbridge — " + model + " " + version, body.toString(), false);
    }

    private static String picker(List<ConsoleData.ModelVersion> models) {
        StringBuilder s = new StringBuilder("<section><h2>Model Health</h2><p>Pick a model:</p><ul>");
        for (ConsoleData.ModelVersion m : models) {
            s.append("<li><a href=\"/model?model=").append(url(m.model())).append("&amp;version=").append(url(m.version())).append("\">")
                    .append(escape(m.model() + " " + m.version())).append("</a></li>");
        }
        return s.append("</ul></section>").toString();
    }

    private static String form(String model, String version, String slice, LocalDate from, LocalDate to,
            List<ConsoleData.ModelVersion> versions, List<String> slices) {
        StringBuilder s = new StringBuilder("<section><h2>Model Health: ").append(escape(model)).append("</h2>")
                .append("<form method=\"get\" action=\"/model\"><input type=\"hidden\" name=\"model\" value=\"").append(escape(model))
                .append("\"><label>version <select name=\"version\">");
        for (ConsoleData.ModelVersion v : versions) {
            s.append("<option").append(v.version().equals(version) ? " selected" : "").append(">").append(escape(v.version())).append("</option>");
        }
        s.append("</select></label><label>slice <select name=\"slice\">");
        for (String sl : slices) {
            s.append("<option").append(sl.equals(slice) ? " selected" : "").append(">").append(escape(sl)).append("</option>");
        }
        s.append("</select></label><label>from <input type=\"date\" name=\"from\" value=\"").append(from).append("\"></label>")
                .append("<label>to <input type=\"date\" name=\"to\" value=\"").append(to).append("\"></label>")
                .append("<button type=\"submit\">Show</button></form></section>");
        return s.toString();
    }

    private static String chart(ConsoleData.Chart chart, LocalDate from, LocalDate to) {
        String name = chart.metricName() == null ? "(no metric_name in the catalog)" : chart.metricName();
        String key = chart.metricType() == null ? "(no series in the new tables)" : "(" + chart.metricType() + ", " + chart.metricKey() + ")";
        StringBuilder s = new StringBuilder("<section class=\"metric\" data-metric=\"").append(escape(name)).append("\"><h2>")
                .append(escape(name)).append(" <span class=\"muted\">").append(escape(key)).append("</span> ")
                .append(chart.identical() ? "<span class=\"badge ok identical\">identical</span>"
                        : "<span class=\"badge bad differs\">differs</span>")
                .append("</h2>");
        SvgChart.Scale scale = SvgChart.Scale.of(chart.legacy(), chart.current(), ConsoleData.Point::value);
        s.append("<div class=\"pair\"><div><div class=\"shape\">legacy: model_stats_daily_legacy, metric_name = ").append(escape(name))
                .append("</div>").append(SvgChart.render("legacy", "legacy " + name, chart.legacy(), ConsoleData.Point::value, from, to, scale))
                .append("</div><div><div class=\"shape\">new: model_stats_daily, ").append(escape(key)).append("</div>")
                .append(SvgChart.render("new", "new " + key, chart.current(), ConsoleData.Point::value, from, to, scale)).append("</div></div>");
        boolean kpi = chart.legacy().stream().anyMatch(p -> p.business() != null) || chart.current().stream().anyMatch(p -> p.business() != null);
        if (kpi) {
            SvgChart.Scale business = SvgChart.Scale.of(chart.legacy(), chart.current(), ConsoleData.Point::business);
            s.append("<div class=\"pair\"><div><div class=\"shape\">legacy business_metric_value</div>")
                    .append(SvgChart.render("kpi legacy-kpi", "legacy KPI " + name, chart.legacy(), ConsoleData.Point::business, from, to, business))
                    .append("</div><div><div class=\"shape\">new: model_business_stats_daily</div>")
                    .append(SvgChart.render("kpi new-kpi", "new KPI " + key, chart.current(), ConsoleData.Point::business, from, to, business))
                    .append("</div></div>");
        }
        return s.append("</section>").toString();
    }

    private static LocalDate date(Map<String, String> query, String name, LocalDate otherwise) {
        String text = query.get(name);
        if (text == null || text.isEmpty()) {
            return otherwise;
        }
        if (!text.matches("\\d{4}-\\d{2}-\\d{2}")) {
            throw new ConsolePages.BadRequest(name + ": '" + text + "' is not a date (YYYY-MM-DD)");
        }
        try {
            return LocalDate.parse(text);
        } catch (DateTimeParseException e) {
            throw new ConsolePages.BadRequest(name + ": '" + text + "' is not a date (YYYY-MM-DD)");
        }
    }
}

package statbridge.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import statbridge.console.ConsoleData.Point;

/** The console's parts that need no database: query strings, escaping, and the charts' SVG. */
class ConsoleRenderingTest {

    private static final LocalDate DAY = LocalDate.of(2026, 11, 1);

    @Test
    void queryStringsAreDecodedOnceAndRefusedWhenAmbiguousOrHuge() {
        assertThat(ConsoleServer.query("model=Intent+Classifier&slice=country%3DPL&from="))
                .isEqualTo(Map.of("model", "Intent Classifier", "slice", "country=PL", "from", ""));
        assertThat(ConsoleServer.query(null)).isEmpty();
        assertThatThrownBy(() -> ConsoleServer.query("model=a&model=b")).isInstanceOf(ConsolePages.BadRequest.class)
                .hasMessageContaining("'model' is given twice");
        assertThatThrownBy(() -> ConsoleServer.query("model=%zz")).isInstanceOf(ConsolePages.BadRequest.class)
                .hasMessageContaining("percent-encoding");
        assertThatThrownBy(() -> ConsoleServer.query("model=" + "x".repeat(5000))).isInstanceOf(ConsolePages.BadRequest.class)
                .hasMessageContaining("longer than 4096");
    }

    @Test
    void everythingFromTheDatabaseIsEscaped() {
        assertThat(Html.escape("<script>alert('x')</script> & \"y\"")).isEqualTo(
                "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;y&quot;");
        assertThat(Html.escape(null)).isEmpty();
    }

    @Test
    void aChartDrawsOneDotPerValueAndSaysWhichPointsItDrew() {
        List<Point> points = List.of(new Point(DAY, 0.5, null), new Point(DAY.plusDays(1), null, 3.0), new Point(DAY.plusDays(2), 1.5, 4.0));
        SvgChart.Scale scale = SvgChart.Scale.of(points, List.of(), Point::value);
        assertThat(scale).isEqualTo(new SvgChart.Scale(0.5, 1.5));
        String svg = SvgChart.render("legacy", "legacy <accuracy>", points, Point::value, DAY, DAY.plusDays(2), scale);
        assertThat(svg).contains("data-points=\"2026-11-01=0.5;2026-11-03=1.5\"", "aria-label=\"legacy &lt;accuracy&gt;\"")
                .doesNotContain("<accuracy>");
        assertThat(svg.split("<circle", -1)).hasSize(3);
        // the first point at the left edge and the bottom, the last at the right edge and the top
        assertThat(svg).contains("<polyline class=\"line\" points=\"56.0,128.0 412.0,10.0\"/>");
        String kpi = SvgChart.render("kpi", "kpi", points, Point::business, DAY, DAY.plusDays(2),
                SvgChart.Scale.of(points, points, Point::business));
        assertThat(kpi).contains("data-points=\"2026-11-02=3.0;2026-11-03=4.0\"");
    }

    @Test
    void aLongSeriesIsDrawnAsALineWithoutADotPerDay() {
        List<Point> year = new java.util.ArrayList<>();
        for (int d = 0; d < 366; d++) {
            year.add(new Point(DAY.plusDays(d), (double) d, null));
        }
        String svg = SvgChart.render("new", "new", year, Point::value, DAY, DAY.plusDays(365), SvgChart.Scale.of(year, List.of(), Point::value));
        assertThat(svg).contains("<polyline").doesNotContain("<circle");
        assertThat(svg.substring(svg.indexOf("data-points=")).split(";", -1)).hasSize(366);
        assertThat(SvgChart.render("new", "new", year.subList(0, SvgChart.DOTS), Point::value, DAY, DAY.plusDays(365),
                SvgChart.Scale.of(year, List.of(), Point::value)).split("<circle", -1)).hasSize(SvgChart.DOTS + 1);
    }

    @Test
    void anEmptyOrFlatSeriesStillDrawsAFrame() {
        assertThat(SvgChart.render("new", "new", List.of(), Point::value, DAY, DAY.plusDays(9), SvgChart.Scale.of(List.of(), List.of(), Point::value)))
                .contains("no rows in this range", "data-points=\"\"").doesNotContain("<polyline");
        assertThat(SvgChart.Scale.of(List.of(new Point(DAY, 2.0, null)), List.of(), Point::value)).isEqualTo(new SvgChart.Scale(1.8, 2.2));
        assertThat(SvgChart.Scale.of(List.of(new Point(DAY, 0.0, null)), List.of(), Point::value)).isEqualTo(new SvgChart.Scale(-1, 1));
    }
}

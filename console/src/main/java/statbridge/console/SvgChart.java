package statbridge.console;

import java.time.LocalDate;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import statbridge.console.ConsoleData.Point;

/**
 * A line chart drawn on the server as inline SVG: the days of a date range across, values up, a
 * dot per point. The points it drew are also in its {@code data-points} attribute
 * ({@code date=value;...}), so that what the page shows can be read back exactly.
 */
final class SvgChart {

    static final int WIDTH = 420;
    static final int HEIGHT = 150;
    private static final int LEFT = 56;
    private static final int RIGHT = 8;
    private static final int TOP = 10;
    private static final int BOTTOM = 22;
    /** Up to this many points a chart marks each with a dot that names its day and value; beyond, the line alone. */
    static final int DOTS = 62;

    private SvgChart() {
    }

    /** The range of values two charts of one metric share, so that they can be compared by eye; a flat series gets a margin. */
    record Scale(double min, double max) {
        static Scale of(List<Point> a, List<Point> b, Function<Point, Double> value) {
            double min = Double.POSITIVE_INFINITY;
            double max = Double.NEGATIVE_INFINITY;
            for (List<Point> points : List.of(a, b)) {
                for (Point p : points) {
                    Double v = value.apply(p);
                    if (v != null) {
                        min = Math.min(min, v);
                        max = Math.max(max, v);
                    }
                }
            }
            if (min > max) {
                return new Scale(0, 1);
            }
            if (min == max) {
                double margin = min == 0 ? 1 : Math.abs(min) * 0.1;
                return new Scale(min - margin, max + margin);
            }
            return new Scale(min, max);
        }
    }

    /** The points of {@code points} that have a value, as {@code date=value;...}. */
    static String pointsAttribute(List<Point> points, Function<Point, Double> value) {
        StringBuilder text = new StringBuilder();
        for (Point p : points) {
            Double v = value.apply(p);
            if (v != null) {
                text.append(text.isEmpty() ? "" : ";").append(p.date()).append('=').append(v);
            }
        }
        return text.toString();
    }

    static String render(String cssClass, String title, List<Point> points, Function<Point, Double> value, LocalDate from, LocalDate to,
            Scale scale) {
        long days = Math.max(1, ChronoUnit.DAYS.between(from, to));
        double plotWidth = WIDTH - LEFT - RIGHT;
        double plotHeight = HEIGHT - TOP - BOTTOM;
        StringBuilder svg = new StringBuilder();
        svg.append("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart ").append(cssClass).append("\" width=\"").append(WIDTH)
                .append("\" height=\"").append(HEIGHT).append("\" viewBox=\"0 0 ").append(WIDTH).append(' ').append(HEIGHT)
                .append("\" role=\"img\" aria-label=\"").append(Html.escape(title)).append("\" data-points=\"")
                .append(Html.escape(pointsAttribute(points, value))).append("\">");
        svg.append("<title>").append(Html.escape(title)).append("</title>");
        svg.append("<rect x=\"").append(LEFT).append("\" y=\"").append(TOP).append("\" width=\"").append(fmt(plotWidth))
                .append("\" height=\"").append(fmt(plotHeight)).append("\" class=\"plot\"/>");
        svg.append(label(LEFT - 4, TOP + 10, "end", number(scale.max())));
        svg.append(label(LEFT - 4, TOP + plotHeight, "end", number(scale.min())));
        svg.append(label(LEFT, HEIGHT - 6, "start", from.toString()));
        svg.append(label(WIDTH - RIGHT, HEIGHT - 6, "end", to.toString()));
        StringBuilder line = new StringBuilder();
        StringBuilder dots = new StringBuilder();
        int drawn = 0;
        boolean marked = points.size() <= DOTS;
        for (Point p : points) {
            Double v = value.apply(p);
            if (v == null) {
                continue;
            }
            double x = LEFT + plotWidth * ChronoUnit.DAYS.between(from, p.date()) / days;
            double y = TOP + plotHeight * (1 - (v - scale.min()) / (scale.max() - scale.min()));
            line.append(drawn == 0 ? "" : " ").append(fmt(x)).append(',').append(fmt(y));
            if (marked) {
                dots.append("<circle cx=\"").append(fmt(x)).append("\" cy=\"").append(fmt(y)).append("\" r=\"2.5\"><title>")
                        .append(p.date()).append(": ").append(v).append("</title></circle>");
            }
            drawn++;
        }
        if (drawn == 0) {
            svg.append(label(LEFT + plotWidth / 2, TOP + plotHeight / 2, "middle", "no rows in this range"));
        } else {
            svg.append("<polyline class=\"line\" points=\"").append(line).append("\"/>").append(dots);
        }
        return svg.append("</svg>").toString();
    }

    private static String label(double x, double y, String anchor, String text) {
        return "<text x=\"" + fmt(x) + "\" y=\"" + fmt(y) + "\" text-anchor=\"" + anchor + "\">" + Html.escape(text) + "</text>";
    }

    /** One decimal, as fast as a chart of a year of thirty metrics needs (coordinates lie between 0 and the chart's size). */
    private static String fmt(double value) {
        return Double.toString(Math.round(value * 10) / 10.0);
    }

    private static String number(double value) {
        return String.format(Locale.ROOT, "%.4g", value);
    }
}

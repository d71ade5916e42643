package statbridge.sink.writer;

import java.util.Comparator;

/** One metric series: the identity of a line on a dashboard. */
public record Series(String modelName, String modelVersion, String metricType, String metricKey) implements Comparable<Series> {

    private static final Comparator<Series> ORDER = Comparator.comparing(Series::modelName).thenComparing(Series::modelVersion)
            .thenComparing(Series::metricType).thenComparing(Series::metricKey);

    @Override
    public int compareTo(Series other) {
        return ORDER.compare(this, other);
    }
}

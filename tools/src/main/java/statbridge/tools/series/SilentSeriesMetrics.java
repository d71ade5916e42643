package statbridge.tools.series;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import statbridge.v2.MetricType;

/**
 * The gauges of the silent series: {@code statbridge.series.silent} by metric type (three labels at
 * most) and {@code statbridge.models.silent}, -1 until first counted.
 */
public final class SilentSeriesMetrics {

    private final Map<String, AtomicLong> series = new TreeMap<>();
    private final AtomicLong models = new AtomicLong(-1);

    public SilentSeriesMetrics(MeterRegistry registry) {
        for (MetricType type : MetricType.values()) {
            AtomicLong count = new AtomicLong(-1);
            series.put(type.name(), count);
            Gauge.builder("statbridge.series.silent", count, AtomicLong::get)
                    .description("series published on most days of the recent window that stopped while their model still publishes "
                            + "(-1 until first counted); 'statbridge series silent' explains them")
                    .tag("metric_type", type.name()).register(registry);
        }
        Gauge.builder("statbridge.models.silent", models, AtomicLong::get)
                .description("models (name and version) whose regularly published series all stopped (-1 until first counted)")
                .register(registry);
    }

    /** The silent series and models of {@code report}. */
    public void record(SilentSeries.Report report) {
        series.forEach((type, count) -> count.set(report.series().stream()
                .filter(s -> s.series().metricType().equals(type)).count()));
        models.set(report.models().size());
    }
}

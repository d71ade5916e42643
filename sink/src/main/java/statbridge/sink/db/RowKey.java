package statbridge.sink.db;

import java.time.LocalDate;
import statbridge.v2.MetricType;

/**
 * The primary key the two new stat tables share (and, through the catalog's {@code metric_name},
 * the legacy table): one model's metric for one day and slice.
 */
public record RowKey(String modelName, String modelVersion, LocalDate statDate, String sliceKey, MetricType metricType,
        String metricKey) {
}

package statbridge.pipeline;

import java.time.LocalDate;
import statbridge.contract.StatKey;
import statbridge.v1.ModelStat;
import statbridge.v2.BusinessStat;
import statbridge.v2.MetricType;

/** Builders for the events the pipeline tests send and expect. */
public final class Stats {

    public static final LocalDate DAY = LocalDate.of(2025, 4, 26);

    private Stats() {
    }

    public static ModelStat v1(String model, String version, LocalDate day, String slice, String metric, double value,
            Double business) {
        return ModelStat.newBuilder().setModelName(model).setModelVersion(version).setStatDate(day).setSliceKey(slice)
                .setMetricName(metric).setMetricValue(value).setBusinessMetricValue(business).build();
    }

    public static ModelStat v1(String metric, double value, Double business) {
        return v1("IntentClassifier", "v4", DAY, "ALL", metric, value, business);
    }

    public static statbridge.v2.ModelStat v2(ModelStat from, MetricType type, String key) {
        return statbridge.v2.ModelStat.newBuilder().setModelName(from.getModelName()).setModelVersion(from.getModelVersion())
                .setStatDate(from.getStatDate()).setSliceKey(from.getSliceKey()).setMetricType(type).setMetricKey(key)
                .setMetricValue(from.getMetricValue()).build();
    }

    public static BusinessStat business(ModelStat from, MetricType type, String key) {
        return BusinessStat.newBuilder().setModelName(from.getModelName()).setModelVersion(from.getModelVersion())
                .setStatDate(from.getStatDate()).setSliceKey(from.getSliceKey()).setMetricType(type).setMetricKey(key)
                .setBusinessMetricValue(from.getBusinessMetricValue()).build();
    }

    public static String key(ModelStat stat) {
        return StatKey.of(stat).render();
    }
}

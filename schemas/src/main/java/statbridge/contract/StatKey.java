package statbridge.contract;

import java.time.LocalDate;

/**
 * The record key of every stat topic: {@code model_name/model_version/stat_date/slice_key}, with
 * the date as ISO {@code YYYY-MM-DD}, so one model/day/slice always lands on one partition.
 */
public record StatKey(String modelName, String modelVersion, LocalDate statDate, String sliceKey) {

    /** The key as it travels on Kafka. */
    public String render() {
        return modelName + "/" + modelVersion + "/" + statDate + "/" + sliceKey;
    }

    public static StatKey of(statbridge.v1.ModelStat stat) {
        return new StatKey(stat.getModelName(), stat.getModelVersion(), stat.getStatDate(), stat.getSliceKey());
    }

    public static StatKey of(statbridge.v2.ModelStat stat) {
        return new StatKey(stat.getModelName(), stat.getModelVersion(), stat.getStatDate(), stat.getSliceKey());
    }

    public static StatKey of(statbridge.v2.BusinessStat stat) {
        return new StatKey(stat.getModelName(), stat.getModelVersion(), stat.getStatDate(), stat.getSliceKey());
    }

    @Override
    public String toString() {
        return render();
    }
}

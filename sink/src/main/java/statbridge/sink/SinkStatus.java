package statbridge.sink;

import java.util.Map;

/**
 * Where the sink stands, as its loop last said and its health check reads it: the state, why
 * (the error it is retrying), and the partitions stopped below the log start with their reasons.
 */
final class SinkStatus {

    private final SinkMetrics metrics;
    private volatile SinkState state = SinkState.STARTING;
    private volatile String detail = "";
    private volatile Map<String, String> stoppedPartitions = Map.of();

    SinkStatus(SinkMetrics metrics) {
        this.metrics = metrics;
    }

    SinkState state() {
        return state;
    }

    String detail() {
        return detail;
    }

    Map<String, String> stoppedPartitions() {
        return stoppedPartitions;
    }

    void running() {
        state = SinkState.RUNNING;
        detail = "";
    }

    /** A failure the sink waits out: counted, and shown until the sink runs again. */
    void retrying(String why) {
        metrics.retried();
        state = SinkState.RETRYING;
        detail = why;
    }

    void failed(String why) {
        state = SinkState.FAILED;
        detail = why;
    }

    /** Stopped, unless it failed. */
    void stopped() {
        if (state != SinkState.FAILED) {
            state = SinkState.STOPPED;
        }
    }

    void stoppedPartitions(Map<String, String> reasons) {
        stoppedPartitions = Map.copyOf(reasons);
        metrics.partitionsStopped(reasons.size());
    }
}

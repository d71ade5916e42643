package statbridge.sink;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import statbridge.sink.dualwrite.GracePeriodWatch;
import statbridge.sink.dualwrite.ParityResult;
import statbridge.sink.writer.BatchResult;

/**
 * The sink's meters: {@code statbridge.sink.rows.written{table}}, {@code statbridge.sink.batch.latency},
 * {@code statbridge.sink.dead.letters{reason}}, {@code statbridge.sink.retries}, and the gauges
 * {@code statbridge.sink.dual.write.on}, {@code statbridge.sink.parity.ok},
 * {@code statbridge.sink.parity.differences}, {@code statbridge.sink.partitions.stopped}; and
 * {@code statbridge.sink.offsets.skipped} (records lost to retention, accepted by an operator),
 * {@code statbridge.sink.grace.switch.refused}.
 */
public final class SinkMetrics implements GracePeriodWatch.Listener {

    private final MeterRegistry registry;
    private final Map<String, Counter> rows = new ConcurrentHashMap<>();
    private final Map<String, Counter> deadLetters = new ConcurrentHashMap<>();
    private final Timer batchLatency;
    private final Counter retries;
    private final AtomicLong dualWriteOn = new AtomicLong(-1);
    private final AtomicLong parityOk = new AtomicLong(-1);
    private final AtomicLong parityDifferences = new AtomicLong(-1);
    private final AtomicLong partitionsStopped = new AtomicLong();
    private final Counter offsetsSkipped;
    private final Counter graceSwitchRefused;

    public SinkMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.batchLatency = Timer.builder("statbridge.sink.batch.latency")
                .description("time to write one batch to PostgreSQL, transaction included")
                .publishPercentiles(0.5, 0.99).register(registry);
        this.retries = Counter.builder("statbridge.sink.retries")
                .description("batches retried after a failure of PostgreSQL, the registry or Kafka").register(registry);
        registry.gauge("statbridge.sink.dual.write.on", dualWriteOn);
        registry.gauge("statbridge.sink.parity.ok", parityOk);
        registry.gauge("statbridge.sink.parity.differences", parityDifferences);
        registry.gauge("statbridge.sink.partitions.stopped", partitionsStopped);
        this.offsetsSkipped = Counter.builder("statbridge.sink.offsets.skipped")
                .description("offsets skipped because retention deleted them before the sink read them, as an operator allowed")
                .register(registry);
        this.graceSwitchRefused = Counter.builder("statbridge.sink.grace.switch.refused")
                .description("automatic switch-offs at the end of the grace period that parity or the database refused")
                .register(registry);
    }

    public MeterRegistry registry() {
        return registry;
    }

    public void batch(BatchResult result, Duration took) {
        batchLatency.record(took);
        add("model_stats_daily", result.statRows());
        add("model_business_stats_daily", result.businessRows() + result.businessWithdrawn());
        add("model_stats_daily_legacy", result.legacyRows());
        dualWriteOn.set(result.dualWrite() ? 1 : 0);
    }

    private void add(String table, int count) {
        rows.computeIfAbsent(table, t -> Counter.builder("statbridge.sink.rows.written")
                .description("rows inserted, updated or deleted").tag("table", t).register(registry)).increment(count);
    }

    public void deadLettered(String reason) {
        deadLetters.computeIfAbsent(reason, r -> Counter.builder("statbridge.sink.dead.letters")
                .description("records the sink sent to the dead-letter topic").tag("reason", r).register(registry)).increment();
    }

    public void retried() {
        retries.increment();
    }

    @Override
    public void dualWrite(boolean on) {
        dualWriteOn.set(on ? 1 : 0);
    }

    void partitionsStopped(int count) {
        partitionsStopped.set(count);
    }

    void offsetsSkipped(long count) {
        offsetsSkipped.increment(count);
    }

    @Override
    public void switchOffRefused() {
        graceSwitchRefused.increment();
    }

    @Override
    public void parity(ParityResult result) {
        parityOk.set(result.ok() ? 1 : 0);
        parityDifferences.set(result.differences());
    }

    /** Rows written to a table so far. */
    public double rowsWritten(String table) {
        Counter counter = rows.get(table);
        return counter == null ? 0 : counter.count();
    }

    public double deadLetters(String reason) {
        Counter counter = deadLetters.get(reason);
        return counter == null ? 0 : counter.count();
    }

    public double retryCount() {
        return retries.count();
    }
}

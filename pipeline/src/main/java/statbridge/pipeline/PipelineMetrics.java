package statbridge.pipeline;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The pipeline's own meters: {@code statbridge.pipeline.events.upcast},
 * {@code statbridge.pipeline.dead.letters{reason}}, {@code statbridge.pipeline.catalog.inferred}
 * and the gauge {@code statbridge.pipeline.catalog.size}. Counts are of processing attempts: a
 * transaction aborted by a crash may count an event twice; the topics never hold it twice.
 */
public final class PipelineMetrics {

    private final MeterRegistry registry;
    private final Counter upcast;
    private final Counter inferred;
    private final Map<String, Counter> deadLetters = new ConcurrentHashMap<>();
    private final AtomicLong catalogSize = new AtomicLong();

    public PipelineMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.upcast = Counter.builder("statbridge.pipeline.events.upcast")
                .description("v1 events upcast into v2 events").register(registry);
        this.inferred = Counter.builder("statbridge.pipeline.catalog.inferred")
                .description("catalog entries inferred for unknown metric names").register(registry);
        registry.gauge("statbridge.pipeline.catalog.size", catalogSize);
    }

    public MeterRegistry registry() {
        return registry;
    }

    public void upcast() {
        upcast.increment();
    }

    public void inferred() {
        inferred.increment();
    }

    public void deadLettered(String reason) {
        deadLetters.computeIfAbsent(reason, r -> Counter.builder("statbridge.pipeline.dead.letters")
                .description("records sent to the dead-letter topic").tag("reason", r).register(registry)).increment();
    }

    public void catalogSize(long size) {
        catalogSize.set(size);
    }

    /** Dead letters counted so far for a reason. */
    /** Catalog entries the pipeline's store holds now. */
    public long catalogSize() {
        return catalogSize.get();
    }

    public double deadLetters(String reason) {
        Counter counter = deadLetters.get(reason);
        return counter == null ? 0 : counter.count();
    }

    public double upcastCount() {
        return upcast.count();
    }
}

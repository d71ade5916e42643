package statbridge.pipeline.runner;

import statbridge.pipeline.PipelineConfig;
import statbridge.pipeline.PipelineMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import statbridge.catalog.CatalogTopic;
import statbridge.config.Secrets;
import statbridge.pipeline.topology.RecordLimits;
import statbridge.pipeline.topology.UpcastTopology;
import statbridge.registry.SchemaRegistryClient;
import statbridge.registry.SchemaRegistryClients;
import statbridge.runtime.Component;
import statbridge.topics.TopicCreator;

/**
 * Runs the upcast topology: creates its topics if configured to, starts Kafka Streams with
 * {@code exactly_once_v2}, replaces a stream thread that dies of a transient failure (a registry
 * outage, say) after a pause, stops (and so fails) when a thread dies of an {@link Error}, and
 * closes cleanly.
 */
public final class PipelineApp implements Component {

    private static final Logger LOG = LoggerFactory.getLogger(PipelineApp.class);
    private static final Duration THREAD_REPLACEMENT_PAUSE = Duration.ofSeconds(1);

    private final PipelineConfig config;
    private final PipelineMetrics metrics;
    private final CountDownLatch closed = new CountDownLatch(1);
    private SchemaRegistryClient registry;
    private KafkaStreams streams;
    private KafkaStreamsMetrics streamsMetrics;

    public PipelineApp(PipelineConfig config, MeterRegistry meterRegistry) {
        this.config = config;
        this.metrics = new PipelineMetrics(meterRegistry);
    }

    public PipelineMetrics metrics() {
        return metrics;
    }

    /** Starts the pipeline; returns at once. */
    @Override
    public synchronized void start() {
        if (config.createTopics()) {
            TopicCreator.ensure(config.streams(), List.of(
                    new TopicCreator.Spec(config.v1Topic(), Map.of()),
                    new TopicCreator.Spec(config.v2Topic(), Map.of()),
                    new TopicCreator.Spec(config.businessTopic(), Map.of()),
                    new TopicCreator.Spec(config.dlqTopic(), TopicCreator.KEEP_FOREVER),
                    new TopicCreator.Spec(config.catalogTopic(), TopicCreator.COMPACTED)),
                    config.topicPartitions(), config.topicReplicationFactor());
        }
        if (!new CatalogTopic(config.streams(), config.catalogTopic()).isCompacted()) {
            throw new IllegalStateException("the catalog topic '" + config.catalogTopic() + "' is not compacted, so retention "
                    + "would delete mappings and inference could give a known name another pair; set cleanup.policy=compact on it");
        }
        registry = SchemaRegistryClients.create(config.registry());
        Properties properties = new Properties();
        properties.putAll(config.streams());
        RecordLimits limits = RecordLimits.read(config.streams(), config.v2Topic(), config.businessTopic(), config.dlqTopic());
        streams = new KafkaStreams(UpcastTopology.build(config, registry, metrics, limits), properties);
        streams.setUncaughtExceptionHandler(error -> {
            if (error instanceof Error) {
                // Out of memory, a stack overflow: nothing says a new thread would fare better. Stop, so the
                // process exits non-zero and its supervisor restarts it, rather than look alive and do nothing.
                LOG.error("a pipeline stream thread died of {}; stopping the pipeline", error, error);
                return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
            }
            LOG.error("a pipeline stream thread failed; replacing it in {}", THREAD_REPLACEMENT_PAUSE, error);
            try {
                Thread.sleep(THREAD_REPLACEMENT_PAUSE.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
            }
            return StreamThreadExceptionResponse.REPLACE_THREAD;
        });
        streams.setStateListener((now, before) -> {
            LOG.info("pipeline state {} -> {}", before, now);
            if (now == KafkaStreams.State.NOT_RUNNING || now == KafkaStreams.State.ERROR) {
                closed.countDown();
            }
        });
        streamsMetrics = new KafkaStreamsMetrics(streams);
        streamsMetrics.bindTo(metrics.registry());
        LOG.info("starting pipeline {} -> {}, {}, dead letters to {}; unmapped names: {}; settings {}", config.v1Topic(),
                config.v2Topic(), config.businessTopic(), config.dlqTopic(), config.unmappedPolicy(), visibleSettings());
        streams.start();
    }

    /** The Kafka Streams state, or null before {@link #start()}. */
    public synchronized KafkaStreams.State state() {
        return streams == null ? null : streams.state();
    }

    /** Up while Kafka Streams is running or rebalancing. */
    @Override
    public Health health() {
        KafkaStreams.State now = state();
        return now == KafkaStreams.State.RUNNING || now == KafkaStreams.State.REBALANCING
                ? Health.up(now.name()) : Health.down(String.valueOf(now));
    }

    @Override
    public boolean failed() {
        return state() == KafkaStreams.State.ERROR;
    }

    /** Waits until every partition is assigned and processing. */
    public boolean awaitRunning(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (state() == KafkaStreams.State.RUNNING) {
                return true;
            }
            if (state() == KafkaStreams.State.ERROR || state() == KafkaStreams.State.NOT_RUNNING) {
                return false;
            }
            Thread.sleep(50);
        }
        return false;
    }

    /** Blocks until the pipeline stops (closed, or failed for good). */
    @Override
    public void awaitStopped() throws InterruptedException {
        closed.await();
    }

    public boolean awaitStopped(Duration timeout) throws InterruptedException {
        return closed.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public synchronized void close() {
        if (streams != null) {
            LOG.info("stopping pipeline");
            streams.close(Duration.ofSeconds(30));
            streamsMetrics.close();
            streams = null;
        }
        if (registry != null) {
            registry.close();
            registry = null;
        }
        closed.countDown();
    }

    private Map<String, Object> visibleSettings() {
        Map<String, Object> shown = new java.util.TreeMap<>();
        config.streams().forEach((key, value) -> shown.put(key, Secrets.visible(key, value)));
        return shown;
    }
}

package statbridge.sink;

import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import statbridge.config.Secrets;
import statbridge.contract.StatValidator;
import statbridge.registry.SchemaRegistryClient;
import statbridge.registry.SchemaRegistryClients;
import statbridge.runtime.Component;
import statbridge.serde.AvroDeserializer;
import statbridge.sink.db.Database;
import statbridge.sink.dualwrite.DualWriteSwitch;
import statbridge.sink.dualwrite.GracePeriodWatch;
import statbridge.v2.BusinessStat;
import statbridge.v2.ModelStat;

/**
 * The sink: consumes {@code model-stats.v2} and {@code model-business-stats.v2} (read_committed),
 * and writes each batch in one PostgreSQL transaction together with the consumed offsets, which
 * it seeks to on partition assignment, so a crash changes nothing. Records it cannot write become
 * dead letters once each: recorded in the batch's transaction, sent after the commit. While
 * PostgreSQL, the registry or Kafka fails, it pauses consumption, stays in its group and retries
 * the same batch with backoff. A partition whose stored offset fell below the log start stops
 * until an operator accepts the loss.
 *
 * <p>This class is the lifecycle; {@link SinkLoop} is the consuming thread, and the rest of the
 * package its parts: {@link RecordDecoder}, {@link BatchPreparer}, {@link BatchFlusher},
 * {@link PartitionSeeker}, {@link SinkRebalanceListener}, {@link PartitionStates},
 * {@link Backoff}, {@link ConsumerSettings}.
 */
public final class SinkApp implements Component {

    private static final Logger LOG = LoggerFactory.getLogger(SinkApp.class);
    private static final Duration GRACE_CHECK_INTERVAL = Duration.ofSeconds(30);
    private static final Duration GRACE_WARN_INTERVAL = Duration.ofMinutes(10);

    private final SinkConfig config;
    private final SinkMetrics metrics;
    private final SinkStatus status;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final CountDownLatch assigned = new CountDownLatch(1);
    private Database database;
    private SchemaRegistryClient registry;
    private GracePeriodWatch graceWatch;
    private SinkLoop loop;
    private Thread thread;

    public SinkApp(SinkConfig config, MeterRegistry meterRegistry) {
        this.config = config;
        this.metrics = new SinkMetrics(meterRegistry);
        this.status = new SinkStatus(metrics);
    }

    public SinkMetrics metrics() {
        return metrics;
    }

    public SinkState state() {
        return status.state();
    }

    /** Why the sink is in its state, e.g. the error it is retrying. */
    public String stateDetail() {
        return status.detail();
    }

    /**
     * Starts consuming in a thread of its own and returns at once. The sink joins its group even
     * while PostgreSQL is down; its partitions stay paused until the database is migrated and their
     * stored offsets are read.
     */
    @Override
    public synchronized void start() {
        database = Database.open(config.database(), "statbridge-sink");
        registry = SchemaRegistryClients.create(config.registry());
        RecordDecoder decoder = new RecordDecoder(config.v2Topic(), AvroDeserializer.forType(registry, ModelStat.class),
                AvroDeserializer.forType(registry, BusinessStat.class), new StatValidator(config.limits()));
        DualWriteSwitch dualWrite = new DualWriteSwitch(database.dataSource());
        graceWatch = GracePeriodWatch.start(dualWrite, metrics, GRACE_CHECK_INTERVAL, GRACE_WARN_INTERVAL);
        LOG.info("starting the sink: group {}, {} and {} into PostgreSQL at {}, schemas from {}, dead letters to {}",
                config.groupId(), config.v2Topic(), config.businessTopic(), Secrets.redact(config.database().jdbcUrl()),
                Secrets.redact(String.valueOf(config.registry().get("schema.registry.url"))), config.dlqTopic());
        loop = new SinkLoop(config, metrics, status, database, dualWrite, decoder, assigned);
        thread = new Thread(() -> {
            try {
                loop.run();
            } finally {
                stopped.countDown();
            }
        }, "statbridge-sink");
        thread.start();
    }

    /** Waits until the sink owns partitions and has sought to their stored offsets. */
    public boolean awaitAssignment(Duration timeout) throws InterruptedException {
        return assigned.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void awaitStopped() throws InterruptedException {
        stopped.await();
    }

    /** Up while writing; down with the reason while retrying, stopped or failed. */
    @Override
    public Health health() {
        SinkState state = status.state();
        Map<String, String> stoppedPartitions = status.stoppedPartitions();
        if (state == SinkState.RUNNING && !stoppedPartitions.isEmpty()) {
            return Health.down("RUNNING, but " + stoppedPartitions.size() + " partition(s) stopped: " + stoppedPartitions);
        }
        String detail = status.detail();
        return state == SinkState.RUNNING ? Health.up(state.name()) : Health.down(state + (detail.isEmpty() ? "" : ": " + detail));
    }

    @Override
    public boolean failed() {
        return status.state() == SinkState.FAILED;
    }

    @Override
    public void close() {
        if (graceWatch != null) {
            graceWatch.close();
        }
        if (loop != null) {
            loop.stop();
        }
        if (thread != null) {
            try {
                thread.join(Duration.ofSeconds(30).toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (registry != null) {
            registry.close();
        }
        if (loop != null) {
            loop.close();
        }
        if (database != null) {
            database.close();
        }
        status.stopped();
        stopped.countDown();
    }
}

package statbridge.sink;

import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetOutOfRangeException;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.flywaydb.core.api.FlywayException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import statbridge.config.Secrets;
import statbridge.sink.catalog.CatalogDivergenceException;
import statbridge.sink.db.Database;
import statbridge.sink.db.Partitions;
import statbridge.sink.dualwrite.DualWriteSwitch;
import statbridge.sink.offsets.OffsetTable;
import statbridge.sink.writer.BatchWriter;

/**
 * The sink's consuming thread. Each turn it settles the partitions waiting for their stored
 * offsets ({@link PartitionSeeker}; the database is prepared first, see {@link DatabasePreparer}),
 * applies the pauses {@link PartitionStates} calls for, polls, and hands a full or due batch to
 * the {@link BatchFlusher}; idle, it keeps the catalog table current. Settling retries with
 * {@link Backoff} without holding up the loop, which keeps polling, so the group membership holds.
 */
final class SinkLoop implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(SinkLoop.class);
    private static final Duration CATALOG_COPY_INTERVAL = Duration.ofSeconds(1);

    private final SinkConfig config;
    private final SinkMetrics metrics;
    private final SinkStatus status;
    private final Database database;
    private final Partitions partitions;
    private final BatchWriter writer;
    private final LaneWriter lanes;
    private final DualWriteSwitch dualWrite;
    private final StatisticsKeeper statistics;
    private final RecordDecoder decoder;
    private final CountDownLatch assigned;
    private final List<ConsumerRecord<byte[], byte[]>> buffer = new ArrayList<>();
    private final Map<TopicPartition, Long> storedOffsets = new HashMap<>();
    private final PartitionStates partitionStates = new PartitionStates();
    private final Backoff seekBackoff;
    private final DatabasePreparer preparer;
    private volatile boolean running = true;
    private volatile KafkaConsumer<byte[], byte[]> consumer;
    private DeadLetterSender deadLetters;
    private CatalogMirror catalog;
    private PartitionSeeker seeker;
    private long nextSeekAttempt;
    private boolean outboxToRecover;
    private boolean databasePrepared;
    private long lastCatalogCopy = System.nanoTime();

    /**
     * @param assigned counted down once the sink owns partitions and has sought them to their stored offsets
     */
    SinkLoop(SinkConfig config, SinkMetrics metrics, SinkStatus status, Database database, DualWriteSwitch dualWrite,
            RecordDecoder decoder, CountDownLatch assigned) {
        this.config = config;
        this.metrics = metrics;
        this.status = status;
        this.database = database;
        this.dualWrite = dualWrite;
        this.decoder = decoder;
        this.assigned = assigned;
        this.partitions = new Partitions(database.dataSource(), Partitions.LOCK_TIMEOUT, config.partitionFillfactor());
        this.writer = new BatchWriter(config.groupId());
        writer.maintainSeries(config.metricSeries());
        this.lanes = new LaneWriter(database.dataSource(), writer, config.writeLanes());
        this.statistics = new StatisticsKeeper(database.dataSource());
        this.seekBackoff = new Backoff(config.retryMaxBackoffMs());
        this.preparer = new DatabasePreparer(config, database, partitions, dualWrite);
    }

    @Override
    public void run() {
        try (CatalogMirror catalog = new CatalogMirror(config.kafka(), config.catalogTopic());
                DeadLetterSender sender = new DeadLetterSender(config.kafka(), config.dlqTopic(), config.groupId(),
                        database.dataSource());
                KafkaConsumer<byte[], byte[]> kafka = new KafkaConsumer<>(ConsumerSettings.of(config));
                KafkaClientMetrics clientMetrics = new KafkaClientMetrics(kafka)) {
            this.consumer = kafka;
            this.deadLetters = sender;
            this.catalog = catalog;
            this.seeker = new PartitionSeeker(this::readStoredOffsets, config.acceptDataLoss(), partitionStates, metrics);
            clientMetrics.bindTo(metrics.registry());
            BatchFlusher flusher = new BatchFlusher(config, metrics, status, new BatchPreparer(decoder, catalog::catalog,
                    catalog::catchUp), partitions, lanes, statistics, catalog, sender, new BatchFlusher.Followups() {
                        @Override
                        public void reseekAll() {
                            partitionStates.reseek(kafka.assignment());
                            nextSeekAttempt = 0;
                        }

                        @Override
                        public void recoverOutbox() {
                            outboxToRecover = true;
                            nextSeekAttempt = System.nanoTime() + seekBackoff.peek() * 1_000_000;
                        }
                    });
            // The database may be down: the catalog table is brought up to date with the first batch or idle turn.
            if (!startCatalog(catalog)) {
                return;
            }
            kafka.subscribe(List.of(config.v2Topic(), config.businessTopic()), new SinkRebalanceListener(kafka,
                    config.v2Topic(), config.businessTopic(), partitionStates, buffer, storedOffsets, writer::lockBuckets,
                    new SinkRebalanceListener.Changes() {
                        @Override
                        public void revoked() {
                            status.stoppedPartitions(partitionStates.stopped());
                        }

                        @Override
                        public void assigned() {
                            nextSeekAttempt = 0;
                            outboxToRecover = true;
                        }
                    }));
            long batchStarted = -1;
            while (running) {
                settlePartitions();
                partitionStates.applyTo(kafka, false);
                try {
                    for (ConsumerRecord<byte[], byte[]> record : kafka.poll(Duration.ofMillis(Math.min(100, config.batchMaxWaitMs())))) {
                        buffer.add(record);
                    }
                } catch (WakeupException e) {
                    if (running) {
                        throw e;
                    }
                    break;
                } catch (OffsetOutOfRangeException e) {
                    // Retention overtook the sink: seek those partitions again, where the stored offset decides.
                    Set<TopicPartition> outOfRange = e.offsetOutOfRangePartitions().keySet();
                    buffer.removeIf(r -> outOfRange.contains(new TopicPartition(r.topic(), r.partition())));
                    partitionStates.reseek(outOfRange);
                    nextSeekAttempt = 0;
                    continue;
                }
                if (!buffer.isEmpty() && batchStarted < 0) {
                    batchStarted = System.nanoTime();
                }
                boolean full = buffer.size() >= config.batchMaxRecords();
                boolean due = batchStarted >= 0 && System.nanoTime() - batchStarted >= config.batchMaxWaitMs() * 1_000_000;
                if (full || due) {
                    flusher.flush(kafka, buffer, storedOffsets, partitionStates, () -> running);
                    batchStarted = buffer.isEmpty() ? -1 : batchStarted;
                }
                if (buffer.isEmpty() && System.nanoTime() - lastCatalogCopy > CATALOG_COPY_INTERVAL.toNanos()) {
                    // Nothing to write: keep the catalog table current anyway, so analysts and tools see new entries.
                    lastCatalogCopy = System.nanoTime();
                    catalog.poll();
                    try {
                        catalog.copyPendingTo(database.dataSource());
                    } catch (SQLException e) {
                        LOG.debug("cannot copy the catalog now: {}", e.toString());
                    }
                }
            }
        } catch (RuntimeException | Error e) {
            // An Error too: a loop thread that died must not leave a process that looks alive and writes nothing.
            status.failed(e.toString());
            LOG.error("the sink stopped on an unexpected error", e);
        } finally {
            consumer = null;
            status.stopped();
        }
    }

    /** Asks the loop to stop and wakes it from its poll. */
    void stop() {
        running = false;
        KafkaConsumer<byte[], byte[]> current = consumer;
        if (current != null) {
            current.wakeup();
        }
    }

    void close() {
        lanes.close();
        statistics.close();
    }

    /** Reads the catalog topic, retrying with backoff while Kafka does not answer; false when the sink stopped first. */
    private boolean startCatalog(CatalogMirror catalog) {
        Backoff backoff = new Backoff(config.retryMaxBackoffMs());
        while (true) {
            try {
                catalog.start();
                return true;
            } catch (CatalogDivergenceException e) {
                throw e;
            } catch (RuntimeException e) {
                if (!running) {
                    return false;
                }
                long wait = backoff.next();
                status.retrying("cannot read the metric catalog: " + e);
                LOG.warn("cannot read the metric catalog yet, retrying in {} ms: {}", wait, e.toString());
                try {
                    Thread.sleep(wait);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
        }
    }

    private Map<TopicPartition, Long> readStoredOffsets(Collection<TopicPartition> partitionsToRead) throws SQLException {
        try (Connection connection = database.dataSource().getConnection()) {
            Map<TopicPartition, Long> stored = new OffsetTable(config.groupId()).read(connection, partitionsToRead);
            connection.rollback();
            return stored;
        }
    }

    /**
     * Seeks partitions waiting for their stored offsets, and sends dead letters an earlier owner
     * recorded but may not have sent; while PostgreSQL or Kafka fails, tries again with backoff.
     */
    private void settlePartitions() {
        Set<TopicPartition> seeking = partitionStates.seeking();
        if ((seeking.isEmpty() && !outboxToRecover && databasePrepared) || System.nanoTime() < nextSeekAttempt) {
            return;
        }
        try {
            if (!databasePrepared) {
                preparer.prepare(catalog);
                databasePrepared = true;
            }
            if (!seeking.isEmpty()) {
                storedOffsets.putAll(seeker.seek(consumer, seeking));
                status.stoppedPartitions(partitionStates.stopped());
                if (partitionStates.anyConsuming()) {
                    assigned.countDown();
                }
            }
            if (outboxToRecover) {
                deadLetters.recover(consumer.assignment());
                outboxToRecover = false;
            }
            seekBackoff.reset();
            SinkState state = status.state();
            if (state == SinkState.STARTING || (state == SinkState.RETRYING && buffer.isEmpty())) {
                if (state == SinkState.RETRYING) {
                    LOG.info("consuming again after the failure: {}", status.detail());
                }
                status.running();
            }
        } catch (CatalogDivergenceException e) {
            throw e;
        } catch (SQLException | KafkaException | FlywayException | IllegalStateException e) {
            long wait = seekBackoff.next();
            status.retrying("cannot resume the assigned partitions (PostgreSQL at " + Secrets.redact(config.database().jdbcUrl())
                    + "): " + e);
            LOG.warn("cannot resume the assigned partitions yet, retrying in {} ms: {}", wait, e.toString());
            nextSeekAttempt = System.nanoTime() + wait * 1_000_000;
        }
    }
}

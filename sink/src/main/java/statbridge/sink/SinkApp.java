package statbridge.sink;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import java.nio.charset.CharacterCodingException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.LocalDate;
import java.time.YearMonth;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetOutOfRangeException;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.flywaydb.core.api.FlywayException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import statbridge.catalog.CatalogEntry;
import statbridge.catalog.CatalogTopic;
import statbridge.catalog.TypeKey;
import statbridge.config.Secrets;
import statbridge.contract.RecordKeys;
import statbridge.contract.StatValidator;
import statbridge.deadletter.DeadLetter;
import statbridge.deadletter.Reasons;
import statbridge.registry.RegistryException;
import statbridge.registry.RegistryUnavailableException;
import statbridge.registry.SchemaRegistryClient;
import statbridge.registry.SchemaRegistryClients;
import statbridge.runtime.Component;
import statbridge.serde.AvroDeserializer;
import statbridge.serde.AvroWireFormatException;
import statbridge.sink.catalog.CatalogAuthority;
import statbridge.sink.catalog.CatalogDivergenceException;
import statbridge.sink.catalog.CatalogMirror;
import statbridge.sink.catalog.CatalogTable;
import statbridge.sink.db.Database;
import statbridge.sink.db.Partitions;
import statbridge.sink.deadletter.DeadLetterOutbox;
import statbridge.sink.deadletter.DeadLetterSender;
import statbridge.sink.dualwrite.DualWriteSwitch;
import statbridge.sink.dualwrite.GracePeriodWatch;
import statbridge.sink.offsets.OffsetRange;
import statbridge.sink.offsets.OffsetTable;
import statbridge.sink.writer.Batch;
import statbridge.sink.writer.BatchResult;
import statbridge.sink.writer.BatchWriter;
import statbridge.sink.writer.Fact;
import statbridge.sink.writer.FencedException;
import statbridge.sink.writer.LaneWriter;
import statbridge.sink.writer.StatisticsKeeper;
import statbridge.v2.BusinessStat;
import statbridge.v2.ModelStat;

/**
 * The sink: consumes {@code model-stats.v2} and {@code model-business-stats.v2} (read_committed),
 * and writes each batch in one PostgreSQL transaction together with the consumed offsets, which
 * it seeks to on partition assignment, so a crash changes nothing. Records it cannot write become
 * dead letters once each: recorded in the batch's transaction, sent after the commit (see
 * {@link DeadLetterSender}). While PostgreSQL, the registry or Kafka fails, it pauses
 * consumption, stays in its group and retries the same batch with backoff; which partitions are
 * paused follows from {@link PartitionStates} at every turn of the loop. A partition whose stored
 * offset fell below the log start stops until an operator accepts the loss.
 */
public final class SinkApp implements Component {

    /** Where the sink stands. */
    public enum State {
        STARTING, RUNNING, RETRYING, STOPPED, FAILED
    }

    private static final Logger LOG = LoggerFactory.getLogger(SinkApp.class);
    private static final Duration GRACE_CHECK_INTERVAL = Duration.ofSeconds(30);
    private static final Duration GRACE_WARN_INTERVAL = Duration.ofMinutes(10);
    private static final Duration KAFKA_TIMEOUT = Duration.ofSeconds(15);

    private final SinkConfig config;
    private final SinkMetrics metrics;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final CountDownLatch assigned = new CountDownLatch(1);
    private final Map<TopicPartition, Long> storedOffsets = new HashMap<>();
    private final List<ConsumerRecord<byte[], byte[]>> buffer = new ArrayList<>();
    private final RecordKeys keys = new RecordKeys();
    private final PartitionStates partitionStates = new PartitionStates();
    private volatile Map<String, String> stoppedPartitions = Map.of();
    private volatile boolean running;
    private volatile State state = State.STARTING;
    private volatile String stateDetail = "";
    private Database database;
    private Partitions partitions;
    private BatchWriter writer;
    private LaneWriter lanes;
    private DualWriteSwitch dualWrite;
    private StatisticsKeeper statistics;
    private SchemaRegistryClient registry;
    private AvroDeserializer<ModelStat> statReader;
    private AvroDeserializer<BusinessStat> businessReader;
    private StatValidator validator;
    private Thread loop;
    private KafkaConsumer<byte[], byte[]> consumer;
    private DeadLetterSender deadLetters;
    private CatalogMirror catalog;
    private GracePeriodWatch graceWatch;
    private long nextSeekAttempt;
    private long seekBackoff = 250;
    private boolean outboxToRecover;
    private boolean databasePrepared;
    private long lastCatalogCopy = System.nanoTime();
    private static final Duration CATALOG_COPY_INTERVAL = Duration.ofSeconds(1);

    public SinkApp(SinkConfig config, MeterRegistry meterRegistry) {
        this.config = config;
        this.metrics = new SinkMetrics(meterRegistry);
    }

    public SinkMetrics metrics() {
        return metrics;
    }

    public State state() {
        return state;
    }

    /** Why the sink is in its state, e.g. the error it is retrying. */
    public String stateDetail() {
        return stateDetail;
    }

    /**
     * Starts consuming in a thread of its own and returns at once. The sink joins its group even
     * while PostgreSQL is down; its partitions stay paused until the database is migrated and their
     * stored offsets are read.
     */
    @Override
    public synchronized void start() {
        running = true;
        database = Database.open(config.database(), "statbridge-sink");
        partitions = new Partitions(database.dataSource());
        writer = new BatchWriter(config.groupId());
        lanes = new LaneWriter(database.dataSource(), writer, config.writeLanes());
        dualWrite = new DualWriteSwitch(database.dataSource());
        statistics = new StatisticsKeeper(database.dataSource());
        registry = SchemaRegistryClients.create(config.registry());
        statReader = AvroDeserializer.forType(registry, ModelStat.class);
        businessReader = AvroDeserializer.forType(registry, BusinessStat.class);
        validator = new StatValidator(config.limits());
        graceWatch = GracePeriodWatch.start(dualWrite, new GracePeriodWatch.Listener() {
            @Override
            public void dualWrite(boolean on) {
                metrics.dualWrite(on);
            }

            @Override
            public void parity(statbridge.sink.dualwrite.ParityResult result) {
                metrics.parity(result);
            }

            @Override
            public void switchOffRefused() {
                metrics.graceSwitchRefused();
            }
        }, GRACE_CHECK_INTERVAL, GRACE_WARN_INTERVAL);
        LOG.info("starting the sink: group {}, {} and {} into PostgreSQL at {}, schemas from {}, dead letters to {}",
                config.groupId(), config.v2Topic(), config.businessTopic(), Secrets.redact(config.database().jdbcUrl()),
                Secrets.redact(String.valueOf(config.registry().get("schema.registry.url"))), config.dlqTopic());
        loop = new Thread(this::run, "statbridge-sink");
        loop.start();
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
        Map<String, String> stopped = stoppedPartitions;
        if (state == State.RUNNING && !stopped.isEmpty()) {
            return Health.down("RUNNING, but " + stopped.size() + " partition(s) stopped: " + stopped);
        }
        return state == State.RUNNING ? Health.up(state.name())
                : Health.down(state + (stateDetail.isEmpty() ? "" : ": " + stateDetail));
    }

    @Override
    public boolean failed() {
        return state == State.FAILED;
    }

    private void run() {
        Map<String, Object> consumerConfig = new HashMap<>(config.consumer());
        consumerConfig.put(ConsumerConfig.GROUP_ID_CONFIG, config.groupId());
        consumerConfig.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        consumerConfig.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        // Positions come from PostgreSQL; one that falls below the log start must stop, never jump.
        consumerConfig.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none");
        consumerConfig.putIfAbsent(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, config.batchMaxRecords());
        // Small slices per partition make each batch span several partitions, so the write lanes share it
        // (with 1 MB slices a batch of a lagging sink mostly holds one partition, and one lane does all the work).
        consumerConfig.putIfAbsent(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 65_536);
        consumerConfig.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        consumerConfig.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        try (CatalogMirror catalog = new CatalogMirror(config.kafka(), config.catalogTopic());
                DeadLetterSender sender = new DeadLetterSender(config.kafka(), config.dlqTopic(), config.groupId(),
                        database.dataSource());
                KafkaConsumer<byte[], byte[]> kafka = new KafkaConsumer<>(consumerConfig);
                KafkaClientMetrics clientMetrics = new KafkaClientMetrics(kafka)) {
            consumer = kafka;
            deadLetters = sender;
            this.catalog = catalog;
            clientMetrics.bindTo(metrics.registry());
            // The database may be down: the catalog table is brought up to date with the first batch or idle turn.
            retryUntilDone("read the metric catalog", () -> {
                catalog.start();
                return null;
            });
            kafka.subscribe(List.of(config.v2Topic(), config.businessTopic()), new Rebalance());
            long batchStarted = -1;
            while (running) {
                settlePartitions();
                applyPauses(false);
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
                    flush(catalog);
                    batchStarted = buffer.isEmpty() ? -1 : batchStarted;
                }
                if (buffer.isEmpty() && System.nanoTime() - lastCatalogCopy > CATALOG_COPY_INTERVAL.toNanos()) {
                    // Nothing to write: keep the catalog table current anyway, so analysts and tools see new entries.
                    lastCatalogCopy = System.nanoTime();
                    catalog.poll();
                    try {
                        copyCatalog(catalog);
                    } catch (SQLException e) {
                        LOG.debug("cannot copy the catalog now: {}", e.toString());
                    }
                }
            }
            state = State.STOPPED;
        } catch (RuntimeException | Error e) {
            // An Error too: a loop thread that died must not leave a process that looks alive and writes nothing.
            state = State.FAILED;
            stateDetail = e.toString();
            LOG.error("the sink stopped on an unexpected error", e);
        } finally {
            consumer = null;
            deadLetters = null;
            stopped.countDown();
        }
    }

    /**
     * Pauses what {@link PartitionStates} says must not be consumed now and resumes everything
     * else, whatever was paused before.
     */
    private void applyPauses(boolean retrying) {
        Set<TopicPartition> assignment = consumer.assignment();
        Set<TopicPartition> pause = partitionStates.toPause(retrying);
        pause.retainAll(assignment);
        Set<TopicPartition> resume = new HashSet<>(consumer.paused());
        resume.removeAll(pause);
        resume.retainAll(assignment);
        if (!resume.isEmpty()) {
            consumer.resume(resume);
        }
        pause.removeAll(consumer.paused());
        if (!pause.isEmpty()) {
            consumer.pause(pause);
        }
    }

    /** Migrates the database (if configured), creates this season's partitions and records the grace period. */
    private void prepareDatabase() throws SQLException {
        if (config.migrateOnStart()) {
            int applied = database.migrate();
            if (applied > 0) {
                LOG.info("applied {} database migration(s)", applied);
            }
        }
        YearMonth now = YearMonth.now();
        partitions.ensureRange(now.minusMonths(1), now.plusMonths(config.partitionsAheadMonths()));
        if (config.gracePeriodEnd() != null) {
            dualWrite.configureGracePeriod(config.gracePeriodEnd(), config.graceAction(), "sink configuration");
        }
        reconcileCatalog();
        databasePrepared = true;
    }

    /**
     * The catalog topic must be compacted and agree with the table; what the table has and the
     * topic lost goes back to the topic. A disagreement stops the sink: writing on would rebuild
     * legacy rows under the wrong names.
     */
    private void reconcileCatalog() throws SQLException {
        List<CatalogEntry> restored = CatalogAuthority.reconcile(new CatalogTopic(config.kafka(), config.catalogTopic()),
                config.catalogTopic(), database.dataSource(), "the sink");
        if (!restored.isEmpty()) {
            catalog.catchUp();
            LOG.warn("the catalog topic '{}' lacked {} entr(y/ies) that ml_monitoring.metric_catalog holds (was it deleted?); "
                    + "published them again: {}", config.catalogTopic(), restored.size(),
                    restored.stream().map(CatalogEntry::metricName).toList());
        }
    }

    /**
     * Seeks partitions waiting for their stored offsets, and sends dead letters an earlier owner
     * recorded but may not have sent; while PostgreSQL or Kafka fails, tries again with backoff
     * without holding up the loop (which keeps polling, so the group membership holds).
     */
    private void settlePartitions() {
        Set<TopicPartition> seeking = partitionStates.seeking();
        if ((seeking.isEmpty() && !outboxToRecover && databasePrepared) || System.nanoTime() < nextSeekAttempt) {
            return;
        }
        try {
            if (!databasePrepared) {
                prepareDatabase();
            }
            if (!seeking.isEmpty()) {
                seekToStored(seeking);
            }
            if (outboxToRecover) {
                deadLetters.recover(consumer.assignment());
                outboxToRecover = false;
            }
            seekBackoff = 250;
            if (state == State.STARTING || (state == State.RETRYING && buffer.isEmpty())) {
                if (state == State.RETRYING) {
                    LOG.info("consuming again after the failure: {}", stateDetail);
                }
                state = State.RUNNING;
                stateDetail = "";
            }
        } catch (CatalogDivergenceException e) {
            throw e;
        } catch (SQLException | KafkaException | FlywayException | IllegalStateException e) {
            metrics.retried();
            state = State.RETRYING;
            stateDetail = "cannot resume the assigned partitions (PostgreSQL at " + Secrets.redact(config.database().jdbcUrl()) + "): " + e;
            LOG.warn("cannot resume the assigned partitions yet, retrying in {} ms: {}", seekBackoff, e.toString());
            nextSeekAttempt = System.nanoTime() + seekBackoff * 1_000_000;
            seekBackoff = Math.min(seekBackoff * 2, config.retryMaxBackoffMs());
        }
    }

    /** Copies catalog entries the database does not have yet into ml_monitoring.metric_catalog. */
    private void copyCatalog(CatalogMirror catalog) throws SQLException {
        List<CatalogEntry> pending = catalog.pendingForDatabase();
        if (pending.isEmpty()) {
            return;
        }
        try (Connection connection = database.dataSource().getConnection()) {
            CatalogTable.insert(connection, pending);
            connection.commit();
        }
        catalog.persisted(pending);
    }

    /**
     * Writes the buffer as one batch (in side-by-side lanes, see {@link LaneWriter}), retrying what
     * was not written with backoff until it is written or the sink stops; then sends the dead
     * letters of what was written.
     */
    private void flush(CatalogMirror catalog) {
        long backoff = 250;
        while (running && !buffer.isEmpty()) {
            long started = System.nanoTime();
            try {
                catalog.poll();
                Prepared prepared = prepare(catalog);
                long decoded = System.nanoTime();
                partitions.ensureFor(prepared.dates());
                Batch batch = new Batch(prepared.facts(), catalog.pendingForDatabase(), prepared.offsets(),
                        prepared.deadLetters().stream().map(DeadLetterRecord::entry).toList());
                long prepared2 = System.nanoTime();
                List<LaneWriter.Outcome> outcomes = lanes.write(batch);
                int records = buffer.size();
                Exception failure = written(catalog, outcomes, prepared, started);
                if (LOG.isDebugEnabled()) {
                    LOG.debug("batch of {} record(s): decode {} ms, partitions {} ms, transaction {} ms; "
                            + "lanes {}", records,
                            (decoded - started) / 1_000_000, (prepared2 - decoded) / 1_000_000,
                            (System.nanoTime() - prepared2) / 1_000_000,
                            outcomes.stream().map(o -> o.result() != null ? o.result().toString() : "failed").toList());
                }
                if (failure instanceof SQLException e) {
                    throw e;
                } else if (failure != null) {
                    throw (RuntimeException) failure;
                }
                if (state == State.RETRYING) {
                    LOG.info("writing again after the failure: {}", stateDetail);
                }
                state = State.RUNNING;
                stateDetail = "";
                return;
            } catch (FencedException e) {
                LOG.warn("{}; dropping the batch and re-reading the stored offsets", e.getMessage());
                buffer.clear();
                partitionStates.reseek(consumer.assignment());
                nextSeekAttempt = 0;
                return;
            } catch (SQLException | RegistryUnavailableException | KafkaException | IllegalStateException e) {
                // A partition may have been dropped (purge-legacy) since it was last seen: check again next time.
                partitions.forget();
                metrics.retried();
                if (state != State.RETRYING) {
                    LOG.warn("cannot write a batch of {} record(s), retrying with backoff: {}", buffer.size(), e.toString());
                }
                state = State.RETRYING;
                stateDetail = e instanceof SQLException ? "cannot write to PostgreSQL at "
                        + Secrets.redact(config.database().jdbcUrl()) + ": " + e : e.toString();
                applyPauses(true);
                pollFor(backoff);
                backoff = Math.min(backoff * 2, config.retryMaxBackoffMs());
            }
        }
    }

    /**
     * Books the lanes that committed (stored offsets, consumer commit, metrics) and drops their
     * records from the buffer; returns the first lane's failure, or null when all committed.
     */
    private Exception written(CatalogMirror catalog, List<LaneWriter.Outcome> outcomes, Prepared prepared, long started) {
        Exception failure = null;
        Set<TopicPartition> done = new HashSet<>();
        Map<TopicPartition, OffsetAndMetadata> commit = new HashMap<>();
        for (LaneWriter.Outcome outcome : outcomes) {
            if (outcome.failure() != null) {
                failure = failure == null ? outcome.failure() : failure;
                continue;
            }
            BatchResult result = outcome.result();
            catalog.persisted(outcome.lane().newCatalogEntries());
            statistics.written(result.total());
            metrics.batch(result, Duration.ofNanos(System.nanoTime() - started));
            outcome.lane().offsets().forEach((partition, range) -> {
                storedOffsets.put(partition, range.next());
                commit.put(partition, new OffsetAndMetadata(range.next()));
                done.add(partition);
            });
        }
        List<DeadLetterSender.Letter> letters = new ArrayList<>();
        for (DeadLetterRecord dead : prepared.deadLetters()) {
            if (done.contains(new TopicPartition(dead.record().topic(), dead.record().partition()))) {
                metrics.deadLettered(dead.reason());
                letters.add(new DeadLetterSender.Letter(dead.record(), dead.entry()));
            }
        }
        buffer.removeIf(record -> done.contains(new TopicPartition(record.topic(), record.partition())));
        if (!commit.isEmpty()) {
            consumer.commitAsync(commit, null);
        }
        try {
            deadLetters.send(letters);
        } catch (SQLException | KafkaException e) {
            // Committed with the batch: the outbox keeps them until they are sent.
            LOG.warn("cannot send {} dead letter(s) now; they stay in the outbox and are sent when Kafka answers: {}",
                    letters.size(), e.toString());
            outboxToRecover = true;
            nextSeekAttempt = System.nanoTime() + seekBackoff * 1_000_000;
        }
        return failure;
    }

    private record DeadLetterRecord(ConsumerRecord<byte[], byte[]> record, String reason, String message) {
        DeadLetterOutbox.Entry entry() {
            return new DeadLetterOutbox.Entry(record.topic(), record.partition(), record.offset(), reason,
                    message.length() > DeadLetter.MAX_MESSAGE_LENGTH ? message.substring(0, DeadLetter.MAX_MESSAGE_LENGTH) + "..."
                            : message);
        }
    }

    private record Prepared(List<Fact> facts, List<DeadLetterRecord> deadLetters, Map<TopicPartition, OffsetRange> offsets,
            Set<LocalDate> dates) {
    }

    private Prepared prepare(CatalogMirror catalog) {
        List<Fact> facts = new ArrayList<>();
        List<DeadLetterRecord> dead = new ArrayList<>();
        List<ConsumerRecord<byte[], byte[]>> unmapped = new ArrayList<>();
        Map<ConsumerRecord<byte[], byte[]>, Fact> candidates = new LinkedHashMap<>();
        Map<TopicPartition, OffsetRange> offsets = new HashMap<>();
        Set<LocalDate> dates = new HashSet<>();
        for (ConsumerRecord<byte[], byte[]> record : buffer) {
            TopicPartition partition = new TopicPartition(record.topic(), record.partition());
            offsets.merge(partition, new OffsetRange(storedOffsets.getOrDefault(partition, -1L), record.offset() + 1),
                    (a, b) -> new OffsetRange(a.expected(), Math.max(a.next(), b.next())));
            DeadLetterRecord deadLetter = decode(record, candidates);
            if (deadLetter != null) {
                dead.add(deadLetter);
            }
        }
        for (Map.Entry<ConsumerRecord<byte[], byte[]>, Fact> candidate : candidates.entrySet()) {
            Fact fact = candidate.getValue();
            if (catalog.catalog().byTypeKey(new TypeKey(fact.metricType(), fact.metricKey())).isEmpty()) {
                unmapped.add(candidate.getKey());
            }
        }
        if (!unmapped.isEmpty()) {
            // The catalog record may be on its way: the pipeline writes it in the same transaction as the event.
            catalog.catchUp();
        }
        Set<ConsumerRecord<byte[], byte[]>> stillUnmapped = new HashSet<>();
        for (ConsumerRecord<byte[], byte[]> record : unmapped) {
            Fact fact = candidates.get(record);
            if (catalog.catalog().byTypeKey(new TypeKey(fact.metricType(), fact.metricKey())).isEmpty()) {
                stillUnmapped.add(record);
                dead.add(new DeadLetterRecord(record, Reasons.UNMAPPED_METRIC_KEY, "(" + fact.metricType() + ", "
                        + fact.metricKey() + ") is not in the metric catalog, so its legacy metric_name is unknown; add it "
                        + "('statbridge catalog add') and replay"));
            }
        }
        for (Map.Entry<ConsumerRecord<byte[], byte[]>, Fact> candidate : candidates.entrySet()) {
            if (!stillUnmapped.contains(candidate.getKey())) {
                facts.add(candidate.getValue());
                dates.add(candidate.getValue().statDate());
            }
        }
        return new Prepared(facts, dead, offsets, dates);
    }

    /** Decodes one record into {@code candidates}; returns the dead letter it becomes, or null. */
    private DeadLetterRecord decode(ConsumerRecord<byte[], byte[]> record, Map<ConsumerRecord<byte[], byte[]>, Fact> candidates) {
        String key;
        try {
            key = keys.decode(record.key());
        } catch (CharacterCodingException e) {
            return new DeadLetterRecord(record, Reasons.KEY_MISMATCH, "the record key is not valid UTF-8");
        }
        if (record.value() == null) {
            return new DeadLetterRecord(record, Reasons.INVALID_FIELD, "the record has no value (a tombstone)");
        }
        boolean isStat = record.topic().equals(config.v2Topic());
        try {
            Optional<StatValidator.Violation> violation;
            Fact fact;
            if (isStat) {
                ModelStat stat = statReader.deserialize(record.topic(), record.value());
                violation = validator.validate(key, stat);
                fact = new Fact(Fact.Kind.STAT, stat.getModelName(), stat.getModelVersion(), stat.getStatDate(),
                        stat.getSliceKey(), stat.getMetricType(), stat.getMetricKey(), stat.getMetricValue(),
                        record.timestamp(), record.topic(), record.partition(), record.offset());
            } else {
                BusinessStat stat = businessReader.deserialize(record.topic(), record.value());
                violation = validator.validate(key, stat);
                fact = new Fact(Fact.Kind.BUSINESS, stat.getModelName(), stat.getModelVersion(), stat.getStatDate(),
                        stat.getSliceKey(), stat.getMetricType(), stat.getMetricKey(), stat.getBusinessMetricValue(),
                        record.timestamp(), record.topic(), record.partition(), record.offset());
            }
            if (violation.isPresent()) {
                return new DeadLetterRecord(record, violation.get().reason(), violation.get().message());
            }
            candidates.put(record, fact);
            return null;
        } catch (AvroWireFormatException e) {
            return new DeadLetterRecord(record, e.problem().reason(), e.getMessage());
        } catch (RegistryException | KafkaException e) {
            throw e; // the registry or Kafka failed, not the record: the batch is retried
        } catch (RuntimeException e) {
            LOG.error("dead-lettering {}-{}@{}: decoding it failed unexpectedly", record.topic(), record.partition(), record.offset(), e);
            return new DeadLetterRecord(record, Reasons.PROCESSING_ERROR, e.toString());
        }
    }

    /** Polls (paused, so nothing arrives but rebalances) for about {@code millis}, keeping the group membership. */
    private void pollFor(long millis) {
        long until = System.nanoTime() + millis * 1_000_000;
        while (running && System.nanoTime() < until) {
            try {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(Math.min(100, millis)))) {
                    buffer.add(record);
                }
            } catch (WakeupException e) {
                return;
            }
        }
    }

    /**
     * Seeks partitions to the offsets stored in PostgreSQL (the beginning when none). A stored
     * offset below the partition's log start means retention deleted records the sink never wrote:
     * that partition stops, unless an operator accepted the loss for it.
     */
    private void seekToStored(Collection<TopicPartition> partitionsToSeek) throws SQLException {
        Map<TopicPartition, Long> stored = readOffsets(partitionsToSeek);
        Map<TopicPartition, Long> logStart = consumer.beginningOffsets(partitionsToSeek, KAFKA_TIMEOUT);
        List<TopicPartition> fromBeginning = new ArrayList<>();
        for (TopicPartition partition : partitionsToSeek) {
            Long next = stored.get(partition);
            long start = logStart.getOrDefault(partition, 0L);
            storedOffsets.put(partition, next == null ? -1L : next);
            if (next == null) {
                fromBeginning.add(partition);
            } else if (next < start) {
                if (!acceptLoss(partition, next, start)) {
                    continue;
                }
                consumer.seek(partition, start);
            } else {
                consumer.seek(partition, next);
            }
            partitionStates.consuming(partition);
        }
        if (!fromBeginning.isEmpty()) {
            consumer.seekToBeginning(fromBeginning);
        }
        publishStopped();
        if (partitionStates.anyConsuming()) {
            assigned.countDown();
        }
        LOG.info("assigned {} partition(s); resuming from the offsets stored with the rows: {}", partitionsToSeek.size(), stored);
    }

    /**
     * Decides for a partition whose next offset {@code next} is below the log start: continue from
     * {@code start} when an operator accepted the loss for it (returns true), else stop it.
     */
    private boolean acceptLoss(TopicPartition partition, long next, long start) {
        String loss = "the offset stored with the rows is " + next + " but the log starts at " + start + ": retention deleted "
                + (start - Math.max(next, 0)) + " record(s) the sink never wrote";
        if (config.acceptDataLoss().contains("all") || config.acceptDataLoss().contains(partition.toString())) {
            LOG.warn("{}: {}; continuing from {} as sink.accept.data.loss allows", partition, loss, start);
            metrics.offsetsSkipped(start - Math.max(next, 0));
            return true;
        }
        LOG.error("{} stopped: {}. Nothing more is read from it until an operator accepts the loss: restart with "
                + "'statbridge sink --accept-data-loss {}' (or sink.accept.data.loss={}), after recovering those records "
                + "elsewhere if they matter.", partition, loss, partition, partition);
        partitionStates.stopped(partition, loss);
        return false;
    }

    private void publishStopped() {
        stoppedPartitions = Map.copyOf(partitionStates.stopped());
        metrics.partitionsStopped(stoppedPartitions.size());
    }

    private Map<TopicPartition, Long> readOffsets(Collection<TopicPartition> partitionsToRead) throws SQLException {
        try (Connection connection = database.dataSource().getConnection()) {
            Map<TopicPartition, Long> stored = new OffsetTable(config.groupId()).read(connection, partitionsToRead);
            connection.rollback();
            return stored;
        }
    }

    private final class Rebalance implements ConsumerRebalanceListener {
        private boolean partitionCountsChecked;

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> revoked) {
            // Records not yet written belong to the next owner, who starts from the stored offsets.
            buffer.removeIf(r -> revoked.contains(new TopicPartition(r.topic(), r.partition())));
            revoked.forEach(storedOffsets::remove);
            partitionStates.revoked(revoked);
            publishStopped();
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> newlyAssigned) {
            // Nothing blocks here: the loop seeks them (PostgreSQL may be down), and until then they stay paused.
            partitionStates.assigned(newlyAssigned);
            consumer.pause(newlyAssigned);
            // A position for the consumer to hold meanwhile (with no reset policy it would refuse to poll);
            // nothing is fetched from a paused partition, and the stored offset replaces it before it resumes.
            consumer.seekToBeginning(newlyAssigned);
            nextSeekAttempt = 0;
            outboxToRecover = outboxToRecover || !newlyAssigned.isEmpty();
            if (!newlyAssigned.isEmpty()) {
                lockByKey();
            }
        }

        /**
         * A stat and its KPI meet in one legacy row; its lock is chosen by key among the stats
         * topic's partitions (see {@link BatchWriter#lockBuckets}), read again at every assignment
         * since partitions may have been added.
         */
        private void lockByKey() {
            try {
                int stats = consumer.partitionsFor(config.v2Topic()).size();
                int business = consumer.partitionsFor(config.businessTopic()).size();
                writer.lockBuckets(stats);
                if (stats != business && !partitionCountsChecked) {
                    LOG.info("{} has {} partitions and {} has {}: a stat and its KPI may arrive in different partition numbers, "
                            + "so sink instances may wait for each other's legacy-row locks now and then (rows stay exact). "
                            + "Give both topics the same number of partitions to avoid it.",
                            config.v2Topic(), stats, config.businessTopic(), business);
                }
                partitionCountsChecked = true;
            } catch (RuntimeException e) {
                LOG.warn("cannot read the partition counts of the input topics: {}", e.toString());
            }
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> lost) {
            onPartitionsRevoked(lost);
        }
    }

    @FunctionalInterface
    private interface Attempt<T> {
        T run() throws Exception;
    }

    /** Runs {@code attempt} until it succeeds or the sink stops, with backoff; returns null if stopped. */
    private <T> T retryUntilDone(String what, Attempt<T> attempt) {
        long backoff = 250;
        while (true) {
            try {
                return attempt.run();
            } catch (CatalogDivergenceException e) {
                throw e;
            } catch (Exception e) {
                if (!running) {
                    return null;
                }
                metrics.retried();
                state = State.RETRYING;
                stateDetail = "cannot " + what + ": " + e;
                LOG.warn("cannot {} yet, retrying in {} ms: {}", what, backoff, e.toString());
                try {
                    Thread.sleep(backoff);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    return null;
                }
                backoff = Math.min(backoff * 2, config.retryMaxBackoffMs());
            }
        }
    }

    @Override
    public void close() {
        running = false;
        if (graceWatch != null) {
            graceWatch.close();
        }
        KafkaConsumer<byte[], byte[]> current = consumer;
        if (current != null) {
            current.wakeup();
        }
        if (loop != null) {
            try {
                loop.join(Duration.ofSeconds(30).toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (registry != null) {
            registry.close();
        }
        if (lanes != null) {
            lanes.close();
        }
        if (statistics != null) {
            statistics.close();
        }
        if (database != null) {
            database.close();
        }
        state = state == State.FAILED ? State.FAILED : State.STOPPED;
        stopped.countDown();
    }
}

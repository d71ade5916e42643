package statbridge.sink;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import java.nio.charset.CharacterCodingException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
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
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import statbridge.catalog.TypeKey;
import statbridge.contract.RecordKeys;
import statbridge.contract.StatValidator;
import statbridge.deadletter.DeadLetter;
import statbridge.deadletter.Reasons;
import statbridge.registry.RegistryUnavailableException;
import statbridge.registry.SchemaRegistryClient;
import statbridge.registry.SchemaRegistryClients;
import statbridge.runtime.Component;
import statbridge.serde.AvroDeserializer;
import statbridge.serde.AvroWireFormatException;
import statbridge.sink.catalog.CatalogMirror;
import statbridge.sink.db.Database;
import statbridge.sink.dualwrite.DualWriteStatus;
import statbridge.sink.dualwrite.DualWriteSwitch;
import statbridge.sink.dualwrite.GraceAction;
import statbridge.sink.dualwrite.ParityMismatchException;
import statbridge.sink.writer.Batch;
import statbridge.sink.writer.BatchResult;
import statbridge.sink.writer.BatchWriter;
import statbridge.sink.writer.Fact;
import statbridge.sink.writer.FencedException;
import statbridge.sink.writer.LaneWriter;
import statbridge.sink.writer.Partitions;
import statbridge.sink.writer.StatisticsKeeper;
import statbridge.v2.BusinessStat;
import statbridge.v2.ModelStat;

/**
 * The sink: consumes {@code model-stats.v2} and {@code model-business-stats.v2} (read_committed),
 * and writes each batch in one PostgreSQL transaction together with the consumed offsets, which
 * it seeks to on partition assignment, so a crash changes nothing. Records it cannot write go to
 * the dead-letter topic (at least once: a crash between the two may repeat a dead letter, which
 * carries its source coordinates). While PostgreSQL, the registry or Kafka fails, it pauses
 * consumption, stays in its group and retries the same batch with backoff.
 */
public final class SinkApp implements Component {

    /** Where the sink stands. */
    public enum State {
        STARTING, RUNNING, RETRYING, STOPPED, FAILED
    }

    private static final Logger LOG = LoggerFactory.getLogger(SinkApp.class);
    private static final Duration GRACE_CHECK_INTERVAL = Duration.ofSeconds(30);
    private static final Duration GRACE_WARN_INTERVAL = Duration.ofMinutes(10);
    private static final String READ_OFFSETS = """
            SELECT topic, partition, next_offset FROM ml_monitoring.sink_offsets
            WHERE consumer_group = ? AND topic = ANY(?::text[])
            """;

    private final SinkConfig config;
    private final SinkMetrics metrics;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final CountDownLatch assigned = new CountDownLatch(1);
    private final Map<TopicPartition, Long> storedOffsets = new HashMap<>();
    private final List<ConsumerRecord<byte[], byte[]>> buffer = new ArrayList<>();
    private final RecordKeys keys = new RecordKeys();
    private volatile boolean running;
    private volatile State state = State.STARTING;
    private volatile String stateDetail = "";
    private Database database;
    private Partitions partitions;
    private LaneWriter lanes;
    private DualWriteSwitch dualWrite;
    private StatisticsKeeper statistics;
    private SchemaRegistryClient registry;
    private AvroDeserializer<ModelStat> statReader;
    private AvroDeserializer<BusinessStat> businessReader;
    private StatValidator validator;
    private Thread loop;
    private KafkaConsumer<byte[], byte[]> consumer;
    private Instant lastGraceCheck = Instant.EPOCH;
    private Instant lastGraceWarning = Instant.EPOCH;
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

    /** Opens the database (migrating it if configured), then starts consuming in a thread of its own. */
    @Override
    public synchronized void start() {
        running = true;
        database = Database.open(config.database(), "statbridge-sink");
        partitions = new Partitions(database.dataSource());
        lanes = new LaneWriter(database.dataSource(), new BatchWriter(config.groupId()), config.writeLanes());
        dualWrite = new DualWriteSwitch(database.dataSource());
        statistics = new StatisticsKeeper(database.dataSource());
        retryUntilDone("prepare the database", () -> {
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
            return null;
        });
        registry = SchemaRegistryClients.create(config.registry());
        statReader = AvroDeserializer.forType(registry, ModelStat.class);
        businessReader = AvroDeserializer.forType(registry, BusinessStat.class);
        validator = new StatValidator(config.limits());
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
        consumerConfig.putIfAbsent(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        consumerConfig.putIfAbsent(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, config.batchMaxRecords());
        // Small slices per partition make each batch span several partitions, so the write lanes share it
        // (with 1 MB slices a batch of a lagging sink mostly holds one partition, and one lane does all the work).
        consumerConfig.putIfAbsent(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 65_536);
        consumerConfig.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        consumerConfig.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        Map<String, Object> producerConfig = new HashMap<>(config.kafka());
        producerConfig.put(ProducerConfig.ACKS_CONFIG, "all");
        producerConfig.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        producerConfig.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        producerConfig.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        try (CatalogMirror catalog = new CatalogMirror(config.kafka(), config.catalogTopic());
                KafkaProducer<byte[], byte[]> deadLetters = new KafkaProducer<>(producerConfig);
                KafkaConsumer<byte[], byte[]> kafka = new KafkaConsumer<>(consumerConfig);
                KafkaClientMetrics clientMetrics = new KafkaClientMetrics(kafka)) {
            consumer = kafka;
            clientMetrics.bindTo(metrics.registry());
            retryUntilDone("read the metric catalog", () -> {
                catalog.start();
                copyCatalog(catalog);
                return null;
            });
            kafka.subscribe(List.of(config.v2Topic(), config.businessTopic()), new Rebalance());
            state = State.RUNNING;
            long batchStarted = -1;
            while (running) {
                try {
                    for (ConsumerRecord<byte[], byte[]> record : kafka.poll(Duration.ofMillis(Math.min(100, config.batchMaxWaitMs())))) {
                        buffer.add(record);
                    }
                } catch (WakeupException e) {
                    if (running) {
                        throw e;
                    }
                    break;
                }
                if (!buffer.isEmpty() && batchStarted < 0) {
                    batchStarted = System.nanoTime();
                }
                boolean full = buffer.size() >= config.batchMaxRecords();
                boolean due = batchStarted >= 0 && System.nanoTime() - batchStarted >= config.batchMaxWaitMs() * 1_000_000;
                if (full || due) {
                    flush(catalog, deadLetters);
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
                checkGracePeriod();
            }
            state = State.STOPPED;
        } catch (RuntimeException e) {
            state = State.FAILED;
            stateDetail = e.toString();
            LOG.error("the sink stopped on an unexpected error", e);
        } finally {
            consumer = null;
            stopped.countDown();
        }
    }

    /** Copies catalog entries the database does not have yet into ml_monitoring.metric_catalog. */
    private void copyCatalog(CatalogMirror catalog) throws SQLException {
        List<statbridge.catalog.CatalogEntry> pending = catalog.pendingForDatabase();
        if (pending.isEmpty()) {
            return;
        }
        try (Connection connection = database.dataSource().getConnection()) {
            statbridge.sink.catalog.CatalogTable.insert(connection, pending);
            connection.commit();
        }
        catalog.persisted(pending);
    }

    /**
     * Writes the buffer as one batch (in side-by-side lanes, see {@link LaneWriter}), retrying what
     * was not written with backoff until it is written or the sink stops.
     */
    private void flush(CatalogMirror catalog, KafkaProducer<byte[], byte[]> deadLetters) {
        long backoff = 250;
        while (running && !buffer.isEmpty()) {
            long started = System.nanoTime();
            try {
                catalog.poll();
                Prepared prepared = prepare(catalog);
                long decoded = System.nanoTime();
                sendDeadLetters(deadLetters, prepared.deadLetters());
                partitions.ensureFor(prepared.dates());
                Batch batch = new Batch(prepared.facts(), catalog.pendingForDatabase(), prepared.offsets());
                long prepared2 = System.nanoTime();
                List<LaneWriter.Outcome> outcomes = lanes.write(batch);
                int records = buffer.size();
                Exception failure = written(catalog, outcomes, prepared, started);
                if (LOG.isDebugEnabled()) {
                    LOG.debug("batch of {} record(s): decode {} ms, dead letters and partitions {} ms, transaction {} ms; "
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
                buffer.clear();
                if (state == State.RETRYING) {
                    LOG.info("writing again after the failure: {}", stateDetail);
                    consumer.resume(consumer.assignment());
                }
                state = State.RUNNING;
                stateDetail = "";
                return;
            } catch (FencedException e) {
                LOG.warn("{}; dropping the batch and re-reading the stored offsets", e.getMessage());
                buffer.clear();
                seekToStored(consumer.assignment());
                return;
            } catch (SQLException | RegistryUnavailableException | KafkaException | IllegalStateException e) {
                // A partition may have been dropped (purge-legacy) since it was last seen: check again next time.
                partitions.forget();
                metrics.retried();
                if (state != State.RETRYING) {
                    LOG.warn("cannot write a batch of {} record(s), retrying with backoff: {}", buffer.size(), e.toString());
                }
                state = State.RETRYING;
                stateDetail = e.toString();
                consumer.pause(consumer.assignment());
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
        for (DeadLetterRecord dead : prepared.deadLetters()) {
            if (done.contains(new TopicPartition(dead.record().topic(), dead.record().partition()))) {
                metrics.deadLettered(dead.reason());
            }
        }
        buffer.removeIf(record -> done.contains(new TopicPartition(record.topic(), record.partition())));
        if (!commit.isEmpty()) {
            consumer.commitAsync(commit, null);
        }
        return failure;
    }

    private record DeadLetterRecord(ConsumerRecord<byte[], byte[]> record, String reason, String message) {
    }

    private record Prepared(List<Fact> facts, List<DeadLetterRecord> deadLetters, Map<TopicPartition, Batch.Offsets> offsets,
            Set<LocalDate> dates) {
    }

    private Prepared prepare(CatalogMirror catalog) {
        List<Fact> facts = new ArrayList<>();
        List<DeadLetterRecord> dead = new ArrayList<>();
        List<ConsumerRecord<byte[], byte[]>> unmapped = new ArrayList<>();
        Map<ConsumerRecord<byte[], byte[]>, Fact> candidates = new LinkedHashMap<>();
        Map<TopicPartition, Batch.Offsets> offsets = new HashMap<>();
        Set<LocalDate> dates = new HashSet<>();
        for (ConsumerRecord<byte[], byte[]> record : buffer) {
            TopicPartition partition = new TopicPartition(record.topic(), record.partition());
            offsets.merge(partition, new Batch.Offsets(storedOffsets.getOrDefault(partition, -1L), record.offset() + 1),
                    (a, b) -> new Batch.Offsets(a.expected(), Math.max(a.next(), b.next())));
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
        }
    }

    private void sendDeadLetters(KafkaProducer<byte[], byte[]> producer, List<DeadLetterRecord> deadLetters) {
        if (deadLetters.isEmpty()) {
            return;
        }
        List<Future<RecordMetadata>> sends = new ArrayList<>();
        for (DeadLetterRecord dead : deadLetters) {
            ConsumerRecord<byte[], byte[]> record = dead.record();
            sends.add(producer.send(new ProducerRecord<>(config.dlqTopic(), null, record.timestamp(), record.key(),
                    record.value(), DeadLetter.headers(record.headers(), "sink", dead.reason(), dead.message(),
                            record.topic(), record.partition(), record.offset()))));
        }
        producer.flush();
        for (Future<RecordMetadata> send : sends) {
            try {
                send.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new KafkaException("interrupted while sending dead letters", e);
            } catch (java.util.concurrent.ExecutionException e) {
                throw new KafkaException("cannot send dead letters: " + e.getCause().getMessage(), e.getCause());
            }
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

    private void checkGracePeriod() {
        Instant now = Instant.now();
        if (Duration.between(lastGraceCheck, now).compareTo(GRACE_CHECK_INTERVAL) < 0) {
            return;
        }
        lastGraceCheck = now;
        try {
            DualWriteStatus status = dualWrite.status(0);
            metrics.dualWrite(status.on());
            status.lastParity().ifPresent(metrics::parity);
            if (!status.on() || status.gracePeriodEnd() == null || now.isBefore(status.gracePeriodEnd())) {
                return;
            }
            if (status.onGraceEnd() == GraceAction.SWITCH_OFF) {
                try {
                    dualWrite.off("sink (grace period ended)", "the grace period ended at " + status.gracePeriodEnd(), false);
                    metrics.dualWrite(false);
                } catch (ParityMismatchException e) {
                    warnGrace(now, "the grace period ended at " + status.gracePeriodEnd() + " but dual-write stays on: "
                            + e.getMessage());
                }
            } else {
                warnGrace(now, "the dual-write grace period ended at " + status.gracePeriodEnd()
                        + "; the legacy table is still written. Switch it off with 'statbridge dual-write off' when ready.");
            }
        } catch (SQLException e) {
            LOG.debug("cannot check the grace period now: {}", e.toString());
        }
    }

    private void warnGrace(Instant now, String message) {
        if (Duration.between(lastGraceWarning, now).compareTo(GRACE_WARN_INTERVAL) >= 0) {
            LOG.warn(message);
            lastGraceWarning = now;
        }
    }

    /** Seeks partitions to the offsets stored in PostgreSQL (the beginning when none), retrying while it is down. */
    private void seekToStored(Collection<TopicPartition> partitionsToSeek) {
        if (partitionsToSeek.isEmpty()) {
            return;
        }
        Map<TopicPartition, Long> stored = retryUntilDone("read the stored offsets", () -> readOffsets(partitionsToSeek));
        if (stored == null) {
            return;
        }
        List<TopicPartition> fromBeginning = new ArrayList<>();
        for (TopicPartition partition : partitionsToSeek) {
            Long next = stored.get(partition);
            if (next == null) {
                fromBeginning.add(partition);
                storedOffsets.put(partition, -1L);
            } else {
                consumer.seek(partition, next);
                storedOffsets.put(partition, next);
            }
        }
        if (!fromBeginning.isEmpty()) {
            consumer.seekToBeginning(fromBeginning);
        }
        LOG.info("assigned {} partition(s); resuming from the offsets stored with the rows: {}", partitionsToSeek.size(), stored);
    }

    private Map<TopicPartition, Long> readOffsets(Collection<TopicPartition> partitionsToRead) throws SQLException {
        Map<TopicPartition, Long> stored = new HashMap<>();
        try (Connection connection = database.dataSource().getConnection();
                PreparedStatement query = connection.prepareStatement(READ_OFFSETS)) {
            query.setString(1, config.groupId());
            query.setArray(2, connection.createArrayOf("text",
                    partitionsToRead.stream().map(TopicPartition::topic).distinct().toArray(String[]::new)));
            try (ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    TopicPartition partition = new TopicPartition(rows.getString(1), rows.getInt(2));
                    if (partitionsToRead.contains(partition)) {
                        stored.put(partition, rows.getLong(3));
                    }
                }
            }
            connection.rollback();
        }
        return stored;
    }

    private final class Rebalance implements ConsumerRebalanceListener {
        private boolean partitionCountsChecked;

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> revoked) {
            // Records not yet written belong to the next owner, who starts from the stored offsets.
            buffer.removeIf(r -> revoked.contains(new TopicPartition(r.topic(), r.partition())));
            revoked.forEach(storedOffsets::remove);
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> newlyAssigned) {
            seekToStored(newlyAssigned);
            if (state == State.RETRYING) {
                consumer.pause(newlyAssigned);
            }
            if (!consumer.assignment().isEmpty()) {
                assigned.countDown();
            }
            if (!partitionCountsChecked && !newlyAssigned.isEmpty()) {
                partitionCountsChecked = true;
                warnUnlessCoPartitioned();
            }
        }

        /**
         * A stat and its KPI meet in one legacy row, and the sink relies on their sharing a partition
         * number (see {@link BatchWriter}); with different partition counts the same key hashes to
         * different numbers.
         */
        private void warnUnlessCoPartitioned() {
            try {
                int stats = consumer.partitionsFor(config.v2Topic()).size();
                int business = consumer.partitionsFor(config.businessTopic()).size();
                if (stats != business) {
                    LOG.warn("{} has {} partitions and {} has {}: a stat and its KPI may land in different partition numbers, "
                            + "and two sink instances could then write the two halves of one legacy row at once, each without "
                            + "the other's half. Give both topics the same number of partitions, or run one sink instance.",
                            config.v2Topic(), stats, config.businessTopic(), business);
                }
            } catch (RuntimeException e) {
                LOG.debug("cannot compare the partition counts of the input topics: {}", e.toString());
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

package statbridge.console;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import statbridge.deadletter.DeadLetter;
import statbridge.registry.SchemaRegistryClient;
import statbridge.tools.series.DeadLetterEvidence;
import statbridge.topics.TopicReader;

/**
 * What the console reads from Kafka, in the background so that no page waits for a client: every
 * {@code refresh}, the lag of the pipeline (its committed offsets of the v1 topic) and of the sink
 * (the offsets it commits with its rows in PostgreSQL) behind the ends of their topics, their rates
 * from successive readings, and the dead letters of the silent-series window, counted by reason
 * for the last 24 hours. Pages show the last reading and its age, or why there is none.
 */
public final class KafkaWatch implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaWatch.class);
    static final Duration DEAD_LETTER_HOURS = Duration.ofHours(24);
    private static final Duration RATE_WINDOW = Duration.ofSeconds(60);
    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    /** How far one consumer is behind, and how fast it goes. */
    public record Lag(String name, String group, List<String> topics, long behind, Double perSecond, String problem) {
    }

    /** The dead letters of one reason in the last 24 hours. */
    public record Reason(String reason, long count, Instant last) {
    }

    /** One reading. */
    public record Reading(Instant at, List<Lag> lags, List<Reason> deadLetters, long deadLetterTotal, DeadLetterEvidence evidence,
            String problem) {
    }

    /** Where the consumers stand and which topics they read. */
    public record Consumers(String pipelineGroup, List<String> pipelineTopics, String sinkGroup, List<String> sinkTopics, String dlqTopic) {
    }

    private final Map<String, Object> kafka;
    private final SchemaRegistryClient registry;
    private final Consumers consumers;
    private final Supplier<Map<String, Long>> sinkOffsets;
    private final Duration evidenceWindow;
    private final Clock clock;
    private final ScheduledExecutorService timer;
    private final Admin admin;
    private final Map<String, Deque<long[]>> history = new HashMap<>();
    private volatile Reading last;

    KafkaWatch(Map<String, Object> kafka, SchemaRegistryClient registry, Consumers consumers, Supplier<Map<String, Long>> sinkOffsets,
            Duration evidenceWindow, Clock clock) {
        this.kafka = kafka;
        this.registry = registry;
        this.consumers = consumers;
        this.sinkOffsets = sinkOffsets;
        this.evidenceWindow = evidenceWindow;
        this.clock = clock;
        Map<String, Object> adminConfig = new HashMap<>(kafka);
        adminConfig.putIfAbsent("default.api.timeout.ms", (int) TIMEOUT.toMillis());
        adminConfig.putIfAbsent("request.timeout.ms", 10_000);
        this.admin = Admin.create(adminConfig);
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "console-kafka");
            thread.setDaemon(true);
            return thread;
        });
    }

    /** Starts reading now and every {@code refresh}. */
    KafkaWatch start(Duration refresh) {
        timer.scheduleWithFixedDelay(this::read, 0, refresh.toMillis(), TimeUnit.MILLISECONDS);
        return this;
    }

    /** The last reading, or null before the first. */
    public Reading last() {
        return last;
    }

    /** Reads once; a failure becomes the reading's problem, the previous figures kept. */
    void read() {
        Instant now = clock.instant();
        try {
            List<Lag> lags = List.of(
                    lag("pipeline", consumers.pipelineGroup(), consumers.pipelineTopics(), () -> committedInKafka(consumers.pipelineGroup()), now),
                    lag("sink", consumers.sinkGroup(), consumers.sinkTopics(), this::committedBySink, now));
            Map<String, long[]> reasons = new TreeMap<>();
            Map<String, Instant> lastAt = new HashMap<>();
            DeadLetterEvidence evidence = DeadLetterEvidence.collecting(registry);
            Instant dayAgo = now.minus(DEAD_LETTER_HOURS);
            TopicReader.readSince(kafka, consumers.dlqTopic(), now.minus(evidenceWindow), TIMEOUT, record -> {
                evidence.add(record);
                if (record.headers().lastHeader(DeadLetter.REPLAYED) != null || record.timestamp() < dayAgo.toEpochMilli()) {
                    return;
                }
                String reason = String.valueOf(DeadLetter.header(record.headers(), DeadLetter.REASON));
                reasons.computeIfAbsent(reason, r -> new long[1])[0]++;
                lastAt.merge(reason, Instant.ofEpochMilli(record.timestamp()), (a, b) -> a.isAfter(b) ? a : b);
            });
            List<Reason> byReason = new ArrayList<>();
            reasons.forEach((reason, count) -> byReason.add(new Reason(reason, count[0], lastAt.get(reason))));
            byReason.sort((a, b) -> Long.compare(b.count(), a.count()));
            last = new Reading(now, lags, byReason, byReason.stream().mapToLong(Reason::count).sum(), evidence, null);
        } catch (RuntimeException e) {
            LOG.warn("console: could not read Kafka: {}", e.toString());
            Reading previous = last;
            last = previous == null ? new Reading(now, List.of(), List.of(), 0, null, e.getMessage())
                    : new Reading(previous.at(), previous.lags(), previous.deadLetters(), previous.deadLetterTotal(), previous.evidence(),
                            e.getMessage());
        }
    }

    private Map<TopicPartition, Long> committedInKafka(String group) {
        Map<TopicPartition, Long> committed = new HashMap<>();
        try {
            Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata()
                    .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            offsets.forEach((partition, offset) -> {
                if (offset != null) {
                    committed.put(partition, offset.offset());
                }
            });
        } catch (Exception e) {
            throw new IllegalStateException("cannot read the offsets of group " + group + ": " + e.getMessage(), e);
        }
        return committed;
    }

    private Map<TopicPartition, Long> committedBySink() {
        Map<TopicPartition, Long> committed = new HashMap<>();
        sinkOffsets.get().forEach((name, offset) -> {
            int dash = name.lastIndexOf('-');
            committed.put(new TopicPartition(name.substring(0, dash), Integer.parseInt(name.substring(dash + 1))), offset);
        });
        return committed;
    }

    /**
     * Records behind the end of {@code topics}; a partition with no committed offset counts from its
     * start. What cannot be read (a topic this deployment does not have) is the lag's problem.
     */
    private Lag lag(String name, String group, List<String> topics, Supplier<Map<TopicPartition, Long>> offsets, Instant now) {
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
        try {
            Map<TopicPartition, Long> committed = offsets.get();
            Map<String, TopicDescription> described = admin.describeTopics(topics).allTopicNames().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            described.values().forEach(topic -> topic.partitions().forEach(p -> {
                TopicPartition partition = new TopicPartition(topic.name(), p.partition());
                latest.put(partition, OffsetSpec.latest());
                earliest.put(partition, OffsetSpec.earliest());
            }));
            Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends = admin.listOffsets(latest).all()
                    .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> starts = admin.listOffsets(earliest).all()
                    .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            long behind = 0;
            long position = 0;
            for (Map.Entry<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> end : ends.entrySet()) {
                long at = Math.max(committed.getOrDefault(end.getKey(), starts.get(end.getKey()).offset()), starts.get(end.getKey()).offset());
                behind += Math.max(0, end.getValue().offset() - at);
                position += at;
            }
            return new Lag(name, group, topics, behind, rate(name, now, position), null);
        } catch (Exception e) {
            Throwable cause = e instanceof java.util.concurrent.ExecutionException && e.getCause() != null ? e.getCause() : e;
            return new Lag(name, group, topics, -1, null, "cannot read " + String.join(", ", topics) + ": " + cause.getMessage());
        }
    }

    /** Records per second over the readings of the last minute; null until there are two. */
    private Double rate(String name, Instant now, long position) {
        Deque<long[]> readings = history.computeIfAbsent(name, n -> new ArrayDeque<>());
        readings.addLast(new long[] {now.toEpochMilli(), position});
        while (readings.size() > 2 && readings.peekFirst()[0] < now.minus(RATE_WINDOW).toEpochMilli()) {
            readings.removeFirst();
        }
        long[] first = readings.peekFirst();
        if (readings.size() < 2 || now.toEpochMilli() == first[0]) {
            return null;
        }
        return Math.max(0, position - first[1]) * 1000.0 / (now.toEpochMilli() - first[0]);
    }

    @Override
    public void close() {
        timer.shutdownNow();
        admin.close(Duration.ofSeconds(2));
    }
}

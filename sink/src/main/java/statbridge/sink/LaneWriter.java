package statbridge.sink;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.apache.kafka.common.TopicPartition;
import statbridge.sink.db.RowKey;
import statbridge.sink.deadletter.DeadLetterOutbox;
import statbridge.sink.offsets.OffsetRange;
import statbridge.sink.writer.Batch;
import statbridge.sink.writer.BatchResult;
import statbridge.sink.writer.BatchWriter;
import statbridge.sink.writer.Fact;

/**
 * Writes a batch as up to {@code lanes} transactions running side by side, one connection each,
 * so that PostgreSQL can use more than one core for one sink. A partition always belongs to the
 * same lane (its number modulo the lane count), and each lane's transaction stores the offsets of
 * its own partitions with its rows, so exactly-once holds per partition as it does for one
 * transaction. A stat and its KPI share a lane when they share a partition number, which the
 * pipeline's keys give them; a batch in which any row would be written by two lanes (the halves of
 * a legacy row must see each other) is written as one transaction instead.
 */
final class LaneWriter implements AutoCloseable {

    /**
     * What became of one lane.
     *
     * @param result the rows written, or null when the lane failed
     * @param failure why the lane wrote nothing ({@link SQLException} or a runtime exception), or null
     */
    public record Outcome(Batch lane, BatchResult result, Exception failure) {
    }

    private final DataSource dataSource;
    private final BatchWriter writer;
    private final int lanes;
    private final ExecutorService others;

    public LaneWriter(DataSource dataSource, BatchWriter writer, int lanes) {
        if (lanes < 1) {
            throw new IllegalArgumentException("at least one lane, not " + lanes);
        }
        this.dataSource = dataSource;
        this.writer = writer;
        this.lanes = lanes;
        AtomicInteger number = new AtomicInteger(1);
        this.others = lanes == 1 ? null : Executors.newFixedThreadPool(lanes - 1, task -> {
            Thread thread = new Thread(task, "statbridge-sink-lane-" + number.getAndIncrement());
            thread.setDaemon(true);
            return thread;
        });
    }

    /**
     * Splits {@code batch} by partition number modulo {@code lanes}: each part has the facts,
     * offsets and dead letters of its partitions and all the new catalog entries (its legacy rows need them). Parts
     * with neither facts nor offsets are left out; a batch whose rows would span lanes stays whole.
     */
    public static List<Batch> split(Batch batch, int lanes) {
        if (lanes == 1) {
            return List.of(batch);
        }
        Map<RowKey, Integer> laneOfRow = new HashMap<>();
        Map<Integer, List<Fact>> facts = new LinkedHashMap<>();
        for (Fact fact : batch.facts()) {
            int lane = fact.partition() % lanes;
            Integer before = laneOfRow.putIfAbsent(fact.rowKey(), lane);
            if (before != null && before != lane) {
                return List.of(batch);
            }
            facts.computeIfAbsent(lane, l -> new ArrayList<>()).add(fact);
        }
        Map<Integer, Map<TopicPartition, OffsetRange>> offsets = new LinkedHashMap<>();
        batch.offsets().forEach((partition, range) ->
                offsets.computeIfAbsent(partition.partition() % lanes, l -> new HashMap<>()).put(partition, range));
        Map<Integer, List<DeadLetterOutbox.Entry>> deadLetters = new HashMap<>();
        for (DeadLetterOutbox.Entry entry : batch.deadLetters()) {
            deadLetters.computeIfAbsent(entry.partition() % lanes, l -> new ArrayList<>()).add(entry);
        }
        List<Batch> parts = new ArrayList<>();
        for (int lane = 0; lane < lanes; lane++) {
            List<Fact> laneFacts = facts.getOrDefault(lane, List.of());
            Map<TopicPartition, OffsetRange> laneOffsets = offsets.getOrDefault(lane, Map.of());
            List<DeadLetterOutbox.Entry> laneDeadLetters = deadLetters.getOrDefault(lane, List.of());
            if (!laneFacts.isEmpty() || !laneOffsets.isEmpty() || !laneDeadLetters.isEmpty()) {
                parts.add(new Batch(laneFacts, batch.newCatalogEntries(), laneOffsets, laneDeadLetters));
            }
        }
        return parts.isEmpty() ? List.of(batch) : parts;
    }

    /** Writes the lanes of {@code batch} side by side and returns, once all have ended, what became of each. */
    public List<Outcome> write(Batch batch) {
        List<Batch> parts = split(batch, lanes);
        List<Future<Outcome>> running = new ArrayList<>();
        for (Batch part : parts.subList(1, parts.size())) {
            running.add(others.submit(() -> writeLane(part)));
        }
        List<Outcome> outcomes = new ArrayList<>();
        outcomes.add(writeLane(parts.get(0)));
        for (int i = 0; i < running.size(); i++) {
            outcomes.add(await(running.get(i), parts.get(i + 1)));
        }
        return outcomes;
    }

    private Outcome writeLane(Batch lane) {
        try (Connection connection = dataSource.getConnection()) {
            return new Outcome(lane, writer.write(connection, lane), null);
        } catch (SQLException | RuntimeException e) {
            return new Outcome(lane, null, e);
        }
    }

    private static Outcome await(Future<Outcome> lane, Batch part) {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return lane.get();
                } catch (InterruptedException e) {
                    // The transaction is under way on its own connection: let it end, then report it.
                    interrupted = true;
                }
            }
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Error error) {
                throw error;
            }
            return new Outcome(part, null, new IllegalStateException("a write lane failed", e.getCause()));
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public void close() {
        if (others != null) {
            others.shutdownNow();
        }
    }
}

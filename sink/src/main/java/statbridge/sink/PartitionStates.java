package statbridge.sink;

import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.TopicPartition;

/**
 * Where each partition the sink owns stands: waiting to be sought to its stored offset,
 * consuming, or stopped until an operator decides (its stored offset fell below the log start).
 * Which partitions are paused is computed from this and from whether a batch is being retried,
 * never remembered from an earlier pause, so no sequence of rebalances and outages can leave a
 * partition paused for good.
 */
final class PartitionStates {

    enum Phase {
        SEEKING, CONSUMING, STOPPED
    }

    private final Map<TopicPartition, Phase> phases = new LinkedHashMap<>();
    private final Map<String, String> stopReasons = new TreeMap<>();

    /** Newly assigned partitions wait for their stored offsets. */
    void assigned(Collection<TopicPartition> partitions) {
        partitions.forEach(p -> phases.put(p, Phase.SEEKING));
    }

    void revoked(Collection<TopicPartition> partitions) {
        partitions.forEach(p -> {
            phases.remove(p);
            stopReasons.remove(p.toString());
        });
    }

    /** Partitions whose position must be read again from the database (a stopped one stays stopped). */
    void reseek(Collection<TopicPartition> partitions) {
        partitions.forEach(p -> phases.computeIfPresent(p, (k, phase) -> phase == Phase.STOPPED ? phase : Phase.SEEKING));
    }

    void consuming(TopicPartition partition) {
        phases.computeIfPresent(partition, (k, phase) -> Phase.CONSUMING);
    }

    void stopped(TopicPartition partition, String reason) {
        if (phases.computeIfPresent(partition, (k, phase) -> Phase.STOPPED) != null) {
            stopReasons.put(partition.toString(), reason);
        }
    }

    Set<TopicPartition> seeking() {
        return inPhase(Phase.SEEKING);
    }

    boolean anyConsuming() {
        return phases.containsValue(Phase.CONSUMING);
    }

    /** Why each stopped partition stopped, by partition name. */
    Map<String, String> stopped() {
        return stopReasons;
    }

    /** The partitions to keep paused: all of them while a batch is retried, otherwise those not consuming. */
    Set<TopicPartition> toPause(boolean retrying) {
        if (retrying) {
            return new HashSet<>(phases.keySet());
        }
        Set<TopicPartition> paused = new HashSet<>(phases.keySet());
        paused.removeAll(inPhase(Phase.CONSUMING));
        return paused;
    }

    /**
     * Pauses what must not be consumed now and resumes every other assigned partition, whatever
     * was paused before.
     */
    void applyTo(Consumer<?, ?> consumer, boolean retrying) {
        Set<TopicPartition> assignment = consumer.assignment();
        Set<TopicPartition> pause = toPause(retrying);
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

    private Set<TopicPartition> inPhase(Phase phase) {
        Set<TopicPartition> matching = new HashSet<>();
        phases.forEach((partition, p) -> {
            if (p == phase) {
                matching.add(partition);
            }
        });
        return matching;
    }
}

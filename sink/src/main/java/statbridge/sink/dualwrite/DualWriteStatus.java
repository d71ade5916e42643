package statbridge.sink.dualwrite;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The dual-write state as the database holds it.
 *
 * @param on whether the sink writes the legacy table
 * @param writeSeq the write sequence number at the last switch
 * @param offsets the sink's offsets at the last switch, as JSON
 */
public record DualWriteStatus(boolean on, Instant gracePeriodEnd, GraceAction onGraceEnd, String changedBy, Instant changedAt,
        String reason, boolean forced, long writeSeq, String offsets, Optional<ParityResult> lastParity, List<Change> history) {

    /** One change of state, from the history. */
    public record Change(Instant at, String mode, String by, String reason, boolean forced, Long rowsRebuilt) {
    }

    /** Time left in the grace period at {@code now}; negative when it is over, empty when there is none. */
    public Optional<Duration> timeLeft(Instant now) {
        return gracePeriodEnd == null ? Optional.empty() : Optional.of(Duration.between(now, gracePeriodEnd));
    }
}

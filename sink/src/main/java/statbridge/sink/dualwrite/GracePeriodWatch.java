package statbridge.sink.dualwrite;

import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the dual-write grace period on a thread of its own, so that its parity check (which
 * reads both shapes) never holds up the sink's consumer. Every {@code interval} it reads the
 * state; once the period is over it either switches dual-write off (when parity holds; a refusal
 * is a WARN and a count, and it tries again at the next interval) or warns, at most every
 * {@code warnInterval}, that the legacy table is still written.
 */
public final class GracePeriodWatch implements AutoCloseable {

    /** What the watch reports to the sink's metrics. */
    public interface Listener {
        void dualWrite(boolean on);

        void parity(ParityResult result);

        void switchOffRefused();
    }

    private static final Logger LOG = LoggerFactory.getLogger(GracePeriodWatch.class);

    private final DualWriteSwitch dualWrite;
    private final Listener listener;
    private final Duration warnInterval;
    private final ScheduledExecutorService thread;
    private Instant lastWarning = Instant.EPOCH;

    GracePeriodWatch(DualWriteSwitch dualWrite, Listener listener, Duration warnInterval) {
        this.dualWrite = dualWrite;
        this.listener = listener;
        this.warnInterval = warnInterval;
        this.thread = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread watch = new Thread(task, "statbridge-grace-period");
            watch.setDaemon(true);
            return watch;
        });
    }

    /** A watch that looks now and then every {@code interval}, until closed. */
    public static GracePeriodWatch start(DualWriteSwitch dualWrite, Listener listener, Duration interval, Duration warnInterval) {
        GracePeriodWatch watch = new GracePeriodWatch(dualWrite, listener, warnInterval);
        watch.thread.scheduleWithFixedDelay(watch::checkQuietly, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
        return watch;
    }

    private void checkQuietly() {
        try {
            check(Instant.now());
        } catch (SQLException e) {
            LOG.debug("cannot check the dual-write grace period now: {}", e.toString());
        } catch (RuntimeException e) {
            LOG.error("the dual-write grace period check failed", e);
        }
    }

    /** One look at the state: switches off or warns once the period is over. */
    void check(Instant now) throws SQLException {
        DualWriteStatus status = dualWrite.status(0);
        listener.dualWrite(status.on());
        status.lastParity().ifPresent(listener::parity);
        if (!status.on() || status.gracePeriodEnd() == null || now.isBefore(status.gracePeriodEnd())) {
            return;
        }
        if (status.onGraceEnd() != GraceAction.SWITCH_OFF) {
            warn(now, "the dual-write grace period ended at " + status.gracePeriodEnd()
                    + "; the legacy table is still written. Switch it off with 'statbridge dual-write off' when ready.", LOG::warn);
            return;
        }
        try {
            dualWrite.off("sink (grace period ended)", "the grace period ended at " + status.gracePeriodEnd(), false);
            listener.dualWrite(false);
            LOG.info("the dual-write grace period ended at {}: dual-write is off", status.gracePeriodEnd());
        } catch (ParityMismatchException e) {
            listener.switchOffRefused();
            warn(now, "the grace period ended at " + status.gracePeriodEnd() + " but dual-write stays on: " + e.getMessage(),
                    LOG::warn);
        } catch (SQLException e) {
            listener.switchOffRefused();
            LOG.error("the grace period ended at {} but switching dual-write off failed: {}", status.gracePeriodEnd(), e.toString());
        }
    }

    private void warn(Instant now, String message, Consumer<String> log) {
        if (Duration.between(lastWarning, now).compareTo(warnInterval) >= 0) {
            log.accept(message);
            lastWarning = now;
        }
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}

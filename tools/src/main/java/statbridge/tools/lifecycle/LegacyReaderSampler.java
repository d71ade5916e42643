package statbridge.tools.lifecycle;

import java.sql.SQLException;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Samples the readers of the legacy shape on a thread of its own, every interval, so that the
 * sink's consumer never waits for it. A reason it cannot sample is logged once, when it first
 * appears or changes, not at every interval.
 */
public final class LegacyReaderSampler implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LegacyReaderSampler.class);

    private final LegacyReaders readers;
    private final ScheduledExecutorService thread;
    private String lastProblem;

    private LegacyReaderSampler(LegacyReaders readers) {
        this.readers = readers;
        this.thread = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread sampler = new Thread(task, "statbridge-legacy-readers");
            sampler.setDaemon(true);
            return sampler;
        });
    }

    /** Samples now and then every {@code interval}, until closed; a zero interval samples never. */
    public static LegacyReaderSampler start(LegacyReaders readers, Duration interval) {
        LegacyReaderSampler sampler = new LegacyReaderSampler(readers);
        if (!interval.isZero()) {
            sampler.thread.scheduleWithFixedDelay(sampler::sampleQuietly, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
        }
        return sampler;
    }

    private void sampleQuietly() {
        try {
            Optional<String> problem = readers.sample();
            if (problem.isPresent() && !Objects.equals(problem.get(), lastProblem)) {
                LOG.warn("cannot record who reads the legacy shape: {}", problem.get());
            } else if (problem.isEmpty() && lastProblem != null) {
                LOG.info("recording who reads the legacy shape again");
            }
            lastProblem = problem.orElse(null);
        } catch (SQLException e) {
            LOG.debug("cannot sample the readers of the legacy shape now: {}", e.toString());
        } catch (RuntimeException e) {
            LOG.error("sampling the readers of the legacy shape failed", e);
        }
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}

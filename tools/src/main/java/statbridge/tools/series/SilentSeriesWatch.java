package statbridge.tools.series;

import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts the silent series and models every interval on a thread of its own (the sink's consumer
 * never waits for it) and hands the report on, to the metrics; a silence that begins or ends is
 * logged once.
 */
public final class SilentSeriesWatch implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SilentSeriesWatch.class);
    private static final Duration FIRST_COUNT = Duration.ofSeconds(10);

    private final SilentSeries silent;
    private final SilentSeries.Rule rule;
    private final Consumer<SilentSeries.Report> listener;
    private final ScheduledExecutorService thread;
    private int lastCount = -1;

    private SilentSeriesWatch(SilentSeries silent, SilentSeries.Rule rule, Consumer<SilentSeries.Report> listener) {
        this.silent = silent;
        this.rule = rule;
        this.listener = listener;
        this.thread = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread watch = new Thread(task, "statbridge-silent-series");
            watch.setDaemon(true);
            return watch;
        });
    }

    /** Counts now and then every {@code interval}, until closed; a zero interval never. */
    public static SilentSeriesWatch start(SilentSeries silent, SilentSeries.Rule rule, Duration interval,
            Consumer<SilentSeries.Report> listener) {
        SilentSeriesWatch watch = new SilentSeriesWatch(silent, rule, listener);
        if (!interval.isZero()) {
            // a moment after start, so that the sink has applied its migrations
            long first = Math.min(interval.toMillis(), FIRST_COUNT.toMillis());
            watch.thread.scheduleWithFixedDelay(watch::countQuietly, first, interval.toMillis(), TimeUnit.MILLISECONDS);
        }
        return watch;
    }

    private void countQuietly() {
        try {
            SilentSeries.Report report = silent.report(null, rule);
            listener.accept(report);
            int count = report.series().size() + report.models().size();
            if (count != lastCount && count > 0) {
                LOG.warn("{} series and {} models have gone silent (published on >= {} of the last {} days, nothing for {}); "
                        + "'statbridge series silent' explains them", report.series().size(), report.models().size(), rule.minDays(),
                        rule.windowDays(), rule.afterDays());
            } else if (count == 0 && lastCount > 0) {
                LOG.info("no series is silent any more");
            }
            lastCount = count;
        } catch (SQLException e) {
            LOG.debug("cannot count the silent series now: {}", e.toString());
        } catch (RuntimeException e) {
            LOG.error("counting the silent series failed", e);
        }
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}

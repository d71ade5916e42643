package statbridge.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.Locale;
import java.util.function.Consumer;
import statbridge.tools.migration.Backfill;

/**
 * Shows a long run's progress: a bar with rows, rate and ETA redrawn in place on a terminal, or a
 * plain line every few seconds when the output goes to a file or a pipe.
 */
final class ProgressReporter implements Consumer<Backfill.Progress> {

    private static final Duration LOG_INTERVAL = Duration.ofSeconds(5);

    private final PrintWriter out;
    private final boolean terminal;
    private final long started = System.nanoTime();
    private long lastLine;

    ProgressReporter(PrintWriter out, boolean terminal) {
        this.out = out;
        this.terminal = terminal;
    }

    static boolean isTerminal() {
        return System.console() != null;
    }

    @Override
    public void accept(Backfill.Progress progress) {
        long now = System.nanoTime();
        if (!terminal && now - lastLine < LOG_INTERVAL.toNanos()) {
            return;
        }
        lastLine = now;
        double seconds = Math.max((now - started) / 1e9, 0.001);
        double rate = progress.read() / seconds;
        long left = Math.max(progress.total() - progress.read(), 0);
        String eta = rate > 0 ? format(Duration.ofSeconds((long) (left / rate))) : "?";
        double fraction = progress.total() == 0 ? 1 : Math.min(1.0, progress.read() / (double) progress.total());
        if (terminal) {
            int filled = (int) (fraction * 30);
            out.printf(Locale.ROOT, "\r[%s%s] %,d/%,d rows  %,.0f rows/s  ETA %s   ", "=".repeat(filled), " ".repeat(30 - filled),
                    progress.read(), progress.total(), rate, eta);
        } else {
            out.printf(Locale.ROOT, "progress: %,d/%,d rows (%.0f%%), %,d written, %,.0f rows/s, ETA %s%n", progress.read(),
                    progress.total(), fraction * 100, progress.written(), rate, eta);
        }
        out.flush();
    }

    void done() {
        if (terminal) {
            out.println();
        }
    }

    static String format(Duration d) {
        return d.toHours() > 0 ? String.format(Locale.ROOT, "%d:%02d:%02d", d.toHours(), d.toMinutesPart(), d.toSecondsPart())
                : String.format(Locale.ROOT, "%d:%02d", d.toMinutes(), d.toSecondsPart());
    }
}

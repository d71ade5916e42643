package statbridge.tools.migration;

import java.util.function.Consumer;
import statbridge.tools.migration.Backfill.Progress;

/** What the workers of a migration tool have done so far, and its progress callback, under one lock. */
final class Tally {

    private final long total;
    private final Consumer<Progress> progress;
    private long read;
    private long written;
    private long skipped;
    private boolean resumed;

    /** @param total the rows the run is to read, for the progress */
    Tally(long total, Consumer<Progress> progress) {
        this.total = total;
        this.progress = progress;
    }

    /** Adds what an earlier, interrupted invocation committed (the progress is told with the next unit). */
    synchronized void resumed(long unitRead, long unitWritten, long unitSkipped) {
        resumed = true;
        add(unitRead, unitWritten, unitSkipped);
    }

    /** Adds a unit (a chunk, a month) just committed and tells the progress the totals. */
    synchronized void committed(long unitRead, long unitWritten, long unitSkipped) {
        add(unitRead, unitWritten, unitSkipped);
        progress.accept(new Progress(read, written, skipped, total));
    }

    private void add(long unitRead, long unitWritten, long unitSkipped) {
        read += unitRead;
        written += unitWritten;
        skipped += unitSkipped;
    }

    synchronized long read() {
        return read;
    }

    synchronized long written() {
        return written;
    }

    synchronized long skipped() {
        return skipped;
    }

    /** Whether an earlier invocation had committed part of the run. */
    synchronized boolean resumed() {
        return resumed;
    }
}

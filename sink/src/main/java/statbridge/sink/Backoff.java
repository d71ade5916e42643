package statbridge.sink;

/**
 * The sink's one retry policy: the wait starts at {@value #FIRST_MS} ms and doubles with every
 * failure up to a ceiling ({@code sink.retry.max.backoff.ms}); a success starts it over.
 */
final class Backoff {

    static final long FIRST_MS = 250;

    private final long maxMs;
    private long nextMs = FIRST_MS;

    Backoff(long maxMs) {
        if (maxMs < FIRST_MS) {
            throw new IllegalArgumentException("the longest wait must be at least " + FIRST_MS + " ms, not " + maxMs);
        }
        this.maxMs = maxMs;
    }

    /** The wait before the next attempt; the one after it is twice as long, up to the ceiling. */
    long next() {
        long wait = nextMs;
        nextMs = Math.min(nextMs * 2, maxMs);
        return wait;
    }

    /** The wait {@link #next} would give, without counting a failure. */
    long peek() {
        return nextMs;
    }

    /** After a success: the next failure waits {@value #FIRST_MS} ms again. */
    void reset() {
        nextMs = FIRST_MS;
    }
}

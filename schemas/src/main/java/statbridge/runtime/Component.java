package statbridge.runtime;

/**
 * A long-running part of statbridge — the pipeline, the sink — started once and running until it
 * is closed or fails. The command line runs every component the same way: metrics and health on
 * an HTTP port, a clean stop on SIGTERM.
 */
public interface Component extends AutoCloseable {

    /** Whether a component can do its work now, with its state or the reason it cannot. */
    record Health(boolean up, String detail) {
        public static Health up(String detail) {
            return new Health(true, detail);
        }

        public static Health down(String detail) {
            return new Health(false, detail);
        }
    }

    /** Starts the component; returns at once. */
    void start();

    /** Blocks until the component has stopped, closed or failed for good. */
    void awaitStopped() throws InterruptedException;

    /** Readiness: up while the component and the services it depends on answer, else down with the reason. */
    Health health();

    /**
     * Liveness: up while the component does its work or waits for a dependency to come back; down
     * only when it stopped for good, which a restart may cure.
     */
    default Health liveness() {
        return failed() ? Health.down("FAILED: " + health().detail()) : Health.up("ALIVE");
    }

    /** True when the component stopped because of a failure rather than a close. */
    boolean failed();

    /** Stops the component cleanly; safe to call more than once. */
    @Override
    void close();
}

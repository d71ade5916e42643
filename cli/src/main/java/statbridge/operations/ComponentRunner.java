package statbridge.operations;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import statbridge.runtime.Component;

/**
 * Runs a component in the foreground the way every statbridge command does: metrics and health on
 * an HTTP port (unless the port is negative) at {@link OperationsSettings#BIND_ADDRESS}, a clean stop
 * on SIGTERM or Ctrl-C.
 */
public final class ComponentRunner {

    private ComponentRunner() {
    }

    /**
     * Starts {@code component} and blocks until it stops.
     *
     * @return true when it stopped cleanly, false when it failed
     */
    public static boolean run(Component component, PrometheusMeterRegistry registry, String bindAddress, int metricsPort)
            throws IOException, InterruptedException {
        OperationsServer operations = metricsPort < 0 ? null
                : OperationsServer.start(bindAddress, metricsPort, registry, component);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            component.close();
            if (operations != null) {
                operations.close();
            }
        }, "statbridge-shutdown"));
        component.start();
        component.awaitStopped();
        return !component.failed();
    }
}

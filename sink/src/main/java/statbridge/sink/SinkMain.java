package statbridge.sink;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import statbridge.config.Configuration;

/**
 * Runs the sink in its own JVM with a configuration file: {@code SinkMain <file>}. Prints
 * {@code SINK RUNNING} once it owns partitions, and stops cleanly on SIGTERM.
 * ({@code statbridge sink} does the same with a metrics endpoint.)
 */
public final class SinkMain {

    private SinkMain() {
    }

    public static void main(String[] args) throws Exception {
        Configuration configuration = Configuration.load(args.length > 0 ? Path.of(args[0]) : null, System.getenv(), Map.of());
        SinkApp app = new SinkApp(SinkConfig.from(configuration), new SimpleMeterRegistry());
        Runtime.getRuntime().addShutdownHook(new Thread(app::close, "sink-shutdown"));
        app.start();
        if (app.awaitAssignment(Duration.ofMinutes(2))) {
            System.out.println("SINK RUNNING");
            System.out.flush();
        }
        app.awaitStopped();
    }
}

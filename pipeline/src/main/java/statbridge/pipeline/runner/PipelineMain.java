package statbridge.pipeline.runner;

import statbridge.pipeline.PipelineConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import statbridge.config.Configuration;

/**
 * Runs the pipeline in its own JVM with a configuration file: {@code PipelineMain <file>}. Prints
 * {@code PIPELINE RUNNING} once every partition is assigned, and stops cleanly on SIGTERM.
 * ({@code statbridge pipeline} does the same with a metrics endpoint.)
 */
public final class PipelineMain {

    private PipelineMain() {
    }

    public static void main(String[] args) throws Exception {
        Configuration configuration = Configuration.load(args.length > 0 ? Path.of(args[0]) : null, System.getenv(), Map.of());
        PipelineApp app = new PipelineApp(PipelineConfig.from(configuration), new SimpleMeterRegistry());
        Runtime.getRuntime().addShutdownHook(new Thread(app::close, "pipeline-shutdown"));
        app.start();
        if (app.awaitRunning(Duration.ofMinutes(2))) {
            System.out.println("PIPELINE RUNNING");
            System.out.flush();
        }
        app.awaitStopped();
    }
}

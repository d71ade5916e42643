package statbridge.chaos;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import statbridge.cli.Statbridge;

/** The soak's pipelines and sinks as JVMs of this machine, on this test's classpath, with one configuration file. */
final class ProcessDeployment implements Deployment {

    private Path dir;
    private Path config;

    @Override
    public String pipelineGroup() {
        return "chaos-pipeline";
    }

    @Override
    public String sinkGroup() {
        return "chaos-sink";
    }

    @Override
    public int replicas() {
        return 2;
    }

    @Override
    public String prepare(String kafka, String registry, String jdbc, Path dir) throws IOException {
        this.dir = dir;
        this.config = dir.resolve("statbridge.properties");
        Files.writeString(config, String.join("\n",
                "kafka.bootstrap.servers=" + kafka,
                "schema.registry.url=" + registry,
                "jdbc.url=" + jdbc,
                "pipeline.application.id=" + pipelineGroup(),
                "pipeline.commit.interval.ms=100",
                "sink.group.id=" + sinkGroup(),
                "sink.batch.max.wait.ms=100",
                "sink.retry.max.backoff.ms=2000",
                ""));
        return jdbc;
    }

    @Override
    public Component start(String kind, int instance) throws IOException {
        Process process = launch(dir, kind + "-" + instance, "-Xmx256m", List.of(kind, "--config", config.toString(), "--metrics-port", "-1"),
                kind.equals("pipeline") ? Map.of("STATBRIDGE_PIPELINE_STATE_DIR", dir.resolve("streams-" + instance).toString()) : Map.of());
        return new Component() {
            @Override
            public void kill() {
                process.destroyForcibly();
            }

            @Override
            public void terminate() {
                process.destroy();
            }

            @Override
            public boolean waitFor(Duration timeout) throws InterruptedException {
                return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            }
        };
    }

    /**
     * Starts the statbridge CLI of this test's classpath as a JVM of its own with {@code args}, its
     * output appended to {@code DIR/NAME.log}, its home in {@code DIR/home}, logging at WARN.
     */
    static Process launch(Path dir, String name, String heap, List<String> args, Map<String, String> environment) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                heap, "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), Statbridge.class.getName()));
        command.addAll(args);
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve(name + ".log").toFile()));
        builder.environment().put("STATBRIDGE_HOME", dir.resolve("home").toString());
        builder.environment().put("STATBRIDGE_LOG_LEVEL", "WARN");
        builder.environment().putAll(environment);
        return builder.start();
    }
}

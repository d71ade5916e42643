package statbridge.sink;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** A sink in a JVM of its own with a small heap ({@link SinkMain}), its output in {@code target/NAME.log}. */
final class SinkProcess implements AutoCloseable {

    private final Process process;
    private final Path log;

    private SinkProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    static SinkProcess start(Path config, String name, String... extraSettings) throws IOException {
        Path log = Path.of("target", name + ".log");
        Files.deleteIfExists(log);
        ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx128m", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"), SinkMain.class.getName(),
                config.toString()).redirectErrorStream(true).redirectOutput(log.toFile());
        for (int i = 0; i + 1 < extraSettings.length; i += 2) {
            builder.environment().put(extraSettings[i], extraSettings[i + 1]);
        }
        return new SinkProcess(builder.start(), log);
    }

    String output() throws IOException {
        return Files.exists(log) ? Files.readString(log) : "";
    }

    /** Waits until the output contains {@code text}. */
    void awaitOutput(String text, Duration timeout) throws Exception {
        await("the sink prints '" + text + "'; see " + log).atMost(timeout).pollInterval(Duration.ofMillis(100))
                .failFast("the sink exited before printing '" + text + "'", () -> !process.isAlive() && !output().contains(text))
                .until(() -> output().contains(text));
    }

    boolean isAlive() {
        return process.isAlive();
    }

    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** SIGTERM, and waits for the clean stop. */
    void stop() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("the sink did not stop within 60 s of SIGTERM; see " + log);
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            kill();
        }
    }
}

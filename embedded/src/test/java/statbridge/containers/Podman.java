package statbridge.containers;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The {@code podman} command, with the settings of {@code deploy/podman/containers.conf} (runc,
 * cgroupfs, host networking, no default ulimits: what rootful podman needs on a host without systemd).
 */
public final class Podman {

    /** podman's settings for this kind of host, from the module's directory ({@code embedded}). */
    public static final Path CONF = Path.of("..", "deploy", "podman", "containers.conf").toAbsolutePath().normalize();
    /** The image deploy/build-image.sh builds and deploy/compose.yaml runs. */
    public static final String IMAGE = System.getProperty("statbridge.image", "localhost/statbridge:0.1.0");

    private Podman() {
    }

    /** What a podman command printed (stdout and stderr together) and its exit code. */
    public record Result(int exitCode, String output) {

        public Result orThrow(List<String> args) {
            if (exitCode != 0) {
                throw new IllegalStateException("podman " + String.join(" ", args) + " exited " + exitCode + ":\n" + output);
            }
            return this;
        }
    }

    /** A podman process, for the caller to redirect and wait for. */
    public static ProcessBuilder command(List<String> args) {
        List<String> command = new ArrayList<>();
        command.add("podman");
        command.addAll(args);
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().put("CONTAINERS_CONF", CONF.toString());
        return builder;
    }

    /** Runs a podman command to its end (at most {@code timeoutSeconds}), its output gathered in a file meanwhile. */
    public static Result run(List<String> args, long timeoutSeconds) throws IOException, InterruptedException {
        Path output = Files.createTempFile("podman-", ".out");
        try {
            Process process = command(args).redirectErrorStream(true).redirectOutput(output.toFile()).start();
            if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException("podman " + String.join(" ", args) + " did not end within " + timeoutSeconds + " s");
            }
            return new Result(process.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(output);
        }
    }

    public static Result run(String... args) throws IOException, InterruptedException {
        return run(List.of(args), 300).orThrow(List.of(args));
    }
}

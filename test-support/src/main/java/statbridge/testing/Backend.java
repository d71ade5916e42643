package statbridge.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.testcontainers.DockerClientFactory;

/**
 * Where the fixture runs Kafka and PostgreSQL: in this JVM and its child processes
 * ({@link #IN_PROCESS}), or in containers started through Testcontainers ({@link #CONTAINERS}).
 * The tests are the same either way; {@code -Dstatbridge.infrastructure=in-process|containers|auto}
 * chooses, and {@code auto} (the default) takes containers when a container engine answers
 * ({@code DOCKER_HOST}, e.g. podman's {@code podman system service}, or {@code /var/run/docker.sock}).
 */
public enum Backend {
    IN_PROCESS, CONTAINERS;

    public static final String PROPERTY = "statbridge.infrastructure";
    private static volatile Backend selected;

    /** The back-end of this test run, chosen once. */
    public static Backend selected() {
        Backend backend = selected;
        if (backend == null) {
            synchronized (Backend.class) {
                if (selected == null) {
                    selected = choose(System.getProperty(PROPERTY, "auto").toLowerCase(Locale.ROOT));
                    System.out.println("statbridge test infrastructure: " + selected.name().toLowerCase(Locale.ROOT).replace('_', '-')
                            + (selected == CONTAINERS ? " (Testcontainers, image " + ServerContainer.IMAGE + ")" : ""));
                }
                backend = selected;
            }
        }
        return backend;
    }

    private static Backend choose(String setting) {
        return switch (setting) {
            case "in-process" -> IN_PROCESS;
            case "containers" -> {
                if (!DockerClientFactory.instance().isDockerAvailable()) {
                    throw new IllegalStateException(PROPERTY + "=containers, but no container engine answers (set DOCKER_HOST, e.g. "
                            + "unix:///run/podman/podman.sock from `podman system service`)");
                }
                yield CONTAINERS;
            }
            case "auto" -> engineConfigured() && DockerClientFactory.instance().isDockerAvailable() ? CONTAINERS : IN_PROCESS;
            default -> throw new IllegalArgumentException(PROPERTY + " must be in-process, containers or auto, not " + setting);
        };
    }

    private static boolean engineConfigured() {
        return System.getenv("DOCKER_HOST") != null || Files.exists(Path.of("/var/run/docker.sock"));
    }
}

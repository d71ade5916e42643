package statbridge.testing;

import com.github.dockerjava.api.DockerClient;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.BindMode;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.output.OutputFrame;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

/**
 * One of the fixture's servers in a container, started through Testcontainers: the locally built JRE
 * image ({@code deploy/build-image.sh --bases} makes it from Debian's packages) with this test JVM's
 * classpath mounted read-only, running {@code main} — the same server code as the in-process
 * back-end, with its data in the container's own file system. The container shares the host's
 * network (rootful podman without a bridge here), so the port the server prints is the one to use.
 * It prints {@code READY key=value ...} when it serves; {@link #ready()} reads the last such line.
 */
final class ServerContainer implements AutoCloseable {

    static final String IMAGE = System.getProperty("statbridge.infrastructure.image", "localhost/statbridge-runtime-base:bookworm");
    private static final Pattern READY = Pattern.compile("READY((?: \\w+=\\S+)+)\\r?\\n");
    private static final Path M2 = Path.of(System.getProperty("user.home"), ".m2", "repository").toAbsolutePath();

    private final GenericContainer<?> container;
    private final StringBuffer output = new StringBuffer();
    private final Path log;

    ServerContainer(String name, Class<?> main, List<String> args) {
        this.log = Path.of("target", "infrastructure-" + name + ".log").toAbsolutePath();
        List<String> classpath = classpath();
        List<String> command = new ArrayList<>(List.of("java", "-Xmx1g", "-XX:+UseSerialGC", "-cp", String.join(File.pathSeparator,
                classpath), main.getName()));
        command.addAll(args);
        @SuppressWarnings("resource")
        GenericContainer<?> c = new GenericContainer<>(DockerImageName.parse(IMAGE))
                .withNetworkMode("host")
                .withSharedMemorySize(512L * 1024 * 1024)
                .withCommand(command.toArray(String[]::new))
                .withLogConsumer(this::consume)
                .waitingFor(Wait.forLogMessage(".*READY .*\\n", 1).withStartupTimeout(Duration.ofMinutes(3)));
        for (String root : mountRoots(classpath)) {
            c.withFileSystemBind(root, root, BindMode.READ_ONLY);
        }
        this.container = c;
    }

    void start() throws InterruptedException {
        container.start();
        // The wait strategy follows the log on a stream of its own: wait until this consumer has the line too.
        awaitReadyLines(1);
    }

    private void awaitReadyLines(int lines) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        while (count() < lines) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the server did not become ready within 3 minutes; see " + log);
            }
            Thread.sleep(50);
        }
    }

    /** The key/value pairs of the last READY line the server printed. */
    Map<String, String> ready() {
        Matcher matcher = READY.matcher(output);
        Map<String, String> last = null;
        while (matcher.find()) {
            last = new HashMap<>();
            for (String pair : matcher.group(1).strip().split(" ")) {
                int eq = pair.indexOf('=');
                last.put(pair.substring(0, eq), pair.substring(eq + 1));
            }
        }
        if (last == null) {
            throw new IllegalStateException("the server printed no READY line; see " + log);
        }
        return last;
    }

    /** Stops the container (SIGTERM, the server's clean shutdown), keeping it and its data. */
    void stopKeepingData() {
        client().stopContainerCmd(container.getContainerId()).withTimeout(60).exec();
    }

    /** Starts the stopped container again and waits for its next READY line. */
    void startAgain() throws InterruptedException {
        int before = count();
        client().startContainerCmd(container.getContainerId()).exec();
        // The log stream followed since the first start ended with the stop: follow the log again,
        // which gives it from its beginning (the earlier READY lines too), then the new lines.
        output.setLength(0);
        container.followOutput(this::consume);
        awaitReadyLines(before + 1);
    }

    @Override
    public void close() {
        container.stop();
    }

    private int count() {
        Matcher matcher = READY.matcher(output);
        int n = 0;
        while (matcher.find()) {
            n++;
        }
        return n;
    }

    private static DockerClient client() {
        return DockerClientFactory.instance().client();
    }

    private void consume(OutputFrame frame) {
        if (frame == OutputFrame.END) {
            return;
        }
        String text = frame.getUtf8String();
        output.append(text);
        try {
            Files.createDirectories(log.getParent());
            Files.writeString(log, text, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** What a server's main stops when the container stops it. */
    @FunctionalInterface
    interface Stop {
        void stop() throws Exception;
    }

    /**
     * The end of a server's main in a container: stops the server when the container is stopped
     * (SIGTERM), prints the READY line {@link #ready()} reads, and serves until then.
     */
    static void serveUntilStopped(String name, Stop stop, String readyLine) throws InterruptedException {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                stop.stop();
            } catch (Exception e) {
                e.printStackTrace();
            }
        }, name + "-shutdown"));
        System.out.println("READY " + readyLine);
        Thread.currentThread().join();
    }

    /** This JVM's classpath, a manifest-only jar (as surefire and failsafe start test JVMs) opened into its entries. */
    static List<String> classpath() {
        Set<String> entries = new LinkedHashSet<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            entries.add(Path.of(entry).toAbsolutePath().toString());
            if (entry.endsWith(".jar")) {
                try (JarFile jar = new JarFile(entry)) {
                    Manifest manifest = jar.getManifest();
                    String referenced = manifest == null ? null : manifest.getMainAttributes().getValue("Class-Path");
                    if (referenced != null) {
                        Path base = Path.of(entry).toAbsolutePath().getParent();
                        for (String url : referenced.trim().split("\\s+")) {
                            java.net.URI uri = base.toUri().resolve(url);
                            entries.add(Path.of(uri).toAbsolutePath().normalize().toString());
                        }
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        }
        return List.copyOf(entries);
    }

    /** What to mount for a classpath: the local Maven repository once, and every other entry itself. */
    private static Set<String> mountRoots(List<String> classpath) {
        Set<String> roots = new LinkedHashSet<>();
        for (String entry : classpath) {
            if (!Files.exists(Path.of(entry))) {
                continue;
            }
            roots.add(Path.of(entry).startsWith(M2) ? M2.toString() : entry);
        }
        return roots;
    }
}

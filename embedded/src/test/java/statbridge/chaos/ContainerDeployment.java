package statbridge.chaos;

import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.yaml.snakeyaml.Yaml;
import statbridge.containers.Podman;

/**
 * The soak's pipelines and sinks as containers of the statbridge image, run with podman exactly as
 * {@code deploy/compose.yaml} describes them: its image, each service's command and environment, its
 * replicas, and its one-shot set-up services ({@code migrate}, {@code register-schemas},
 * {@code seed-catalog}) run first, in that order. Only what names the infrastructure differs: the
 * addresses of Kafka, the registry and PostgreSQL (those of {@code statbridge up --infra-only} on this
 * host), and the metrics port each container listens on, since the containers share the host's
 * network here and compose's two replicas of a service cannot both have port 9401. PostgreSQL gets
 * the database, user and password compose's {@code postgres} service would create.
 */
final class ContainerDeployment implements Deployment {

    static final Path COMPOSE = Path.of("..", "deploy", "compose.yaml").toAbsolutePath().normalize();
    private static final List<String> SET_UP = List.of("migrate", "register-schemas", "seed-catalog");

    private final Map<String, Map<String, Object>> services;
    private final String image;
    private final String prefix = "statbridge-soak-" + ProcessHandle.current().pid();
    private final AtomicInteger started = new AtomicInteger();
    private final Set<String> running = ConcurrentHashMap.newKeySet();
    private final Map<String, String> addresses = new LinkedHashMap<>();
    private Path dir;

    @SuppressWarnings("unchecked")
    ContainerDeployment() throws IOException {
        Map<String, Object> compose;
        try (InputStream in = Files.newInputStream(COMPOSE)) {
            compose = new Yaml().load(in);
        }
        this.services = (Map<String, Map<String, Object>>) compose.get("services");
        this.image = (String) services.get("pipeline").get("image");
        if (!image.equals(Podman.IMAGE)) {
            throw new IllegalStateException(COMPOSE + " runs " + image + ", not " + Podman.IMAGE + " (the image the test was given)");
        }
    }

    @Override
    public String pipelineGroup() {
        return environment("pipeline").get("STATBRIDGE_PIPELINE_APPLICATION_ID");
    }

    @Override
    public String sinkGroup() {
        return environment("sink").get("STATBRIDGE_SINK_GROUP_ID");
    }

    @Override
    @SuppressWarnings("unchecked")
    public int replicas() {
        int pipelines = (Integer) ((Map<String, Object>) services.get("pipeline").get("deploy")).get("replicas");
        int sinks = (Integer) ((Map<String, Object>) services.get("sink").get("deploy")).get("replicas");
        if (pipelines != sinks) {
            throw new IllegalStateException("the soak runs as many pipelines as sinks; compose.yaml has " + pipelines + " and " + sinks);
        }
        return pipelines;
    }

    @Override
    public String prepare(String kafka, String registry, String jdbc, Path dir) throws Exception {
        this.dir = dir;
        Map<String, String> postgres = stringMap(services.get("postgres").get("environment"));
        String database = postgres.get("POSTGRES_DB");
        String user = postgres.get("POSTGRES_USER");
        String password = postgres.get("POSTGRES_PASSWORD");
        try (Connection connection = DriverManager.getConnection(jdbc); Statement statement = connection.createStatement()) {
            // What the postgres image does with these: a superuser that owns the database.
            try (PreparedStatement exists = connection.prepareStatement("SELECT 1 FROM pg_roles WHERE rolname = ?")) {
                exists.setString(1, user);
                if (!exists.executeQuery().next()) {
                    statement.execute("CREATE ROLE \"" + user + "\" LOGIN SUPERUSER PASSWORD '" + password.replace("'", "''") + "'");
                    statement.execute("CREATE DATABASE \"" + database + "\" OWNER \"" + user + "\"");
                }
            }
        }
        URI postgresAddress = URI.create(jdbc.substring("jdbc:".length()));
        String componentJdbc = "jdbc:postgresql://" + postgresAddress.getHost() + ":" + postgresAddress.getPort() + "/" + database;
        addresses.put("STATBRIDGE_KAFKA_BOOTSTRAP_SERVERS", kafka);
        addresses.put("STATBRIDGE_SCHEMA_REGISTRY_URL", registry);
        addresses.put("STATBRIDGE_JDBC_URL", componentJdbc);
        for (String service : SET_UP) {
            runToCompletion(service);
        }
        return componentJdbc + "?user=" + user + "&password=" + password;
    }

    @Override
    public Component start(String kind, int instance) throws IOException {
        String name = prefix + "-" + kind + "-" + instance + "-" + started.incrementAndGet();
        Process client = Podman.command(runArguments(kind, name, true)).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve(kind + "-" + instance + ".log").toFile())).start();
        running.add(name);
        return new Component() {
            @Override
            public void kill() throws IOException, InterruptedException {
                signal(name, "KILL");
            }

            @Override
            public void terminate() throws IOException, InterruptedException {
                signal(name, "TERM");
            }

            @Override
            public boolean waitFor(Duration timeout) throws InterruptedException {
                // The client of `podman run --rm` ends once the container has exited and is removed.
                boolean exited = client.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
                if (exited) {
                    running.remove(name);
                }
                return exited;
            }
        };
    }

    /** Removes every container this deployment started that is still there. */
    @Override
    public void close() throws IOException, InterruptedException {
        for (String name : List.copyOf(running)) {
            Podman.run(List.of("rm", "--force", "--time", "0", name), 120);
            running.remove(name);
        }
    }

    private void signal(String name, String signal) throws IOException, InterruptedException {
        // A container that has already exited has nothing to signal.
        Podman.run(List.of("kill", "--signal", signal, name), 60);
    }

    private void runToCompletion(String service) throws Exception {
        String name = prefix + "-" + service;
        Path log = dir.resolve(service + ".log");
        Process client = Podman.command(runArguments(service, name, false)).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        if (!client.waitFor(3, TimeUnit.MINUTES)) {
            client.destroyForcibly();
            Podman.run(List.of("rm", "--force", "--time", "0", name), 120);
            throw new IllegalStateException("compose service " + service + " did not finish within 3 minutes:\n" + Files.readString(log));
        }
        if (client.exitValue() != 0) {
            throw new IllegalStateException("compose service " + service + " exited " + client.exitValue() + ":\n" + Files.readString(log));
        }
    }

    /** {@code podman run} of compose service {@code service}: its environment and command, with this host's addresses. */
    @SuppressWarnings("unchecked")
    private List<String> runArguments(String service, String name, boolean longRunning) throws IOException {
        List<String> args = new ArrayList<>(List.of("run", "--rm", "--name", name, "--network", "host"));
        Object stop = services.get(service).get("stop_grace_period");
        if (longRunning && stop != null) {
            args.addAll(List.of("--stop-timeout", stop.toString().replace("s", "")));
        }
        environment(service).forEach((key, value) -> args.addAll(List.of("--env", key + "=" + value)));
        args.add(image);
        List<String> command = new ArrayList<>((List<String>) services.get(service).get("command"));
        int port = command.indexOf("--metrics-port");
        if (port >= 0) {
            command.set(port + 1, Integer.toString(freePort()));
        }
        args.addAll(command);
        return args;
    }

    /** The environment compose gives {@code service} (its own over the shared one), the infrastructure's addresses over both. */
    private Map<String, String> environment(String service) {
        Map<String, String> environment = new LinkedHashMap<>(stringMap(services.get(service).get("environment")));
        environment.putAll(addresses);
        return environment;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, String> stringMap(Object yaml) {
        Map<String, String> map = new LinkedHashMap<>();
        ((Map<String, Object>) yaml).forEach((key, value) -> map.put(key, String.valueOf(value)));
        return map;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}

package statbridge.testing;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real PostgreSQL server (the zonky embedded binaries, run as a child process, or in a container of
 * its own when the run's {@link Backend} is containers) on a free loopback port, with a data
 * directory that survives {@link #stop()} and {@link #restart()} so tests can take the database away
 * and give it back.
 */
public final class PostgresServer implements AutoCloseable {

    private static final AtomicInteger DATABASES = new AtomicInteger();
    private static final AtomicInteger CONTAINERS = new AtomicInteger();

    private final Path dataDirectory;
    private final java.util.Map<String, String> serverConfig;
    private EmbeddedPostgres postgres;
    private ServerContainer container;
    private boolean containerRunning;
    private int port;

    private PostgresServer(Path dataDirectory, java.util.Map<String, String> serverConfig) {
        this.dataDirectory = dataDirectory;
        this.serverConfig = serverConfig;
    }

    /** Initialises a fresh data directory and starts the server (fsync off: fast, for tests). */
    public static PostgresServer start() throws IOException {
        return start(java.util.Map.of());
    }

    /**
     * Starts a server with extra settings, e.g. {@code fsync=on, synchronous_commit=on} for
     * benchmarks whose figures must mean durable writes.
     */
    public static PostgresServer start(java.util.Map<String, String> settings) throws IOException {
        if (Backend.selected() == Backend.CONTAINERS) {
            PostgresServer server = new PostgresServer(Path.of("/var/lib/statbridge-test/postgres"), settings);
            try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
                server.port = socket.getLocalPort();
            }
            java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of(Integer.toString(server.port),
                    server.dataDirectory.toString()));
            settings.forEach((key, value) -> args.add(key + "=" + value));
            server.container = new ServerContainer("postgres-" + CONTAINERS.incrementAndGet(), PostgresMain.class, args);
            try {
                server.container.start();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while PostgreSQL's container started", e);
            }
            server.containerRunning = true;
            return server;
        }
        PostgresServer server = new PostgresServer(Files.createTempDirectory("statbridge-pg-"), settings);
        server.postgres = server.builder().start();
        server.port = server.postgres.getPort();
        return server;
    }

    /** The server in this JVM's child process, on {@code port}, with {@code dataDirectory} (for {@link PostgresMain}). */
    static PostgresServer startInProcess(Path dataDirectory, int port, java.util.Map<String, String> settings) throws IOException {
        PostgresServer server = new PostgresServer(dataDirectory, settings);
        server.postgres = server.builder().setPort(port).start();
        server.port = port;
        return server;
    }

    private EmbeddedPostgres.Builder builder() {
        EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                .setDataDirectory(dataDirectory)
                .setCleanDataDirectory(false)
                .setServerConfig("max_connections", "200")
                .setServerConfig("shared_preload_libraries", "pg_stat_statements");
        String log = System.getProperty("statbridge.test.pg.log");
        if (log != null) {
            // -Dstatbridge.test.pg.log=DIR keeps the server's log there (e.g. a benchmark's auto_explain plans)
            builder.setServerConfig("logging_collector", "on").setServerConfig("log_directory", log);
            // -Dstatbridge.test.pg.log.min.ms=N logs there every statement that takes N ms or more, with its duration
            builder.setServerConfig("log_min_duration_statement", System.getProperty("statbridge.test.pg.log.min.ms", "-1"));
        }
        serverConfig.forEach(builder::setServerConfig);
        return builder;
    }

    public int port() {
        return port;
    }

    /** A JDBC URL for {@code database} as the superuser {@code postgres}. */
    public String jdbcUrl(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database + "?user=postgres";
    }

    /** Creates an empty database with a unique name starting with {@code prefix}; returns its JDBC URL. */
    public String createDatabase(String prefix) throws SQLException {
        String name = (prefix.replaceAll("[^a-z0-9_]", "_") + "_" + DATABASES.incrementAndGet()).toLowerCase();
        try (Connection connection = DriverManager.getConnection(jdbcUrl("postgres"));
                Statement statement = connection.createStatement()) {
            statement.execute("CREATE DATABASE " + name);
        }
        return jdbcUrl(name);
    }

    /** An outage of one database: no new connection is accepted until it is closed. */
    public interface Outage extends AutoCloseable {
        @Override
        void close() throws SQLException;
    }

    /**
     * Refuses every new connection to the database of {@code jdbcUrl} and ends the open ones, until
     * the returned outage is closed: to the sink, PostgreSQL is down, while the server goes on
     * serving the other tests' databases.
     */
    public Outage outage(String jdbcUrl) throws SQLException {
        String path = java.net.URI.create(jdbcUrl.substring("jdbc:".length())).getPath();
        String database = path.substring(1);
        if (!database.matches("[a-z0-9_]+")) {
            throw new IllegalArgumentException("not a test database: " + database);
        }
        try (Connection connection = DriverManager.getConnection(jdbcUrl("postgres"));
                Statement statement = connection.createStatement()) {
            statement.execute("ALTER DATABASE " + database + " ALLOW_CONNECTIONS false");
            statement.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + database + "'");
        }
        return () -> {
            try (Connection connection = DriverManager.getConnection(jdbcUrl("postgres"));
                    Statement statement = connection.createStatement()) {
                statement.execute("ALTER DATABASE " + database + " ALLOW_CONNECTIONS true");
            }
        };
    }

    /** Stops the server, keeping its data. */
    public synchronized void stop() throws IOException {
        if (container != null) {
            if (containerRunning) {
                container.stopKeepingData();
                containerRunning = false;
            }
            return;
        }
        if (postgres != null) {
            postgres.close();
            postgres = null;
        }
    }

    /** Starts the server again on the same port with the same data. */
    public synchronized void restart() throws IOException {
        stop();
        if (container != null) {
            try {
                container.startAgain();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while PostgreSQL's container started again", e);
            }
            containerRunning = true;
            return;
        }
        postgres = builder().setPort(port).start();
    }

    @Override
    public void close() throws IOException {
        if (container != null) {
            container.close();
            return;
        }
        stop();
        KafkaBroker.deleteRecursively(dataDirectory);
    }
}

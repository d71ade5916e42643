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
 * A real PostgreSQL server (the zonky embedded binaries, run as a child process) on a free
 * loopback port, with a data directory that survives {@link #stop()} and {@link #restart()} so
 * tests can take the database away and give it back.
 */
public final class PostgresServer implements AutoCloseable {

    private static final AtomicInteger DATABASES = new AtomicInteger();

    private final Path dataDirectory;
    private final java.util.Map<String, String> serverConfig;
    private EmbeddedPostgres postgres;
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
        PostgresServer server = new PostgresServer(Files.createTempDirectory("statbridge-pg-"), settings);
        server.postgres = server.builder().start();
        server.port = server.postgres.getPort();
        return server;
    }

    private EmbeddedPostgres.Builder builder() {
        EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                .setDataDirectory(dataDirectory)
                .setCleanDataDirectory(false)
                .setServerConfig("max_connections", "200");
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

    /** Stops the server, keeping its data. */
    public synchronized void stop() throws IOException {
        if (postgres != null) {
            postgres.close();
            postgres = null;
        }
    }

    /** Starts the server again on the same port with the same data. */
    public synchronized void restart() throws IOException {
        stop();
        postgres = builder().setPort(port).start();
    }

    @Override
    public void close() throws IOException {
        stop();
        KafkaBroker.deleteRecursively(dataDirectory);
    }
}

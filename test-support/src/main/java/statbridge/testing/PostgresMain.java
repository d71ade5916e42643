package statbridge.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The fixture's PostgreSQL as a program of its own, for a container: {@code PostgresMain PORT DATA_DIR
 * [setting=value ...]} starts the server on that port with that data directory (initialised the first
 * time, reused when the container starts again), prints {@code READY port=...} and serves until stopped.
 */
public final class PostgresMain {

    private PostgresMain() {
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        Path data = Files.createDirectories(Path.of(args[1]));
        Map<String, String> settings = new LinkedHashMap<>();
        for (int i = 2; i < args.length; i++) {
            int eq = args[i].indexOf('=');
            settings.put(args[i].substring(0, eq), args[i].substring(eq + 1));
        }
        PostgresServer server = PostgresServer.startInProcess(data, port, settings);
        ServerContainer.serveUntilStopped("postgres", server::stop, "port=" + server.port());
    }
}

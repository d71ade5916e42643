package statbridge.cli;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;

/**
 * Where a {@code statbridge up} running on this machine listens, so that commands in another
 * terminal find it without flags: written at {@code ~/.statbridge/endpoints.properties} (or under
 * {@code STATBRIDGE_HOME}) when the
 * stack is ready, removed when it stops, and ignored when the process that wrote it is gone.
 */
public final class LocalEndpoints {

    private LocalEndpoints() {
    }

    public static Path file() {
        String override = System.getProperty("statbridge.home", System.getenv("STATBRIDGE_HOME"));
        Path home = override != null ? Path.of(override) : Path.of(System.getProperty("user.home"), ".statbridge");
        return home.resolve("endpoints.properties");
    }

    public static void write(Map<String, String> endpoints) throws IOException {
        Path file = file();
        Files.createDirectories(file.getParent());
        Properties properties = new Properties();
        properties.putAll(endpoints);
        properties.put("pid", Long.toString(ProcessHandle.current().pid()));
        try (Writer writer = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            properties.store(writer, "written by statbridge up; removed when it stops");
        }
    }

    public static void remove() {
        try {
            Optional<Map<String, String>> current = read();
            if (current.isPresent() && Long.toString(ProcessHandle.current().pid()).equals(current.get().get("pid"))) {
                Files.deleteIfExists(file());
            }
        } catch (IOException ignored) {
            // nothing to clean up
        }
    }

    /** The endpoints of a running {@code statbridge up}, if there is one. */
    public static Optional<Map<String, String>> read() {
        Path file = file();
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            properties.load(reader);
        } catch (IOException e) {
            return Optional.empty();
        }
        String pid = properties.getProperty("pid", "");
        boolean alive;
        try {
            alive = ProcessHandle.of(Long.parseLong(pid)).map(ProcessHandle::isAlive).orElse(false);
        } catch (NumberFormatException e) {
            alive = false;
        }
        if (!alive) {
            return Optional.empty();
        }
        Map<String, String> endpoints = new TreeMap<>();
        properties.stringPropertyNames().forEach(key -> endpoints.put(key, properties.getProperty(key)));
        return Optional.of(endpoints);
    }
}

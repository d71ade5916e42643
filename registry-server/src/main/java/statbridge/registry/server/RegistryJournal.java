package statbridge.registry.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import statbridge.registry.CompatibilityLevel;
import statbridge.registry.RegistryException;
import statbridge.registry.SchemaRegistryStore;

/**
 * Keeps a registry's state in a file: every change is appended as a JSON line and replayed on the
 * next start. The operations are deterministic, so schema ids come back the same, which records
 * already in Kafka carry.
 */
public final class RegistryJournal implements SchemaRegistryStore.ChangeLog, AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Writer journal;

    private RegistryJournal(Writer journal) {
        this.journal = journal;
    }

    /** The store {@code file} holds (empty when there is no file yet), journaling every change from now on to it. */
    public static SchemaRegistryStore open(Path file) throws IOException {
        SchemaRegistryStore store = new SchemaRegistryStore();
        if (Files.exists(file)) {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            for (String line : lines) {
                if (!line.isBlank()) {
                    replay(store, JSON.readTree(line), file, line);
                }
            }
        }
        Files.createDirectories(file.toAbsolutePath().getParent());
        store.recordChangesTo(new RegistryJournal(Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND)));
        return store;
    }

    private static void replay(SchemaRegistryStore store, JsonNode change, Path file, String line) throws IOException {
        String subject = change.path("subject").isNull() ? null : change.path("subject").asText(null);
        switch (change.get("op").asText()) {
            case "register" -> store.register(subject, change.get("schema").asText());
            case "level" -> {
                CompatibilityLevel level = CompatibilityLevel.parse(change.get("level").asText());
                if (subject == null) {
                    store.setGlobalLevel(level);
                } else {
                    store.setSubjectLevel(subject, level);
                }
            }
            case "delete-level" -> store.deleteSubjectLevel(subject);
            case "delete-subject" -> store.deleteSubject(subject);
            case "delete-version" -> store.deleteVersion(subject, change.get("version").asText());
            default -> throw new IOException("unknown change in " + file + ": " + line);
        }
    }

    @Override
    public synchronized void append(String op, String subject, String field, String value) {
        ObjectNode change = JSON.createObjectNode().put("op", op).put("subject", subject);
        if (field != null) {
            change.put(field, value);
        }
        try {
            journal.write(change.toString());
            journal.write('\n');
            journal.flush();
        } catch (IOException e) {
            throw new RegistryException(500, RegistryException.INTERNAL_ERROR, "cannot persist the registry change: " + e.getMessage());
        }
    }

    @Override
    public void close() {
        try {
            journal.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

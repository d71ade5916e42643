package statbridge.registry.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import statbridge.registry.CompatibilityLevel;
import statbridge.registry.RegisteredSchema;
import statbridge.registry.RegistryException;
import statbridge.registry.SchemaRegistryStore;

/**
 * The Confluent REST API over a {@link SchemaRegistryStore}: each route, its JSON body and its
 * answer, with Confluent's error codes. {@link SchemaRegistryServer} is the HTTP server around it
 * (authentication, read-only mode, limits).
 */
final class RegistryApi {

    private static final Logger LOG = LoggerFactory.getLogger(SchemaRegistryServer.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final SchemaRegistryStore store;
    private final BooleanSupplier readOnly;

    RegistryApi(SchemaRegistryStore store, BooleanSupplier readOnly) {
        this.store = store;
        this.readOnly = readOnly;
    }

    /** The answer to one request, or a {@link RegistryException} with the status and error code. */
    JsonNode route(HttpExchange exchange) throws IOException {
        String method = exchange.getRequestMethod().toUpperCase(Locale.ROOT);
        List<String> path = segments(exchange.getRequestURI().getRawPath());
        String query = exchange.getRequestURI().getRawQuery();
        int n = path.size();
        if (n == 0) {
            return JSON.createObjectNode();
        }
        switch (path.get(0)) {
            case "schemas" -> {
                if (n == 2 && path.get(1).equals("types") && method.equals("GET")) {
                    return JSON.createArrayNode().add("AVRO");
                }
                if (n >= 3 && path.get(1).equals("ids") && method.equals("GET")) {
                    int id = parseId(path.get(2));
                    String schema = store.schemaById(id);
                    if (n == 3) {
                        return JSON.createObjectNode().put("schema", schema);
                    }
                    if (n == 4 && path.get(3).equals("schema")) {
                        return JSON.readTree(schema);
                    }
                    if (n == 4 && path.get(3).equals("versions")) {
                        ArrayNode usages = JSON.createArrayNode();
                        store.usagesOf(id).forEach(u -> usages.addObject().put("subject", u.subject()).put("version", u.version()));
                        return usages;
                    }
                    if (n == 4 && path.get(3).equals("subjects")) {
                        ArrayNode subjects = JSON.createArrayNode();
                        store.usagesOf(id).stream().map(RegisteredSchema::subject).distinct().forEach(subjects::add);
                        return subjects;
                    }
                }
            }
            case "subjects" -> {
                if (n == 1 && method.equals("GET")) {
                    ArrayNode subjects = JSON.createArrayNode();
                    store.subjects().forEach(subjects::add);
                    return subjects;
                }
                String subject = n >= 2 ? path.get(1) : null;
                if (n == 2 && method.equals("POST")) {
                    return registered(store.lookup(subject, schemaText(exchange)));
                }
                if (n == 2 && method.equals("DELETE")) {
                    ArrayNode versions = JSON.createArrayNode();
                    store.deleteSubject(subject).forEach(versions::add);
                    return versions;
                }
                if (n == 3 && path.get(2).equals("versions")) {
                    if (method.equals("GET")) {
                        ArrayNode versions = JSON.createArrayNode();
                        store.versions(subject).forEach(versions::add);
                        return versions;
                    }
                    if (method.equals("POST")) {
                        RegisteredSchema registered = store.register(subject, schemaText(exchange));
                        LOG.debug("registered {} version {} as id {}", subject, registered.version(), registered.id());
                        return JSON.createObjectNode().put("id", registered.id());
                    }
                }
                if (n == 4 && path.get(2).equals("versions")) {
                    if (method.equals("GET")) {
                        return registered(store.version(subject, path.get(3)));
                    }
                    if (method.equals("DELETE")) {
                        return JSON.getNodeFactory().numberNode(store.deleteVersion(subject, path.get(3)));
                    }
                }
                if (n == 5 && path.get(2).equals("versions") && path.get(4).equals("schema") && method.equals("GET")) {
                    return JSON.readTree(store.version(subject, path.get(3)).schema());
                }
            }
            case "compatibility" -> {
                if (method.equals("POST") && n >= 4 && path.get(1).equals("subjects") && path.get(3).equals("versions")) {
                    String version = n == 5 ? path.get(4) : null;
                    List<String> problems = store.testCompatibility(path.get(2), version, schemaText(exchange));
                    ObjectNode result = JSON.createObjectNode().put("is_compatible", problems.isEmpty());
                    if (query != null && query.contains("verbose=true")) {
                        ArrayNode messages = result.putArray("messages");
                        problems.forEach(messages::add);
                    }
                    return result;
                }
            }
            case "config" -> {
                if (n == 1) {
                    if (method.equals("GET")) {
                        return JSON.createObjectNode().put("compatibilityLevel", store.globalLevel().name());
                    }
                    if (method.equals("PUT")) {
                        CompatibilityLevel level = levelFrom(exchange);
                        store.setGlobalLevel(level);
                        return JSON.createObjectNode().put("compatibility", level.name());
                    }
                }
                if (n == 2) {
                    String subject = path.get(1);
                    if (method.equals("GET")) {
                        boolean defaultToGlobal = query != null && query.contains("defaultToGlobal=true");
                        CompatibilityLevel level = store.subjectLevel(subject)
                                .orElseGet(() -> defaultToGlobal ? store.globalLevel() : null);
                        if (level == null) {
                            throw new RegistryException(404, RegistryException.SUBJECT_COMPATIBILITY_NOT_CONFIGURED,
                                    "Subject '" + subject + "' does not have subject-level compatibility configured");
                        }
                        return JSON.createObjectNode().put("compatibilityLevel", level.name());
                    }
                    if (method.equals("PUT")) {
                        CompatibilityLevel level = levelFrom(exchange);
                        store.setSubjectLevel(subject, level);
                        return JSON.createObjectNode().put("compatibility", level.name());
                    }
                    if (method.equals("DELETE")) {
                        CompatibilityLevel removed = store.deleteSubjectLevel(subject)
                                .orElseThrow(() -> RegistryException.subjectNotFound(subject));
                        return JSON.createObjectNode().put("compatibilityLevel", removed.name());
                    }
                }
            }
            case "mode" -> {
                if (method.equals("GET")) {
                    return JSON.createObjectNode().put("mode", readOnly.getAsBoolean() ? "READONLY" : "READWRITE");
                }
            }
            default -> {
                // falls through to 404 below
            }
        }
        throw new RegistryException(404, 404, "HTTP 404 Not Found: " + method + " " + exchange.getRequestURI().getPath());
    }

    private static ObjectNode registered(RegisteredSchema schema) {
        return JSON.createObjectNode().put("subject", schema.subject()).put("version", schema.version())
                .put("id", schema.id()).put("schema", schema.schema());
    }

    static ObjectNode error(int code, String message) {
        return JSON.createObjectNode().put("error_code", code).put("message", message);
    }

    private static String schemaText(HttpExchange exchange) throws IOException {
        JsonNode body = body(exchange);
        String type = body.path("schemaType").asText("AVRO");
        if (!type.equalsIgnoreCase("AVRO")) {
            throw RegistryException.invalidSchema("schemaType " + type + " is not supported by this registry; use AVRO");
        }
        if (body.has("references") && body.get("references").size() > 0) {
            throw RegistryException.invalidSchema("schema references are not supported by this registry");
        }
        JsonNode schema = body.get("schema");
        if (schema == null || !schema.isTextual()) {
            throw RegistryException.invalidSchema("the request body must be {\"schema\": \"<schema text>\"}");
        }
        return schema.asText();
    }

    private static CompatibilityLevel levelFrom(HttpExchange exchange) throws IOException {
        JsonNode body = body(exchange);
        JsonNode level = body.has("compatibility") ? body.get("compatibility") : body.get("compatibilityLevel");
        if (level == null) {
            throw new RegistryException(422, RegistryException.INVALID_COMPATIBILITY_LEVEL,
                    "the request body must be {\"compatibility\": \"<level>\"}");
        }
        try {
            return CompatibilityLevel.parse(level.asText());
        } catch (IllegalArgumentException e) {
            throw new RegistryException(422, RegistryException.INVALID_COMPATIBILITY_LEVEL, "Invalid compatibility level: " + e.getMessage());
        }
    }

    private static JsonNode body(HttpExchange exchange) throws IOException {
        String declared = exchange.getRequestHeaders().getFirst("Content-Length");
        if (declared != null && declared.matches("\\d{1,18}") && Long.parseLong(declared) > SchemaRegistryServer.MAX_REQUEST_BYTES) {
            throw tooLarge();
        }
        try (InputStream in = exchange.getRequestBody()) {
            byte[] bytes = in.readNBytes(SchemaRegistryServer.MAX_REQUEST_BYTES + 1);
            if (bytes.length > SchemaRegistryServer.MAX_REQUEST_BYTES) {
                throw tooLarge();
            }
            if (bytes.length == 0) {
                throw new RegistryException(422, RegistryException.INVALID_SCHEMA, "empty request body");
            }
            try {
                return JSON.readTree(bytes);
            } catch (IOException e) {
                throw new RegistryException(400, 400, "Unrecognized request body: " + e.getMessage());
            }
        }
    }

    private static RegistryException tooLarge() {
        return new RegistryException(413, 413, "the request body is larger than " + SchemaRegistryServer.MAX_REQUEST_BYTES + " bytes");
    }

    private static int parseId(String text) {
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw RegistryException.schemaNotFound("with id '" + text + "'");
        }
    }

    private static List<String> segments(String rawPath) {
        List<String> segments = new ArrayList<>();
        for (String part : rawPath.split("/")) {
            if (!part.isEmpty()) {
                segments.add(URLDecoder.decode(part.replace("+", "%2B"), StandardCharsets.UTF_8));
            }
        }
        return segments;
    }
}

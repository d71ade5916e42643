package statbridge.registry.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.security.MessageDigest;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import statbridge.registry.CompatibilityLevel;
import statbridge.registry.RegisteredSchema;
import statbridge.registry.RegistryException;
import statbridge.registry.RestSchemaRegistryClient;
import statbridge.registry.SchemaRegistryStore;

/**
 * A small schema registry speaking the Confluent REST API, for the embedded stack and the tests:
 * the subset that Confluent's clients and ours use, with the same JSON bodies, content type and
 * error codes, and compatibility enforced per subject. Production points at a real registry.
 *
 * <p>Routes: {@code GET /}, {@code GET /schemas/types}, {@code GET /schemas/ids/{id}[/schema|/versions|/subjects]},
 * {@code GET /subjects}, {@code POST|DELETE /subjects/{s}}, {@code GET|POST /subjects/{s}/versions},
 * {@code GET|DELETE /subjects/{s}/versions/{v}}, {@code GET /subjects/{s}/versions/{v}/schema},
 * {@code POST /compatibility/subjects/{s}/versions[/{v}]}, {@code GET|PUT /config},
 * {@code GET|PUT|DELETE /config/{s}}, {@code GET /mode}.
 *
 * <p>It is for one machine: it keeps no replicas, bodies are capped at {@link #MAX_REQUEST_BYTES}
 * (413 beyond), basic-auth credentials are compared in constant time, and {@link #readOnly} turns
 * registrations, deletions and configuration changes away (422, error code 42205).
 */
public final class SchemaRegistryServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SchemaRegistryServer.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Largest request body accepted; a schema is a few kilobytes. */
    public static final int MAX_REQUEST_BYTES = 1 << 20;
    /** Confluent's error code for a write to a registry (or subject) in read-only mode. */
    public static final int READ_ONLY_MODE = 42205;

    static {
        // The JDK server's own limits, read once when it is first used: a client that trickles a request is cut off.
        System.setProperty("sun.net.httpserver.maxReqTime", System.getProperty("sun.net.httpserver.maxReqTime", "30"));
        System.setProperty("sun.net.httpserver.maxRspTime", System.getProperty("sun.net.httpserver.maxRspTime", "30"));
    }

    private final SchemaRegistryStore store;
    private final HttpServer http;
    private final ExecutorService executor;
    private final byte[] expectedAuthorization;
    private volatile boolean readOnly;

    private SchemaRegistryServer(SchemaRegistryStore store, HttpServer http, ExecutorService executor, String auth) {
        this.store = store;
        this.http = http;
        this.executor = executor;
        this.expectedAuthorization = auth == null ? null : auth.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Starts a server on {@code host:port} (port 0 picks a free one) over {@code store}.
     *
     * @param basicAuthUserInfo {@code user:password} every request must present, or null
     */
    public static SchemaRegistryServer start(String host, int port, SchemaRegistryStore store, String basicAuthUserInfo)
            throws IOException {
        HttpServer http = HttpServer.create(new InetSocketAddress(host, port), 64);
        ExecutorService executor = Executors.newFixedThreadPool(4, r -> {
            Thread thread = new Thread(r, "schema-registry-http");
            thread.setDaemon(true);
            return thread;
        });
        String auth = basicAuthUserInfo == null ? null
                : "Basic " + Base64.getEncoder().encodeToString(basicAuthUserInfo.getBytes(StandardCharsets.UTF_8));
        SchemaRegistryServer server = new SchemaRegistryServer(store, http, executor, auth);
        http.createContext("/", server::handle);
        http.setExecutor(executor);
        http.start();
        LOG.info("schema registry listening on {}", server.url());
        return server;
    }

    /** Starts an unauthenticated server on a free loopback port with an empty store. */
    public static SchemaRegistryServer startLocal() throws IOException {
        return start("127.0.0.1", 0, new SchemaRegistryStore(), null);
    }

    /** The base URL clients should use, e.g. {@code http://127.0.0.1:8081}. */
    public String url() {
        return "http://" + http.getAddress().getHostString() + ":" + http.getAddress().getPort();
    }

    public int port() {
        return http.getAddress().getPort();
    }

    public SchemaRegistryStore store() {
        return store;
    }

    @Override
    public void close() {
        http.stop(0);
        executor.shutdownNow();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            int status = 200;
            JsonNode answer;
            try {
                if (expectedAuthorization != null && !authorized(exchange.getRequestHeaders().getFirst("Authorization"))) {
                    throw new RegistryException(401, RegistryException.UNAUTHORIZED, "Unauthorized");
                }
                if (readOnly && changes(exchange)) {
                    throw new RegistryException(422, READ_ONLY_MODE, "this registry is read-only: it serves the schemas it "
                            + "holds and registers no more");
                }
                answer = route(exchange);
            } catch (RegistryException e) {
                status = e.httpStatus();
                answer = error(e.errorCode(), e.getMessage());
            } catch (IllegalArgumentException e) {
                status = 422;
                answer = error(42203, e.getMessage());
            } catch (RuntimeException e) {
                LOG.warn("registry request {} {} failed", exchange.getRequestMethod(), exchange.getRequestURI(), e);
                status = 500;
                answer = error(RegistryException.INTERNAL_ERROR, "Error in the backend data store: " + e.getMessage());
            }
            byte[] body = JSON.writeValueAsBytes(answer);
            exchange.getResponseHeaders().set("Content-Type", RestSchemaRegistryClient.CONTENT_TYPE);
            exchange.sendResponseHeaders(status, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }

    /** Compares in constant time, so the time an answer takes says nothing about how much of a guess was right. */
    private boolean authorized(String header) {
        return header != null && MessageDigest.isEqual(expectedAuthorization, header.getBytes(StandardCharsets.UTF_8));
    }

    /** Whether a request would change the registry: a registration, a deletion, a change of configuration. */
    private static boolean changes(HttpExchange exchange) {
        String method = exchange.getRequestMethod().toUpperCase(Locale.ROOT);
        String path = exchange.getRequestURI().getPath();
        return method.equals("PUT") || method.equals("DELETE")
                || (method.equals("POST") && path.startsWith("/subjects/") && path.matches("/subjects/[^/]+/versions/?"));
    }

    /** Serves reads only from now on (after the embedded stack has registered the contract's schemas, say). */
    public void readOnly(boolean on) {
        readOnly = on;
        LOG.info("schema registry {} is {}", url(), on ? "read-only" : "read-write");
    }

    private JsonNode route(HttpExchange exchange) throws IOException {
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
                    return JSON.createObjectNode().put("mode", readOnly ? "READONLY" : "READWRITE");
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

    private static ObjectNode error(int code, String message) {
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
        if (declared != null && declared.matches("\\d{1,18}") && Long.parseLong(declared) > MAX_REQUEST_BYTES) {
            throw tooLarge();
        }
        try (InputStream in = exchange.getRequestBody()) {
            byte[] bytes = in.readNBytes(MAX_REQUEST_BYTES + 1);
            if (bytes.length > MAX_REQUEST_BYTES) {
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
        return new RegistryException(413, 413, "the request body is larger than " + MAX_REQUEST_BYTES + " bytes");
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

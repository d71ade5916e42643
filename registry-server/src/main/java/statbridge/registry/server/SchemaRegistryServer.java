package statbridge.registry.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
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
    private final RegistryApi api;

    private SchemaRegistryServer(SchemaRegistryStore store, HttpServer http, ExecutorService executor, String auth) {
        this.store = store;
        this.http = http;
        this.executor = executor;
        this.expectedAuthorization = auth == null ? null : auth.getBytes(StandardCharsets.UTF_8);
        this.api = new RegistryApi(store, () -> readOnly);
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
                answer = api.route(exchange);
            } catch (RegistryException e) {
                status = e.httpStatus();
                answer = RegistryApi.error(e.errorCode(), e.getMessage());
            } catch (IllegalArgumentException e) {
                status = 422;
                answer = RegistryApi.error(42203, e.getMessage());
            } catch (RuntimeException e) {
                LOG.warn("registry request {} {} failed", exchange.getRequestMethod(), exchange.getRequestURI(), e);
                status = 500;
                answer = RegistryApi.error(RegistryException.INTERNAL_ERROR, "Error in the backend data store: " + e.getMessage());
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
}

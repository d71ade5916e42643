package statbridge.console;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import statbridge.config.CommonSettings;
import statbridge.config.Configuration;
import statbridge.config.ConfigurationException;
import statbridge.registry.RegistrySettings;
import statbridge.registry.SchemaRegistryClient;
import statbridge.registry.SchemaRegistryClients;
import statbridge.sink.SinkSettings;
import statbridge.pipeline.PipelineSettings;

/**
 * The console: a read-only web page of the migration ({@code /}) and the Model Health charts of
 * both shapes ({@code /model}), served by the JVM's own HTTP server from two threads, with nothing
 * from the internet. Only GET and HEAD; a bad parameter is a 400 with the reason on the page.
 */
public final class ConsoleServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ConsoleServer.class);
    private static final int PORTS_TRIED = 50;

    private final HttpServer http;
    private final ExecutorService threads;
    private final ConsoleData data;
    private final KafkaWatch kafka;
    private final SchemaRegistryClient registry;
    private final ConsolePages pages;
    private final String authorization;
    private final ConsoleData.Login login;

    private ConsoleServer(HttpServer http, ExecutorService threads, ConsoleData data, KafkaWatch kafka, SchemaRegistryClient registry,
            String authorization, ConsoleData.Login login) {
        this.http = http;
        this.threads = threads;
        this.data = data;
        this.kafka = kafka;
        this.registry = registry;
        this.pages = new ConsolePages(data, kafka);
        this.authorization = authorization;
        this.login = login;
    }

    /** Who the console logged in as. */
    public ConsoleData.Login login() {
        return login;
    }

    /**
     * Starts the console on {@code console.bind} and {@code console.port} (or the next free port).
     *
     * @throws ConfigurationException when it would listen beyond this machine without authentication
     * @throws IllegalStateException when PostgreSQL cannot be read as the console's role
     */
    public static ConsoleServer start(Configuration config) throws IOException {
        String bind = config.get(ConsoleSettings.BIND);
        String user = config.isSet(ConsoleSettings.AUTH_USER) ? config.get(ConsoleSettings.AUTH_USER) : null;
        String password = config.isSet(ConsoleSettings.AUTH_PASSWORD) ? config.get(ConsoleSettings.AUTH_PASSWORD) : null;
        if ((user == null) != (password == null)) {
            throw new ConfigurationException("console.auth.user and console.auth.password go together: set both, or neither");
        }
        if (user == null && !isLoopback(bind)) {
            throw new ConfigurationException("the console would listen on " + bind + " for anyone: set console.auth.user and "
                    + "console.auth.password (basic authentication), or keep console.bind at 127.0.0.1");
        }
        ConsoleData data = ConsoleData.open(config);
        SchemaRegistryClient registry = null;
        KafkaWatch kafka = null;
        try {
            ConsoleData.Login login = data.check();
            if (login.superuser() || login.canWrite()) {
                LOG.info("the console logs in as {}, which can write; it reads as {} (the connection's role, read-only "
                        + "transactions)", login.user(), statbridge.tools.lifecycle.LegacyReaders.CONSOLE_ROLE);
            }
            registry = SchemaRegistryClients.create(RegistrySettings.clientConfig(config));
            KafkaWatch.Consumers consumers = new KafkaWatch.Consumers(config.get(PipelineSettings.APPLICATION_ID),
                    java.util.List.of(config.get(CommonSettings.TOPIC_V1)), config.get(SinkSettings.GROUP_ID),
                    java.util.List.of(config.get(CommonSettings.TOPIC_V2), config.get(CommonSettings.TOPIC_BUSINESS_V2)),
                    config.get(CommonSettings.TOPIC_DLQ));
            Duration window = Duration.ofDays(statbridge.tools.series.SeriesSettings.rule(config).windowDays() + 1L);
            kafka = new KafkaWatch(CommonSettings.kafkaClientConfig(config), registry, consumers, () -> {
                try {
                    return data.sinkOffsets();
                } catch (SQLException e) {
                    throw new IllegalStateException("cannot read the sink's offsets: " + e.getMessage(), e);
                }
            }, window, Clock.systemUTC()).start(config.getDuration(ConsoleSettings.REFRESH));
            HttpServer http = bind(bind, config.getInt(ConsoleSettings.PORT));
            AtomicInteger number = new AtomicInteger(1);
            ExecutorService threads = Executors.newFixedThreadPool(2, r -> {
                Thread thread = new Thread(r, "console-http-" + number.getAndIncrement());
                thread.setDaemon(true);
                return thread;
            });
            String expected = user == null ? null
                    : "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
            ConsoleServer server = new ConsoleServer(http, threads, data, kafka, registry, expected, login);
            http.createContext("/", server::handle);
            http.setExecutor(threads);
            http.start();
            return server;
        } catch (IOException | RuntimeException e) {
            if (kafka != null) {
                kafka.close();
            }
            if (registry != null) {
                registry.close();
            }
            data.close();
            throw e;
        }
    }

    private static boolean isLoopback(String host) {
        return host.equals("127.0.0.1") || host.equals("localhost") || host.equals("::1") || host.startsWith("127.");
    }

    private static HttpServer bind(String host, int port) throws IOException {
        if (port == 0) {
            return HttpServer.create(new InetSocketAddress(host, 0), 32);
        }
        BindException last = null;
        for (int candidate = port; candidate < port + PORTS_TRIED && candidate <= 65535; candidate++) {
            try {
                return HttpServer.create(new InetSocketAddress(host, candidate), 32);
            } catch (BindException e) {
                last = e;
            }
        }
        throw new IOException("no free port for the console from " + port + " to " + (port + PORTS_TRIED - 1) + " on " + host, last);
    }

    /** The address to open, e.g. {@code http://127.0.0.1:8088/}. */
    public String url() {
        InetSocketAddress address = http.getAddress();
        String host = address.getHostString();
        return "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + address.getPort() + "/";
    }

    /** The data the pages read, as the console's role. */
    public ConsoleData data() {
        return data;
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (authorization != null && !authorized(exchange.getRequestHeaders().getFirst("Authorization"))) {
                exchange.getResponseHeaders().set("WWW-Authenticate", "Basic realm=\"statbridge console\", charset=\"UTF-8\"");
                respond(exchange, 401, ConsolePages.error(401, "this console asks for a user name and password"));
                return;
            }
            String method = exchange.getRequestMethod();
            if (!method.equals("GET") && !method.equals("HEAD")) {
                exchange.getResponseHeaders().set("Allow", "GET, HEAD");
                respond(exchange, 405, ConsolePages.error(405, "the console is read-only: " + method + " is not allowed"));
                return;
            }
            String path = exchange.getRequestURI().getRawPath();
            try {
                Map<String, String> query = query(exchange.getRequestURI().getRawQuery());
                switch (path) {
                    case "/" -> respond(exchange, 200, pages.overview());
                    case "/model" -> respond(exchange, 200, pages.model(query));
                    case "/health" -> respond(exchange, 200, "ok");
                    default -> respond(exchange, 404, ConsolePages.error(404, "no page " + path + " here"));
                }
            } catch (ConsolePages.BadRequest e) {
                respond(exchange, 400, ConsolePages.error(400, e.getMessage()));
            } catch (SQLException | RuntimeException e) {
                LOG.warn("console: {} failed", path, e);
                respond(exchange, 503, ConsolePages.error(503, "could not read the migration's state: " + e.getMessage()));
            }
        }
    }

    private boolean authorized(String header) {
        return header != null && MessageDigest.isEqual(header.getBytes(StandardCharsets.UTF_8), authorization.getBytes(StandardCharsets.UTF_8));
    }

    /** The parameters of a query string; a parameter given twice, or not UTF-8 percent-encoding, is a bad request. */
    static Map<String, String> query(String raw) {
        Map<String, String> parameters = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) {
            return parameters;
        }
        if (raw.length() > 4096) {
            throw new ConsolePages.BadRequest("the query string is longer than 4096 characters");
        }
        for (String pair : raw.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String name = decode(eq < 0 ? pair : pair.substring(0, eq));
            String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
            if (parameters.putIfAbsent(name, value) != null) {
                throw new ConsolePages.BadRequest("parameter '" + name + "' is given twice");
            }
        }
        return parameters;
    }

    private static String decode(String text) {
        try {
            return URLDecoder.decode(text, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new ConsolePages.BadRequest("the query string is not valid percent-encoding: " + e.getMessage());
        }
    }

    private static void respond(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", body.startsWith("<!DOCTYPE") ? "text/html; charset=utf-8" : "text/plain; charset=utf-8");
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        exchange.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
        exchange.getResponseHeaders().set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'");
        boolean head = exchange.getRequestMethod().equals("HEAD");
        exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
        if (!head) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    @Override
    public void close() {
        http.stop(0);
        threads.shutdownNow();
        kafka.close();
        registry.close();
        data.close();
    }
}

package statbridge.operations;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import statbridge.runtime.Component.Health;

/**
 * The HTTP port a running component exposes: {@code GET /metrics} in the Prometheus text format
 * and {@code GET /health}, which answers 200 {@code UP} or 503 with the reason.
 */
public final class OperationsServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(OperationsServer.class);

    private final HttpServer http;
    private final PrometheusMeterRegistry registry;

    private OperationsServer(HttpServer http, PrometheusMeterRegistry registry) {
        this.http = http;
        this.registry = registry;
    }

    /** A registry whose meters the server will publish, with the JVM's memory, GC, threads and CPU bound to it. */
    public static PrometheusMeterRegistry newRegistry() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics().bindTo(registry);
        new io.micrometer.core.instrument.binder.jvm.JvmGcMetrics().bindTo(registry);
        new io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics().bindTo(registry);
        new io.micrometer.core.instrument.binder.system.ProcessorMetrics().bindTo(registry);
        new io.micrometer.core.instrument.binder.system.UptimeMetrics().bindTo(registry);
        return registry;
    }

    /** Starts serving on {@code host:port} (0 picks a free port). */
    public static OperationsServer start(String host, int port, PrometheusMeterRegistry registry, Supplier<Health> health)
            throws IOException {
        HttpServer http = HttpServer.create(new InetSocketAddress(host, port), 16);
        http.setExecutor(Executors.newSingleThreadExecutor(r -> {
            Thread thread = new Thread(r, "operations-http");
            thread.setDaemon(true);
            return thread;
        }));
        http.createContext("/metrics", exchange -> respond(exchange, 200, "text/plain; version=0.0.4; charset=utf-8",
                registry.scrape()));
        http.createContext("/health", exchange -> {
            Health now;
            try {
                now = health.get();
            } catch (RuntimeException e) {
                now = Health.down(e.toString());
            }
            respond(exchange, now.up() ? 200 : 503, "text/plain; charset=utf-8",
                    (now.up() ? "UP" : "DOWN") + (now.detail() == null ? "" : " " + now.detail()) + "\n");
        });
        http.start();
        OperationsServer server = new OperationsServer(http, registry);
        LOG.info("metrics on http://{}:{}/metrics, health on /health", host, server.port());
        return server;
    }

    public int port() {
        return http.getAddress().getPort();
    }

    private static void respond(HttpExchange exchange, int status, String contentType, String body) throws IOException {
        try (exchange) {
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", contentType);
            exchange.sendResponseHeaders(status, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    @Override
    public void close() {
        http.stop(0);
        registry.close();
    }
}

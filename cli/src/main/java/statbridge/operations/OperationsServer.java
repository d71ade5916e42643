package statbridge.operations;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import statbridge.config.Secrets;
import statbridge.runtime.Component;
import statbridge.runtime.Component.Health;

/**
 * The HTTP port a running component exposes: {@code GET /metrics} in the Prometheus text format,
 * {@code GET /health/live} (200 while the process does its work; a supervisor restarts it on 503),
 * {@code GET /health/ready} (200 while its dependencies answer too; 503 with the reason, e.g. during
 * a PostgreSQL outage, which a restart would not cure) and {@code GET /health} (the same as ready).
 * It answers from two threads, gives a health check two seconds, and drops a request that takes
 * longer than thirty seconds to arrive. Reasons pass through {@link Secrets#redact}.
 */
public final class OperationsServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(OperationsServer.class);
    private static final Duration HEALTH_TIMEOUT = Duration.ofSeconds(2);

    static {
        // The JDK server's own limits, read once when it is first used: a client that trickles a request is cut off.
        System.setProperty("sun.net.httpserver.maxReqTime", System.getProperty("sun.net.httpserver.maxReqTime", "30"));
        System.setProperty("sun.net.httpserver.maxRspTime", System.getProperty("sun.net.httpserver.maxRspTime", "30"));
    }

    private final HttpServer http;
    private final PrometheusMeterRegistry registry;
    private final ExecutorService threads;

    private OperationsServer(HttpServer http, PrometheusMeterRegistry registry, ExecutorService threads) {
        this.http = http;
        this.registry = registry;
        this.threads = threads;
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

    /** Serves a component: liveness from {@link Component#liveness()}, readiness from {@link Component#health()}. */
    public static OperationsServer start(String host, int port, PrometheusMeterRegistry registry, Component component)
            throws IOException {
        return start(host, port, registry, component::liveness, component::health);
    }

    /** Starts serving on {@code host:port} (0 picks a free port). */
    public static OperationsServer start(String host, int port, PrometheusMeterRegistry registry, Supplier<Health> liveness,
            Supplier<Health> readiness) throws IOException {
        HttpServer http = HttpServer.create(new InetSocketAddress(host, port), 16);
        AtomicInteger number = new AtomicInteger(1);
        ExecutorService threads = Executors.newFixedThreadPool(2, r -> {
            Thread thread = new Thread(r, "operations-http-" + number.getAndIncrement());
            thread.setDaemon(true);
            return thread;
        });
        http.setExecutor(threads);
        http.createContext("/metrics", exchange -> respond(exchange, 200, "text/plain; version=0.0.4; charset=utf-8",
                registry.scrape()));
        http.createContext("/health/live", exchange -> health(exchange, liveness));
        http.createContext("/health/ready", exchange -> health(exchange, readiness));
        http.createContext("/health", exchange -> {
            if (!exchange.getRequestURI().getPath().equals("/health")) {
                respond(exchange, 404, "text/plain; charset=utf-8", "not found\n");
                return;
            }
            health(exchange, readiness);
        });
        http.start();
        OperationsServer server = new OperationsServer(http, registry, threads);
        LOG.info("metrics on http://{}:{}/metrics, health on /health/live and /health/ready", host, server.port());
        return server;
    }

    private static void health(HttpExchange exchange, Supplier<Health> check) throws IOException {
        Health now;
        CompletableFuture<Health> answer = CompletableFuture.supplyAsync(check);
        try {
            now = answer.get(HEALTH_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            answer.cancel(true);
            now = Health.down("the health check did not answer within " + HEALTH_TIMEOUT.toSeconds() + " s");
        } catch (ExecutionException e) {
            now = Health.down(e.getCause().toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            now = Health.down("interrupted");
        }
        respond(exchange, now.up() ? 200 : 503, "text/plain; charset=utf-8",
                (now.up() ? "UP" : "DOWN") + (now.detail() == null ? "" : " " + Secrets.redact(now.detail())) + "\n");
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
        threads.shutdownNow();
        registry.close();
    }
}

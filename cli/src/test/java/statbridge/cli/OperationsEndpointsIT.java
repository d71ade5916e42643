package statbridge.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import statbridge.registry.server.SchemaRegistryServer;
import statbridge.sink.SinkFixture;
import statbridge.sink.SinkIT;
import statbridge.testing.KafkaBroker;
import statbridge.testing.PostgresServer;
import statbridge.testing.RealInfrastructure;
import statbridge.v2.MetricType;
import statbridge.v2.ModelStat;

/**
 * {@code statbridge sink} with credentials inside its URLs, bound to loopback: liveness and
 * readiness part ways during a PostgreSQL outage (ready goes down with the reason, live stays up,
 * so a supervisor does not restart it), and no credential reaches the log, {@code /health},
 * {@code /metrics} or {@code config show}.
 */
@ExtendWith(RealInfrastructure.class)
class OperationsEndpointsIT {

    private static final String DB_SECRET = "s3cret-db-pw";
    private static final String REGISTRY_SECRET = "s3cret-registry-pw";

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void livenessAndReadinessPartWaysInAnOutageAndNoCredentialIsEverPrinted(KafkaBroker kafka, SchemaRegistryServer registry,
            PostgresServer postgres) throws Exception {
        try (SinkFixture fixture = new SinkFixture(kafka, registry, postgres, "sink-ops")) {
            fixture.seedCatalog(SinkIT.CATALOG);
            String jdbc = fixture.db.jdbcUrl + "&password=" + DB_SECRET;
            fixture.settings.put("jdbc.url", jdbc);
            fixture.settings.put("schema.registry.url", registry.url().replace("http://", "http://ops:" + REGISTRY_SECRET + "@"));
            fixture.settings.put("operations.bind.address", "127.0.0.1");
            Path config = fixture.writeConfig();
            int port;
            try (ServerSocket socket = new ServerSocket(0)) {
                port = socket.getLocalPort();
            }
            Path log = Path.of("target", "operations-endpoints.log");
            Process sink = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
                    "target/statbridge.jar", "sink", "--config", config.toString(), "--metrics-port", Integer.toString(port))
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            try {
                awaitStatus(port, "/health/ready", 200);
                assertThat(get(port, "/health/live").body()).startsWith("UP ALIVE");

                try (PostgresServer.Outage outage = postgres.outage(fixture.db.jdbcUrl);
                        KafkaProducer<byte[], byte[]> producer = fixture.producer()) {
                    fixture.send(producer, new ModelStat("IntentClassifier", "v4", LocalDate.of(2025, 4, 26), "ALL", MetricType.ONLINE,
                            "accuracy", 0.91), 1_000L);
                    producer.flush();
                    HttpResponse<String> ready = awaitStatus(port, "/health/ready", 503);
                    assertThat(ready.body()).startsWith("DOWN RETRYING: cannot ")
                            .contains("PostgreSQL at " + fixture.db.jdbcUrl + "&password=[hidden]").doesNotContain(DB_SECRET);
                    HttpResponse<String> live = get(port, "/health/live");
                    assertThat(live.statusCode()).as("an outage is no reason to restart the sink").isEqualTo(200);
                }
                awaitStatus(port, "/health/ready", 200);
                fixture.awaitCaughtUp(Duration.ofMinutes(1));
                assertThat(get(port, "/health").body()).startsWith("UP RUNNING");
                String metrics = get(port, "/metrics").body();
                assertThat(metrics).contains("statbridge_sink_rows_written_total").doesNotContain(DB_SECRET)
                        .doesNotContain(REGISTRY_SECRET);
            } finally {
                sink.destroy();
                sink.waitFor(60, TimeUnit.SECONDS);
            }
            String output = Files.readString(log);
            assertThat(output).as("the start line names where it writes, credentials hidden")
                    .contains("into PostgreSQL at " + fixture.db.jdbcUrl + "&password=[hidden]")
                    .contains("schemas from http://[hidden]@");
            assertThat(output).doesNotContain(DB_SECRET).doesNotContain(REGISTRY_SECRET);

            ByteArrayOutputStream shown = new ByteArrayOutputStream();
            PrintStream stdout = System.out;
            int exit;
            try (PrintStream capture = new PrintStream(shown, true, java.nio.charset.StandardCharsets.UTF_8)) {
                System.setOut(capture);
                exit = Statbridge.commandLine().setOut(new java.io.PrintWriter(capture, true))
                        .execute("config", "show", "--config", config.toString());
            } finally {
                System.setOut(stdout);
            }
            String text = shown.toString(java.nio.charset.StandardCharsets.UTF_8);
            assertThat(exit).isZero();
            assertThat(text).contains("jdbc.url").contains("password=[hidden]").contains("http://[hidden]@")
                    .doesNotContain(DB_SECRET).doesNotContain(REGISTRY_SECRET);
        }
    }

    private HttpResponse<String> awaitStatus(int port, String path, int status) throws Exception {
        return await(path + " answers " + status).atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(200))
                .ignoreExceptionsInstanceOf(java.io.IOException.class)
                .until(() -> get(port, path), response -> response.statusCode() == status);
    }

    private HttpResponse<String> get(int port, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}

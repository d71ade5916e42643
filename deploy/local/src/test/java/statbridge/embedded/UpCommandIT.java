package statbridge.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;

/** {@code statbridge up}'s READY contract: plain clients connect to the endpoints it prints; SIGTERM stops it. */
class UpCommandIT {

    private static final Pattern READY = Pattern.compile("READY kafka=(\\S+) registry=(\\S+) jdbc=(\\S+)");

    @Test
    void plainClientsConnectToTheEndpointsUpPrintsAndItStopsOnSigterm() throws Exception {
        Path home = Files.createTempDirectory("statbridge-home");
        Path data = Files.createTempDirectory("statbridge-up");
        ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
                "target/statbridge.jar", "up", "--data-dir", data.toString(), "--kafka-port", "19092", "--registry-port", "18081",
                "--pg-port", "15432", "--metrics-port", "-1");
        builder.environment().put("STATBRIDGE_HOME", home.toString());
        builder.redirectError(Path.of("target", "up-command.log").toFile());
        Process up = builder.start();
        try {
            BufferedReader lines = new BufferedReader(new InputStreamReader(up.getInputStream(), StandardCharsets.UTF_8));
            String line = lines.readLine();
            assertThat(line).as("first line of stdout; see target/up-command.log").isNotNull();
            Matcher ready = READY.matcher(line);
            assertThat(ready.matches()).as(line).isTrue();

            try (Admin admin = Admin.create(Map.of("bootstrap.servers", ready.group(1)))) {
                assertThat(admin.listTopics().names().get(30, TimeUnit.SECONDS))
                        .contains("model-stats.v1", "model-stats.v2", "model-business-stats.v2", "model-stats.dlq", "metric-catalog");
            }
            String subjects = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(ready.group(2) + "/subjects")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertThat(subjects).contains("model-stats.v1-value", "model-stats.v2-value", "model-business-stats.v2-value");
            try (Connection db = DriverManager.getConnection(ready.group(3));
                    ResultSet rows = db.createStatement().executeQuery("SELECT count(*) FROM ml_monitoring.metric_catalog")) {
                rows.next();
                assertThat(rows.getInt(1)).isGreaterThanOrEqualTo(30);
            }
            assertThat(Files.readString(home.resolve("endpoints.properties"))).contains("kafka.bootstrap.servers");

            up.destroy();
            assertThat(up.waitFor(60, TimeUnit.SECONDS)).as("stopped after SIGTERM").isTrue();
            assertThat(home.resolve("endpoints.properties")).as("removed on a clean stop").doesNotExist();
        } finally {
            up.destroyForcibly();
            up.waitFor(Duration.ofSeconds(30).toSeconds(), TimeUnit.SECONDS);
        }
    }
}

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

/**
 * {@code statbridge up}'s READY contract: plain clients connect to the endpoints it prints (Confluent's
 * Python client too, running the publishing guide's example); SIGTERM stops it.
 */
class UpCommandIT {

    /** Debian's python3 with python3-confluent-kafka and python3-avro, which .ci/run installs when missing. */
    private static final String PYTHON = "/usr/bin/python3";
    private static final Path EXAMPLES = Path.of("..", "examples", "python");

    private static final Path NODE_EXAMPLES = Path.of("..", "examples", "node");

    private static String python(String... args) throws Exception {
        java.util.List<String> command = new java.util.ArrayList<>(java.util.List.of(PYTHON));
        command.addAll(java.util.List.of(args));
        return run(new ProcessBuilder(command));
    }

    private static String node(String... args) throws Exception {
        java.util.List<String> command = new java.util.ArrayList<>(java.util.List.of("node"));
        command.addAll(java.util.List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(NODE_EXAMPLES.toFile());
        builder.environment().put("KAFKAJS_NO_PARTITIONER_WARNING", "1");
        return run(builder);
    }

    /** Runs a client process to its end; returns its standard output, failing with its errors. */
    private static String run(ProcessBuilder builder) throws Exception {
        Path errors = Files.createTempFile("client", ".err");
        Process process = builder.redirectError(errors.toFile()).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(120, TimeUnit.SECONDS)).as("%s finished", builder.command()).isTrue();
        assertThat(process.exitValue()).as("%s:%n%s%s", builder.command(), out, Files.readString(errors)).isZero();
        return out;
    }

    private static java.util.List<String> legacyRows(String jdbc, String model, String days) throws Exception {
        java.util.List<String> legacy = new java.util.ArrayList<>();
        try (Connection db = DriverManager.getConnection(jdbc);
                ResultSet rows = db.createStatement().executeQuery("SELECT stat_date, metric_name, metric_value, business_metric_value "
                        + "FROM ml_monitoring.model_stats_daily_legacy WHERE model_name = '" + model + "' AND stat_date IN (" + days + ") "
                        + "ORDER BY stat_date, metric_name")) {
            while (rows.next()) {
                legacy.add(rows.getString(1) + "|" + rows.getString(2) + "|" + rows.getDouble(3) + "|" + rows.getString(4));
            }
        }
        return legacy;
    }

    private static void nodeJobsPublishWithKafkajsAndWithConfluentsSerdeAndReadTheUpcastBack(String kafka, String registry, String jdbc)
            throws Exception {
        assertThat(NODE_EXAMPLES.resolve("node_modules/kafkajs-lz4")).as("installed by the build (npm ci in examples/node)").isDirectory();
        assertThat(Files.readString(Path.of("..", "docs", "publishing.md"))).as("the publishing guide shows the example that runs here")
                .contains(Files.readString(NODE_EXAMPLES.resolve("publish.mjs")).strip());
        node("publish.mjs", kafka, registry);
        node("publish-confluent.mjs", kafka, registry);
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                assertThat(legacyRows(jdbc, "IntentClassifier", "'2026-11-21', '2026-11-22'")).containsExactly(
                        "2026-11-21|accuracy|0.91|null", "2026-11-21|conversion_rate|0.2|75.5", "2026-11-22|accuracy|0.93|null"));
        String upcast = node("read_upcast.mjs", kafka, registry, "IntentClassifier/v4/2026-11-21/ALL");
        assertThat(upcast).contains("{\"topic\":\"model-stats.v2\",\"model_name\":\"IntentClassifier\",\"model_version\":\"v4\","
                + "\"stat_date\":20778,\"slice_key\":\"ALL\",\"metric_type\":\"ONLINE\",\"metric_key\":\"accuracy\",\"metric_value\":0.91}");
        String id = node("register.mjs", registry, "model-stats.v1-value", "../../schemas/src/main/avro/ModelStatV1.avsc");
        String latest = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(registry
                + "/subjects/model-stats.v1-value/versions/latest")).build(), HttpResponse.BodyHandlers.ofString()).body();
        assertThat(latest).as("the contract's v1 schema, registered from Node under the subject's level").contains("\"id\":" + id + ",");
    }

    private static void aPythonJobPublishesV1AndV2AndReadsTheUpcastBack(String kafka, String registry, String jdbc) throws Exception {
        assertThat(Files.readString(Path.of("..", "docs", "publishing.md"))).as("the publishing guide shows the example that runs here")
                .contains(Files.readString(EXAMPLES.resolve("publish.py")).strip());
        python(EXAMPLES.resolve("publish.py").toString(), kafka, registry);
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                assertThat(legacyRows(jdbc, "ChurnPredictor", "'2026-11-20'")).containsExactly(
                        "2026-11-20|churn_rate|0.04|1250", "2026-11-20|conversion_rate|0.12|310"));
        String upcast = python(EXAMPLES.resolve("read_upcast.py").toString(), kafka, registry, "ChurnPredictor/v3/2026-11-20/ALL");
        assertThat(upcast).contains("{\"topic\": \"model-stats.v2\", \"model_name\": \"ChurnPredictor\", \"model_version\": \"v3\", "
                + "\"stat_date\": \"2026-11-20\", \"slice_key\": \"ALL\", \"metric_type\": \"BUSINESS\", \"metric_key\": \"churn_rate\", "
                + "\"metric_value\": \"0.04\"}", "\"topic\": \"model-business-stats.v2\"", "\"business_metric_value\": \"1250.0\"");
    }

    private static void theConsoleItPrintsShowsTheMigrationAndBothShapes(String console) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> page = http.send(HttpRequest.newBuilder(URI.create(console)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(page.statusCode()).as(page.body()).isEqualTo(200);
        assertThat(page.body()).contains("<span id=\"mode\" class=\"badge warn\">on</span>", "ChurnPredictor v3");
        HttpResponse<String> model = http.send(HttpRequest.newBuilder(URI.create(console + "model?model=ChurnPredictor&version=v3&from=2026-11-20&to=2026-11-20"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(model.statusCode()).as(model.body()).isEqualTo(200);
        assertThat(model.body()).as("the Python job's churn_rate, charted from both shapes")
                .contains("data-metric=\"churn_rate\"", "data-points=\"2026-11-20=0.04\"", "identical");
    }

    private static final Pattern READY = Pattern.compile("READY kafka=(\\S+) registry=(\\S+) jdbc=(\\S+) console=(http://127\\.0\\.0\\.1:\\d+/)");

    @Test
    void plainClientsConnectToTheEndpointsUpPrintsAndItStopsOnSigterm() throws Exception {
        Path home = Files.createTempDirectory("statbridge-home");
        Path data = Files.createTempDirectory("statbridge-up");
        ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
                "target/statbridge.jar", "up", "--data-dir", data.toString(), "--kafka-port", "19092", "--registry-port", "18081",
                "--pg-port", "15432", "--metrics-port", "-1", "--console-port", "18088");
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

            aPythonJobPublishesV1AndV2AndReadsTheUpcastBack(ready.group(1), ready.group(2), ready.group(3));
            nodeJobsPublishWithKafkajsAndWithConfluentsSerdeAndReadTheUpcastBack(ready.group(1), ready.group(2), ready.group(3));
            theConsoleItPrintsShowsTheMigrationAndBothShapes(ready.group(4));

            assertThat(Files.readString(Path.of("target", "up-command.log"))).as("the terminal: statbridge's progress, not the components' logs")
                    .contains("logs: " + data.resolve("statbridge.log") + " (--verbose shows them here)", "starting Kafka")
                    .doesNotContain("QuorumController", "starting the sink: group");
            assertThat(data.resolve("statbridge.log")).content().contains("QuorumController", "starting the sink: group");

            up.destroy();
            assertThat(up.waitFor(60, TimeUnit.SECONDS)).as("stopped after SIGTERM").isTrue();
            assertThat(home.resolve("endpoints.properties")).as("removed on a clean stop").doesNotExist();
        } finally {
            up.destroyForcibly();
            up.waitFor(Duration.ofSeconds(30).toSeconds(), TimeUnit.SECONDS);
        }
    }
}

package statbridge.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import statbridge.catalog.CatalogEntry;
import statbridge.cli.CliRunner;
import statbridge.config.Configuration;
import statbridge.config.ConfigurationException;
import statbridge.registry.server.SchemaRegistryServer;
import statbridge.sink.SinkApp;
import statbridge.sink.SinkFixture;
import statbridge.testing.KafkaBroker;
import statbridge.testing.PostgresServer;
import statbridge.testing.RealInfrastructure;
import statbridge.v2.BusinessStat;
import statbridge.v2.MetricType;
import statbridge.v2.ModelStat;

/**
 * The console against a running sink, in Debian's headless Chromium: the migration page shows the
 * mode, a silent series with its dead-letter reason and the dead letters by reason; Model Health
 * draws each metric from both shapes with the same points, before and after {@code dual-write off}
 * from the command line. Its role cannot write, and bad input is a 400 that runs nothing.
 */
@ExtendWith(RealInfrastructure.class)
class ConsoleIT {

    private static final Path SHOTS = Path.of("target", "console-screenshots");
    private final CliRunner cli = new CliRunner();

    /** A sink with 10 days of two metrics (one with its KPI) for one model, and a misspelt key on the last two days. */
    private record Stack(SinkFixture fixture, SinkApp sink, Path config, LocalDate today) implements AutoCloseable {
        Configuration console(Map<String, String> extra) {
            Map<String, String> settings = new HashMap<>(fixture.settings);
            settings.put("console.port", "0");
            settings.put("console.kafka.refresh", "1s");
            settings.putAll(extra);
            return Configuration.load(null, Map.of(), settings);
        }

        @Override
        public void close() {
            sink.close();
            fixture.close();
        }
    }

    private static Stack stack(KafkaBroker kafka, SchemaRegistryServer registry, PostgresServer postgres, String name) throws Exception {
        SinkFixture fixture = new SinkFixture(kafka, registry, postgres, name);
        fixture.seedCatalog(List.of(CatalogEntry.of("accuracy", MetricType.ONLINE, "accuracy"),
                CatalogEntry.of("deflection_rate", MetricType.BUSINESS, "deflection_rate")));
        Path config = fixture.writeConfig();
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        SinkApp sink = new SinkApp(fixture.config(), new SimpleMeterRegistry());
        sink.start();
        try (KafkaProducer<byte[], byte[]> producer = fixture.producer()) {
            long at = System.currentTimeMillis();
            for (int d = 9; d >= 0; d--) {
                LocalDate day = today.minusDays(d);
                String accuracy = d >= 2 ? "accuracy" : "Accuracy"; // the v2 job's misspelling, the last two days
                fixture.send(producer, new ModelStat("IntentClassifier", "v4", day, "ALL", MetricType.ONLINE, accuracy, (90 - d) / 100.0), at++);
                fixture.send(producer, new ModelStat("IntentClassifier", "v4", day, "ALL", MetricType.BUSINESS, "deflection_rate",
                        (300 + d) / 1000.0), at++);
                fixture.send(producer, new BusinessStat("IntentClassifier", "v4", day, "ALL", MetricType.BUSINESS, "deflection_rate",
                        1000.0 + d), at++);
            }
            producer.flush();
        }
        fixture.awaitCaughtUp(Duration.ofMinutes(2));
        await("the two misspelt events dead-lettered").atMost(Duration.ofMinutes(2)).until(() -> fixture.deadLetters().size() == 2);
        return new Stack(fixture, sink, config, today);
    }

    private static WebDriver chromium() throws Exception {
        assertThat(Path.of("/usr/bin/chromium")).as("Debian's chromium (.ci/run installs it)").exists();
        assertThat(Path.of("/usr/bin/chromedriver")).as("Debian's chromium-driver (.ci/run installs it)").exists();
        ChromeOptions options = new ChromeOptions();
        options.setBinary("/usr/bin/chromium");
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--window-size=1400,1800",
                "--user-data-dir=" + Files.createTempDirectory("console-chromium"));
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(new File("/usr/bin/chromedriver"))
                .usingAnyFreePort().withLogFile(Path.of("target", "chromedriver.log").toFile()).build();
        return new ChromeDriver(service, options);
    }

    private static void screenshot(WebDriver browser, String name) throws Exception {
        Files.createDirectories(SHOTS);
        Files.write(SHOTS.resolve(name + ".png"), ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
    }

    /** The points each chart of the Model Health page drew, by metric and shape. */
    private static Map<String, String> points(WebDriver browser) {
        Map<String, String> points = new HashMap<>();
        for (WebElement metric : browser.findElements(By.cssSelector("section.metric"))) {
            String name = metric.getAttribute("data-metric");
            for (WebElement chart : metric.findElements(By.cssSelector("svg.chart"))) {
                String shape = chart.getAttribute("class").replace("chart ", "");
                points.put(name + " " + shape, chart.getAttribute("data-points"));
            }
        }
        return points;
    }

    @Test
    void theMigrationAndBothShapesInABrowserBeforeAndAfterDualWriteOff(KafkaBroker kafka, SchemaRegistryServer registry,
            PostgresServer postgres) throws Exception {
        try (Stack stack = stack(kafka, registry, postgres, "console-browser");
                ConsoleServer console = ConsoleServer.start(stack.console(Map.of()))) {
            WebDriver browser = chromium();
            try {
                browser.get(console.url());
                assertThat(browser.findElement(By.id("mode")).getText()).isEqualTo("on");
                await("the dead letters read from Kafka").atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(500)).until(() -> {
                    browser.navigate().refresh();
                    return !browser.findElements(By.cssSelector("#dead-letters tr.dead-letter-reason")).isEmpty();
                });
                WebElement reason = browser.findElement(By.cssSelector("#dead-letters tr.dead-letter-reason"));
                assertThat(reason.getAttribute("data-reason")).isEqualTo("unmapped-metric-key");
                assertThat(reason.findElements(By.tagName("td")).get(1).getText()).isEqualTo("2");
                assertThat(reason.getText()).contains("statbridge dlq replay --reason unmapped-metric-key");
                List<WebElement> silent = browser.findElements(By.cssSelector("#silent tr.silent-series"));
                assertThat(silent).hasSize(1);
                assertThat(silent.get(0).getText()).contains("IntentClassifier v4 ONLINE/accuracy", stack.today().minusDays(1).toString(),
                        "dead letters: unmapped-metric-key x2", "(ONLINE, Accuracy)");
                assertThat(browser.findElement(By.id("readers")).getText()).contains("would be refused", "dual-write is on");
                assertThat(browser.findElement(By.id("lag")).getText()).contains("sink", stack.fixture().topic("topic.v2"));
                screenshot(browser, "migration-dual-write-on");

                browser.findElement(By.linkText("IntentClassifier v4")).click();
                assertThat(browser.findElement(By.id("summary")).getText()).startsWith("2 of 2 metrics identical");
                Map<String, String> before = points(browser);
                String from = stack.today().minusDays(9).toString();
                assertThat(before.get("deflection_rate legacy")).startsWith(from + "=0.309;").isEqualTo(before.get("deflection_rate new"));
                assertThat(before.get("deflection_rate kpi legacy-kpi")).startsWith(from + "=1009.0;")
                        .isEqualTo(before.get("deflection_rate kpi new-kpi"));
                assertThat(before.get("accuracy legacy")).as("the legacy name answers with the 8 days before the misspelling")
                        .startsWith(from + "=0.81;").isEqualTo(before.get("accuracy new")).contains(stack.today().minusDays(2) + "=0.88")
                        .doesNotContain(stack.today().minusDays(1).toString());
                screenshot(browser, "model-health-dual-write-on");

                assertThat(cli.run("dual-write", "off", "--reason", "console test", "--config", stack.config().toString())).as(cli.err()).isZero();
                browser.get(console.url());
                assertThat(browser.findElement(By.id("mode")).getText()).isEqualTo("off");
                assertThat(browser.findElement(By.id("history")).getText()).contains("OFF", "console test");
                assertThat(browser.findElement(By.id("parity")).getText()).contains("equal");
                screenshot(browser, "migration-dual-write-off");
                browser.get(console.url() + "model?model=IntentClassifier&version=v4");
                assertThat(browser.findElement(By.id("summary")).getText()).startsWith("2 of 2 metrics identical");
                assertThat(points(browser)).as("the legacy view draws what the legacy table drew").isEqualTo(before);
                assertThat(browser.findElements(By.cssSelector(".badge.identical"))).hasSize(2);
                screenshot(browser, "model-health-dual-write-off");
            } finally {
                browser.quit();
            }
        }
    }

    @Test
    void theConsolesRoleCannotWriteAndBadInputIsA400ThatRunsNothing(KafkaBroker kafka, SchemaRegistryServer registry,
            PostgresServer postgres) throws Exception {
        try (Stack stack = stack(kafka, registry, postgres, "console-input");
                ConsoleServer console = ConsoleServer.start(stack.console(Map.of()))) {
            try (Connection connection = console.data().dataSource().getConnection()) {
                connection.setReadOnly(false);
                try (Statement statement = connection.createStatement()) {
                    var who = statement.executeQuery("SELECT current_user");
                    who.next();
                    assertThat(who.getString(1)).isEqualTo("statbridge_console");
                }
                connection.rollback();
                assertThatThrownBy(() -> {
                    try (Statement statement = connection.createStatement()) {
                        statement.execute("DELETE FROM ml_monitoring.model_stats_daily");
                    }
                }).as("its transactions are read-only").isInstanceOfSatisfying(SQLException.class,
                        e -> assertThat(e.getSQLState()).isEqualTo("25006"));
                connection.rollback();
                try (Statement statement = connection.createStatement()) {
                    statement.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE"); // as misuse would
                }
                connection.commit();
                for (String write : List.of(
                        "INSERT INTO ml_monitoring.metric_catalog (metric_name, metric_type, metric_key) VALUES ('x', 'ONLINE', 'x')",
                        "UPDATE ml_monitoring.dual_write_state SET mode = 'OFF'",
                        "DELETE FROM ml_monitoring.model_stats_daily",
                        "CREATE TABLE ml_monitoring.console_was_here (id int)")) {
                    assertThatThrownBy(() -> {
                        try (Statement statement = connection.createStatement()) {
                            statement.execute(write);
                        }
                    }).as(write).isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("42501"));
                    connection.rollback();
                }
            }
            assertThat(stack.fixture().db.rows("SELECT mode FROM ml_monitoring.dual_write_state")).containsExactly("ON");

            HttpClient http = HttpClient.newHttpClient();
            String base = console.url();
            assertBadRequest(http, base + "model?model=NoSuchModel", "unknown model &#39;NoSuchModel&#39;");
            assertBadRequest(http, base + "model?model=IntentClassifier&from=2026-13-45", "from: &#39;2026-13-45&#39; is not a date (YYYY-MM-DD)");
            assertBadRequest(http, base + "model?model=IntentClassifier&to=yesterday", "to: &#39;yesterday&#39; is not a date");
            assertBadRequest(http, base + "model?model=IntentClassifier&from=2000-01-01&to=2026-01-01", "the console draws at most 366");
            assertBadRequest(http, base + "model?model=IntentClassifier&from=2026-02-01&to=2026-01-01", "is after to");
            assertBadRequest(http, base + "model?model=IntentClassifier&version=v9", "has no version &#39;v9&#39;");
            assertBadRequest(http, base + "model?model=IntentClassifier&slice=" + enc("'; drop table ml_monitoring.metric_catalog; --"),
                    "has no slice &#39;&#39;; drop table ml_monitoring.metric_catalog; --&#39;");
            assertBadRequest(http, base + "model?model=" + enc("x' OR '1'='1"), "unknown model &#39;x&#39; OR &#39;1&#39;=&#39;1&#39;");
            assertBadRequest(http, base + "model?model=" + enc("<script>alert(1)</script>"), "&lt;script&gt;alert(1)&lt;/script&gt;");
            assertBadRequest(http, base + "model?model=a&model=b", "given twice");
            assertThat(rawStatusLine(console.url(), "/model?model=%zz")).as("a malformed escape").contains(" 400 ");
            assertThat(stack.fixture().db.rows("SELECT count(*) FROM ml_monitoring.metric_catalog")).as("nothing dropped").containsExactly("2");
            assertThat(get(http, base + "no-such-page").statusCode()).isEqualTo(404);
            HttpResponse<String> post = http.send(HttpRequest.newBuilder(URI.create(base)).POST(HttpRequest.BodyPublishers.ofString("x")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(post.statusCode()).isEqualTo(405);
            HttpResponse<String> fine = get(http, base + "model?model=IntentClassifier&version=v4&slice=ALL&from="
                    + stack.today().minusDays(3) + "&to=" + stack.today());
            assertThat(fine.statusCode()).isEqualTo(200);
            assertThat(fine.body()).contains("data-points=\"" + stack.today().minusDays(3) + "=0.87;" + stack.today().minusDays(2) + "=0.88\"");
        }
    }

    @Test
    void beyondThisMachineOnlyWithBasicAuthentication(KafkaBroker kafka, SchemaRegistryServer registry, PostgresServer postgres)
            throws Exception {
        try (Stack stack = stack(kafka, registry, postgres, "console-auth")) {
            assertThatThrownBy(() -> ConsoleServer.start(stack.console(Map.of("console.bind", "0.0.0.0"))))
                    .isInstanceOf(ConfigurationException.class).hasMessageContaining("console.auth.user");
            try (ConsoleServer console = ConsoleServer.start(stack.console(Map.of("console.bind", "0.0.0.0", "console.auth.user", "platform",
                    "console.auth.password", "s3cret")))) {
                String url = console.url().replace("0.0.0.0", "127.0.0.1");
                HttpClient http = HttpClient.newHttpClient();
                HttpResponse<String> anonymous = get(http, url);
                assertThat(anonymous.statusCode()).isEqualTo(401);
                assertThat(anonymous.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Basic"));
                assertThat(http.send(HttpRequest.newBuilder(URI.create(url)).header("Authorization", basic("platform", "wrong")).build(),
                        HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(401);
                HttpResponse<String> page = http.send(HttpRequest.newBuilder(URI.create(url)).header("Authorization", basic("platform", "s3cret"))
                        .build(), HttpResponse.BodyHandlers.ofString());
                assertThat(page.statusCode()).isEqualTo(200);
                assertThat(page.body()).contains("id=\"mode\"");
            }
        }
    }

    /** The status line the console answers a request line that no HTTP client would send. */
    private static String rawStatusLine(String url, String target) throws Exception {
        URI uri = URI.create(url);
        try (java.net.Socket socket = new java.net.Socket(uri.getHost(), uri.getPort())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(("GET " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            return new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII)).readLine();
        }
    }

    @Test
    void aDatabaseItCannotReachOrThatIsNotMigratedIsAClearRefusal(PostgresServer postgres) throws Exception {
        assertThat(cli.run("console", "--jdbc", "jdbc:postgresql://127.0.0.1:1/stats?password=hunter2", "--kafka", "127.0.0.1:1",
                "--registry", "http://127.0.0.1:1", "--console-port", "0")).as("a service it cannot reach").isEqualTo(1);
        assertThat(cli.err()).contains("cannot read PostgreSQL at jdbc:postgresql://127.0.0.1:1/stats?password=[hidden]")
                .doesNotContain("hunter2");
        String empty = postgres.createDatabase("console_empty");
        assertThat(cli.run("console", "--jdbc", empty, "--kafka", "127.0.0.1:1", "--registry", "http://127.0.0.1:1", "--console-port", "0"))
                .as("a database without statbridge's tables").isEqualTo(2);
        assertThat(cli.err()).contains("run 'statbridge db migrate'");
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    private static String enc(String text) {
        return java.net.URLEncoder.encode(text, StandardCharsets.UTF_8);
    }

    private static HttpResponse<String> get(HttpClient http, String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void assertBadRequest(HttpClient http, String url, String message) throws Exception {
        HttpResponse<String> response = get(http, url);
        assertThat(response.statusCode()).as(url).isEqualTo(400);
        assertThat(response.body()).as(url).contains(message);
    }
}

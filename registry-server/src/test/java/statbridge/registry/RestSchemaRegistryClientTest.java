package statbridge.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import statbridge.registry.server.SchemaRegistryServer;

/** Our REST client against our registry server, over real HTTP on loopback. */
class RestSchemaRegistryClientTest {

    private static final Schema V1 = SchemaBuilder.record("R").namespace("t").fields().requiredString("a").endRecord();
    private static final Schema V2 = SchemaBuilder.record("R").namespace("t").fields().requiredString("a")
            .name("b").type().intType().intDefault(0).endRecord();
    private static final Schema BREAKING = SchemaBuilder.record("R").namespace("t").fields().requiredInt("a").endRecord();

    private SchemaRegistryServer server;

    @BeforeEach
    void startServer() throws IOException {
        server = SchemaRegistryServer.startLocal();
    }

    @AfterEach
    void stopServer() {
        server.close();
    }

    private RestSchemaRegistryClient client(Map<String, Object> extra) {
        Map<String, Object> config = new HashMap<>();
        config.put(RegistryClientConfig.URL, server.url());
        config.put(RegistryClientConfig.RETRIES_WAIT_MS, 10);
        config.putAll(extra);
        return new RestSchemaRegistryClient(RegistryClientConfig.fromMap(config));
    }

    @Test
    void everyOperationRoundTripsThroughTheRestApi() {
        RestSchemaRegistryClient client = client(Map.of());

        int id1 = client.register("model-stats.v1-value", V1);
        assertThat(client.getSchemaById(id1)).isEqualTo(V1);
        assertThat(client.testCompatibility("model-stats.v1-value", V2)).isEmpty();
        assertThat(client.testCompatibility("model-stats.v1-value", BREAKING)).isNotEmpty()
                .anySatisfy(m -> assertThat(m).contains("TYPE_MISMATCH"));
        int id2 = client.register("model-stats.v1-value", V2);

        assertThat(client.getVersions("model-stats.v1-value")).containsExactly(1, 2);
        assertThat(client.getLatestVersion("model-stats.v1-value")).satisfies(latest -> {
            assertThat(latest.id()).isEqualTo(id2);
            assertThat(latest.version()).isEqualTo(2);
            assertThat(new Schema.Parser().parse(latest.schema())).isEqualTo(V2);
        });
        assertThat(client.getVersion("model-stats.v1-value", 1).id()).isEqualTo(id1);
        assertThat(client.lookup("model-stats.v1-value", V1)).get().extracting(RegisteredSchema::version).isEqualTo(1);
        assertThat(client.lookup("model-stats.v1-value", BREAKING)).isEmpty();
        assertThat(client.lookup("no-such-subject", V1)).isEmpty();
        assertThat(client.getSubjects()).containsExactly("model-stats.v1-value");
        assertThat(client.testCompatibility("new-subject-value", BREAKING)).isEmpty();

        assertThat(client.getCompatibility(null)).contains(CompatibilityLevel.BACKWARD);
        assertThat(client.getCompatibility("model-stats.v1-value")).isEmpty();
        client.setCompatibility("model-stats.v1-value", CompatibilityLevel.BACKWARD_TRANSITIVE);
        assertThat(client.getCompatibility("model-stats.v1-value")).contains(CompatibilityLevel.BACKWARD_TRANSITIVE);
    }

    @Test
    void refusalsCarryTheRegistrysStatusAndErrorCode() {
        RestSchemaRegistryClient client = client(Map.of());
        client.register("s-value", V1);

        assertThatThrownBy(() -> client.register("s-value", BREAKING))
                .isInstanceOfSatisfying(RegistryException.class, e -> {
                    assertThat(e.httpStatus()).isEqualTo(409);
                    assertThat(e.errorCode()).isEqualTo(409);
                    assertThat(e.getMessage()).contains("incompatible");
                });
        assertThatThrownBy(() -> client.getSchemaById(4242))
                .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.errorCode()).isEqualTo(40403));
        assertThatThrownBy(() -> client.getLatestVersion("missing-value"))
                .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.errorCode()).isEqualTo(40401));
    }

    @Test
    void answersUseTheRegistryContentType() throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create(server.url() + "/subjects")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.headers().firstValue("Content-Type")).contains("application/vnd.schemaregistry.v1+json");
        assertThat(response.body()).isEqualTo("[]");
    }

    @Test
    void aDeadUrlIsSkippedForTheNextOne() throws IOException {
        RestSchemaRegistryClient client = client(Map.of(RegistryClientConfig.URL,
                "http://127.0.0.1:" + freePort() + "," + server.url()));

        assertThat(client.register("s-value", V1)).isPositive();
        assertThat(client.getSubjects()).containsExactly("s-value");
    }

    @Test
    void whenNoUrlAnswersTheClientSaysSoAfterItsRetries() throws IOException {
        int dead = freePort();
        RestSchemaRegistryClient client = client(Map.of(RegistryClientConfig.URL, "http://127.0.0.1:" + dead,
                RegistryClientConfig.MAX_RETRIES, 2));

        assertThatThrownBy(client::getSubjects)
                .isInstanceOf(RegistryUnavailableException.class)
                .hasMessageContaining("127.0.0.1:" + dead)
                .hasMessageContaining("3 round(s)");
    }

    @Test
    void serverErrorsAreRetriedWithBackoffButClientErrorsAreNot() throws IOException {
        AtomicInteger requests = new AtomicInteger();
        HttpServer flaky = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        flaky.createContext("/", exchange -> {
            int n = requests.incrementAndGet();
            boolean missing = exchange.getRequestURI().getPath().contains("missing");
            int status = missing ? 404 : n <= 2 ? 503 : 200;
            byte[] body = (missing ? "{\"error_code\":40401,\"message\":\"Subject 'missing' not found.\"}"
                    : status == 503 ? "{\"error_code\":50003,\"message\":\"busy\"}" : "[\"s-value\"]")
                    .getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(status, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        flaky.start();
        try {
            RestSchemaRegistryClient client = client(Map.of(RegistryClientConfig.URL,
                    "http://127.0.0.1:" + flaky.getAddress().getPort(), RegistryClientConfig.MAX_RETRIES, 3));

            assertThat(client.getSubjects()).containsExactly("s-value");
            assertThat(requests).hasValue(3);

            requests.set(0);
            assertThatThrownBy(() -> client.getVersions("missing"))
                    .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.errorCode()).isEqualTo(40401));
            assertThat(requests).hasValue(1);
        } finally {
            flaky.stop(0);
        }
    }

    @Test
    void schemasThatAreNotSelfContainedAvroAreUnsupported() throws IOException {
        Map<String, String> answers = Map.of(
                "/schemas/ids/1", "{\"schemaType\":\"JSON\",\"schema\":\"{\\\"type\\\":\\\"object\\\"}\"}",
                "/schemas/ids/2", "{\"schemaType\":\"PROTOBUF\",\"schema\":\"syntax = \\\"proto3\\\";\"}",
                "/schemas/ids/3", "{\"schema\":\"{\\\"type\\\":\\\"record\\\",\\\"name\\\":\\\"R\\\",\\\"fields\\\":"
                        + "[{\\\"name\\\":\\\"o\\\",\\\"type\\\":\\\"t.Other\\\"}]}\","
                        + "\"references\":[{\"name\":\"t.Other\",\"subject\":\"other-value\",\"version\":1}]}",
                "/schemas/ids/4", "{\"schema\":\"not json at all\"}");
        HttpServer registry = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        registry.createContext("/", exchange -> {
            byte[] body = answers.get(exchange.getRequestURI().getPath()).getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        registry.start();
        try {
            RestSchemaRegistryClient client = client(Map.of(RegistryClientConfig.URL,
                    "http://127.0.0.1:" + registry.getAddress().getPort()));

            assertThatThrownBy(() -> client.getSchemaById(1)).isInstanceOf(UnsupportedSchemaException.class)
                    .hasMessageContaining("schema id 1 is a JSON schema");
            assertThatThrownBy(() -> client.getSchemaById(2)).isInstanceOf(UnsupportedSchemaException.class)
                    .hasMessageContaining("schema id 2 is a PROTOBUF schema");
            assertThatThrownBy(() -> client.getSchemaById(3)).isInstanceOf(UnsupportedSchemaException.class)
                    .hasMessageContaining("schema id 3 is an Avro schema with references to 1 other schema(s)");
            assertThatThrownBy(() -> client.getSchemaById(4)).isInstanceOf(UnsupportedSchemaException.class)
                    .hasMessageContaining("the schema of id 4 does not parse as Avro");
        } finally {
            registry.stop(0);
        }
    }

    @Test
    void basicAuthCredentialsAreSentWhenConfigured() throws IOException {
        try (SchemaRegistryServer secured = SchemaRegistryServer.start("127.0.0.1", 0, new SchemaRegistryStore(), "ops:s3cret")) {
            RestSchemaRegistryClient anonymous = client(Map.of(RegistryClientConfig.URL, secured.url()));
            RestSchemaRegistryClient authenticated = client(Map.of(RegistryClientConfig.URL, secured.url(),
                    RegistryClientConfig.BASIC_AUTH_CREDENTIALS_SOURCE, "USER_INFO",
                    RegistryClientConfig.BASIC_AUTH_USER_INFO, "ops:s3cret"));

            assertThatThrownBy(anonymous::getSubjects)
                    .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.httpStatus()).isEqualTo(401));
            assertThat(authenticated.register("s-value", V1)).isPositive();
            assertThat(RegistryClientConfig.fromMap(Map.of(RegistryClientConfig.URL, secured.url(),
                    RegistryClientConfig.BASIC_AUTH_CREDENTIALS_SOURCE, "USER_INFO",
                    RegistryClientConfig.BASIC_AUTH_USER_INFO, "ops:s3cret")).toString()).doesNotContain("s3cret");
        }
    }

    @Test
    void badConfigurationIsRefusedWithTheKeyNamed() {
        assertThatThrownBy(() -> RegistryClientConfig.fromMap(Map.of()))
                .hasMessageContaining(RegistryClientConfig.URL);
        assertThatThrownBy(() -> RegistryClientConfig.fromMap(Map.of(RegistryClientConfig.URL, "ftp://x")))
                .hasMessageContaining("http://");
        assertThatThrownBy(() -> RegistryClientConfig.fromMap(Map.of(RegistryClientConfig.URL, "http://x",
                RegistryClientConfig.MAX_RETRIES, "many"))).hasMessageContaining(RegistryClientConfig.MAX_RETRIES);
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}

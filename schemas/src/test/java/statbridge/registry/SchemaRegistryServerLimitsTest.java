package statbridge.registry;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Base64;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.junit.jupiter.api.Test;
import statbridge.registry.server.SchemaRegistryServer;

/** The embedded registry server against requests that are too large, unauthorised or writes while read-only. */
class SchemaRegistryServerLimitsTest {

    private static final Schema SCHEMA = SchemaBuilder.record("R").namespace("t").fields().requiredString("a").endRecord();

    private final HttpClient http = HttpClient.newHttpClient();

    private HttpResponse<String> send(String method, String url, String body, String authorization) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url))
                .header("Content-Type", "application/vnd.schemaregistry.v1+json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aBodyOverTheLimitIsRefusedWith413() throws Exception {
        try (SchemaRegistryServer server = SchemaRegistryServer.startLocal()) {
            String huge = "{\"schema\":\"" + "x".repeat(SchemaRegistryServer.MAX_REQUEST_BYTES) + "\"}";
            HttpResponse<String> answer = send("POST", server.url() + "/subjects/s-value/versions", huge, null);

            assertThat(answer.statusCode()).isEqualTo(413);
            assertThat(answer.body()).contains("larger than 1048576 bytes");
            assertThat(send("GET", server.url() + "/subjects", null, null).statusCode()).as("still serving").isEqualTo(200);
        }
    }

    @Test
    void credentialsAreCheckedAndOnlyTheRightOnesPass() throws Exception {
        try (SchemaRegistryServer server = SchemaRegistryServer.start("127.0.0.1", 0, new SchemaRegistryStore(), "ops:s3cret")) {
            String right = "Basic " + Base64.getEncoder().encodeToString("ops:s3cret".getBytes());
            String almost = "Basic " + Base64.getEncoder().encodeToString("ops:s3creT".getBytes());

            assertThat(send("GET", server.url() + "/subjects", null, right).statusCode()).isEqualTo(200);
            assertThat(send("GET", server.url() + "/subjects", null, almost).statusCode()).isEqualTo(401);
            assertThat(send("GET", server.url() + "/subjects", null, right + "x").statusCode()).isEqualTo(401);
            assertThat(send("GET", server.url() + "/subjects", null, null).statusCode()).isEqualTo(401);
        }
    }

    @Test
    void aReadOnlyRegistryServesWhatItHoldsAndRegistersNothing() throws Exception {
        try (SchemaRegistryServer server = SchemaRegistryServer.startLocal()) {
            RestSchemaRegistryClient client = new RestSchemaRegistryClient(RegistryClientConfig.fromMap(
                    java.util.Map.of(RegistryClientConfig.URL, server.url())));
            int id = client.register("s-value", SCHEMA);
            server.readOnly(true);

            assertThat(client.getSchemaById(id)).isEqualTo(SCHEMA);
            assertThat(client.lookup("s-value", SCHEMA)).isPresent();
            Schema other = SchemaBuilder.record("R").namespace("t").fields().requiredString("a").optionalInt("b").endRecord();
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> client.register("s-value", other))
                    .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.errorCode()).isEqualTo(42205));
            assertThat(send("DELETE", server.url() + "/subjects/s-value", null, null).statusCode()).isEqualTo(422);
            assertThat(send("PUT", server.url() + "/config", "{\"compatibility\":\"NONE\"}", null).statusCode()).isEqualTo(422);
            assertThat(send("GET", server.url() + "/mode", null, null).body()).contains("READONLY");
            assertThat(client.getVersions("s-value")).containsExactly(1);
        }
    }
}

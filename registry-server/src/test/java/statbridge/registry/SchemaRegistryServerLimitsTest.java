package statbridge.registry;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
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
    void aBodyOverTheLimitIsRefusedWith413BeforeItIsRead() throws Exception {
        try (SchemaRegistryServer server = SchemaRegistryServer.startLocal();
                Socket socket = new Socket("127.0.0.1", server.port())) {
            // Declares 64 MiB and sends a few bytes: the answer must come from the header alone.
            OutputStream out = socket.getOutputStream();
            out.write(("POST /subjects/s-value/versions HTTP/1.1\r\nHost: localhost\r\n"
                    + "Content-Type: application/vnd.schemaregistry.v1+json\r\nContent-Length: " + (64 << 20) + "\r\n\r\n{\"schema\":")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            socket.setSoTimeout(10_000);
            StringBuilder answer = new StringBuilder();
            byte[] buffer = new byte[4096];
            while (!answer.toString().contains("bytes\"}")) {
                int n = socket.getInputStream().read(buffer);
                if (n < 0) {
                    break;
                }
                answer.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
            }

            assertThat(answer.toString()).startsWith("HTTP/1.1 413").contains("larger than 1048576 bytes");
        }
        try (SchemaRegistryServer server = SchemaRegistryServer.startLocal()) {
            assertThat(send("GET", server.url() + "/subjects", null, null).statusCode()).as("serving").isEqualTo(200);
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

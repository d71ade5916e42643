package statbridge.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.avro.Schema;
import statbridge.config.Secrets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A client of the Confluent Schema Registry REST API ({@code /subjects}, {@code /schemas/ids},
 * {@code /compatibility}, {@code /config}).
 *
 * <p>Each call tries the configured URLs in turn, starting with the one that answered last; a
 * network error, a 5xx or a 429 moves on to the next URL, and after a full round the client
 * waits (exponential backoff with jitter) before the next round, up to
 * {@link RegistryClientConfig#maxRetries()} extra rounds. A 4xx is a definite answer and is
 * thrown at once as a {@link RegistryException}. Wrap in {@link CachingSchemaRegistryClient}
 * for hot paths.
 */
public final class RestSchemaRegistryClient implements SchemaRegistryClient {

    public static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
    private static final String ACCEPT = "application/vnd.schemaregistry.v1+json, "
            + "application/vnd.schemaregistry+json; qs=0.9, application/json; qs=0.5";
    private static final Logger LOG = LoggerFactory.getLogger(RestSchemaRegistryClient.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final RegistryClientConfig config;
    private final HttpClient http;
    private final String authorization;
    private final AtomicInteger preferredUrl = new AtomicInteger();

    public RestSchemaRegistryClient(RegistryClientConfig config) {
        if (config.isMock()) {
            throw new IllegalArgumentException("mock:// URLs are served by InMemorySchemaRegistryClient");
        }
        this.config = config;
        HttpClient.Builder builder = HttpClient.newBuilder()
                .connectTimeout(config.connectTimeout())
                .followRedirects(HttpClient.Redirect.NORMAL);
        if (config.tls() != null) {
            builder.sslContext(config.tls().sslContext());
        }
        this.http = builder.build();
        this.authorization = config.basicAuthUserInfo() == null ? null
                : "Basic " + Base64.getEncoder().encodeToString(config.basicAuthUserInfo().getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public int register(String subject, Schema schema) {
        return send("POST", "/subjects/" + segment(subject) + "/versions", schemaBody(schema)).get("id").asInt();
    }

    @Override
    public Schema getSchemaById(int id) {
        JsonNode answer = send("GET", "/schemas/ids/" + id, null);
        String type = answer.path("schemaType").asText("AVRO");
        if (!type.equals("AVRO")) {
            throw new UnsupportedSchemaException("schema id " + id + " is a " + type + " schema; statbridge reads Avro only");
        }
        if (answer.path("references").size() > 0) {
            throw new UnsupportedSchemaException("schema id " + id + " is an Avro schema with references to "
                    + answer.get("references").size() + " other schema(s); statbridge reads self-contained schemas only");
        }
        return AvroSchemas.parse(id, answer.path("schema").asText(""));
    }

    @Override
    public RegisteredSchema getLatestVersion(String subject) {
        return registered(send("GET", "/subjects/" + segment(subject) + "/versions/latest", null));
    }

    @Override
    public RegisteredSchema getVersion(String subject, int version) {
        return registered(send("GET", "/subjects/" + segment(subject) + "/versions/" + version, null));
    }

    @Override
    public Optional<RegisteredSchema> lookup(String subject, Schema schema) {
        try {
            return Optional.of(registered(send("POST", "/subjects/" + segment(subject), schemaBody(schema))));
        } catch (RegistryException e) {
            if (e.isNotFound()) {
                return Optional.empty();
            }
            throw e;
        }
    }

    @Override
    public List<Integer> getVersions(String subject) {
        List<Integer> versions = new ArrayList<>();
        send("GET", "/subjects/" + segment(subject) + "/versions", null).forEach(v -> versions.add(v.asInt()));
        return versions;
    }

    @Override
    public List<String> getSubjects() {
        List<String> subjects = new ArrayList<>();
        send("GET", "/subjects", null).forEach(s -> subjects.add(s.asText()));
        return subjects;
    }

    @Override
    public List<String> testCompatibility(String subject, Schema schema) {
        JsonNode answer;
        try {
            answer = send("POST", "/compatibility/subjects/" + segment(subject) + "/versions/latest?verbose=true",
                    schemaBody(schema));
        } catch (RegistryException e) {
            if (e.errorCode() == RegistryException.SUBJECT_NOT_FOUND || e.errorCode() == RegistryException.VERSION_NOT_FOUND) {
                return List.of();
            }
            throw e;
        }
        if (answer.path("is_compatible").asBoolean(false)) {
            return List.of();
        }
        List<String> messages = new ArrayList<>();
        answer.path("messages").forEach(m -> messages.add(m.asText()));
        if (messages.isEmpty()) {
            messages.add("the registry reports the schema incompatible with the latest version of " + subject);
        }
        return messages;
    }

    @Override
    public Optional<CompatibilityLevel> getCompatibility(String subject) {
        try {
            JsonNode answer = send("GET", subject == null ? "/config" : "/config/" + segment(subject), null);
            JsonNode level = answer.has("compatibilityLevel") ? answer.get("compatibilityLevel") : answer.get("compatibility");
            return level == null ? Optional.empty() : Optional.of(CompatibilityLevel.parse(level.asText()));
        } catch (RegistryException e) {
            if (e.isNotFound()) {
                return Optional.empty();
            }
            throw e;
        }
    }

    @Override
    public void setCompatibility(String subject, CompatibilityLevel level) {
        ObjectNode body = JSON.createObjectNode().put("compatibility", level.name());
        send("PUT", subject == null ? "/config" : "/config/" + segment(subject), body);
    }

    private static ObjectNode schemaBody(Schema schema) {
        return JSON.createObjectNode().put("schema", schema.toString());
    }

    private static RegisteredSchema registered(JsonNode node) {
        return new RegisteredSchema(node.path("subject").asText(), node.path("id").asInt(),
                node.path("version").asInt(), node.path("schema").asText());
    }

    private static String segment(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private JsonNode send(String method, String path, JsonNode body) {
        List<String> urls = config.urls();
        Exception last = null;
        long backoff = config.retryBackoff().toMillis();
        for (int round = 0; round <= config.maxRetries(); round++) {
            int start = preferredUrl.get();
            for (int i = 0; i < urls.size(); i++) {
                int index = (start + i) % urls.size();
                String base = urls.get(index);
                try {
                    HttpResponse<String> response = http.send(request(method, base, path, body),
                            HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
                    int status = response.statusCode();
                    if (status >= 200 && status < 300) {
                        preferredUrl.set(index);
                        return response.body().isEmpty() ? JSON.nullNode() : JSON.readTree(response.body());
                    }
                    RegistryException answer = errorFrom(status, response.body(), method, path);
                    if (status < 500 && status != 429) {
                        preferredUrl.set(index);
                        throw answer;
                    }
                    last = answer;
                    LOG.debug("registry {} answered {} to {} {}; trying the next", Secrets.redact(base), status, method, path);
                } catch (IOException e) {
                    last = e;
                    LOG.debug("registry {} unreachable for {} {}: {}", Secrets.redact(base), method, path, e.toString());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new RegistryUnavailableException("interrupted while calling the schema registry", e);
                }
            }
            if (round < config.maxRetries()) {
                sleep(backoff);
                backoff = Math.min(backoff * 2, config.retryMaxBackoff().toMillis());
            }
        }
        throw new RegistryUnavailableException("no schema registry answered " + method + " " + path + " at "
                + Secrets.redact(urls.toString()) + " after " + (config.maxRetries() + 1) + " round(s); last error: " + last, last);
    }

    private HttpRequest request(String method, String base, String path, JsonNode body) {
        String trimmed = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
        URI uri = URI.create(trimmed + path);
        if (uri.getUserInfo() != null) {
            uri = URI.create(uri.getScheme() + "://" + uri.getHost() + (uri.getPort() < 0 ? "" : ":" + uri.getPort())
                    + uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery()));
        }
        HttpRequest.Builder builder = HttpRequest.newBuilder(uri)
                .timeout(config.requestTimeout())
                .header("Accept", ACCEPT);
        if (authorization != null) {
            builder.header("Authorization", authorization);
        }
        if (body == null) {
            builder.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            builder.header("Content-Type", CONTENT_TYPE)
                    .method(method, HttpRequest.BodyPublishers.ofString(body.toString(), StandardCharsets.UTF_8));
        }
        return builder.build();
    }

    private static RegistryException errorFrom(int status, String body, String method, String path) {
        int code = status;
        String message = body;
        try {
            JsonNode node = JSON.readTree(body);
            if (node != null && node.has("error_code")) {
                code = node.get("error_code").asInt();
                message = node.path("message").asText(body);
            }
        } catch (IOException ignored) {
            // not JSON: keep the raw body as the message
        }
        return new RegistryException(status, code, message + " (" + method + " " + path + " -> HTTP " + status + ")");
    }

    private static void sleep(long millis) {
        long jittered = millis / 2 + ThreadLocalRandom.current().nextLong(millis / 2 + 1);
        try {
            Thread.sleep(Duration.ofMillis(jittered).toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RegistryUnavailableException("interrupted while waiting to retry the schema registry", e);
        }
    }

    @Override
    public String toString() {
        return "RestSchemaRegistryClient" + config.urls();
    }
}

package statbridge.interop;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import statbridge.registry.RegistryClientConfig;
import statbridge.registry.SchemaRegistryClient;
import statbridge.registry.SchemaRegistryClients;
import statbridge.registry.server.SchemaRegistryServer;
import statbridge.serde.AvroDeserializer;
import statbridge.serde.AvroSerializer;
import statbridge.testing.RealInfrastructure;
import statbridge.v1.ModelStat;
import statbridge.v2.MetricType;

/**
 * Confluent's official JS client ({@code @confluentinc/schemaregistry}) and its Avro serde against
 * our registry server and our serde, in both directions, compared field by field.
 */
@ExtendWith(RealInfrastructure.class)
class ConfluentJsInteropIT {

    private static final Path SCRIPT_DIR = Path.of("src/test/js");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static String registryUrl;
    private static SchemaRegistryClient registry;

    @BeforeAll
    static void setUp(SchemaRegistryServer server) {
        registryUrl = server.url();
        registry = SchemaRegistryClients.create(Map.of(RegistryClientConfig.URL, registryUrl));
        assertThat(SCRIPT_DIR.resolve("node_modules/@confluentinc/schemaregistry"))
                .as("Confluent's JS client is installed by the build (npm ci in test-support/src/test/js)")
                .isDirectory();
    }

    @Test
    void aV1EventSerializedByConfluentsJsClientIsReadByOurDeserializer() throws Exception {
        String topic = "interop-js-to-java.v1";
        Path schemaFile = Files.createTempFile("ModelStatV1", ".avsc");
        Files.writeString(schemaFile, ModelStat.getClassSchema().toString(true));
        String record = """
                {"model_name":"IntentClassifier","model_version":"v4","stat_date":20205,"slice_key":"country=PL",\
                "metric_name":"churn_rate","metric_value":0.0312,"business_metric_value":1250.5}""";

        JsonNode produced = JSON.readTree(node("serialize", registryUrl, topic, schemaFile.toString(), record));
        byte[] bytes = HexFormat.of().parseHex(produced.get("hex").asText());

        assertThat(bytes[0]).isZero();
        assertThat(ByteBuffer.wrap(bytes, 1, 4).getInt()).isEqualTo(produced.get("id").asInt());
        assertThat(registry.getLatestVersion(topic + "-value").id()).isEqualTo(produced.get("id").asInt());
        AvroDeserializer<ModelStat> ours = AvroDeserializer.forType(registry, ModelStat.class);
        ModelStat read = ours.deserialize(topic, bytes);
        assertThat(read.getModelName()).isEqualTo("IntentClassifier");
        assertThat(read.getModelVersion()).isEqualTo("v4");
        assertThat(read.getStatDate()).isEqualTo(LocalDate.ofEpochDay(20205));
        assertThat(read.getSliceKey()).isEqualTo("country=PL");
        assertThat(read.getMetricName()).isEqualTo("churn_rate");
        assertThat(read.getMetricValue()).isEqualTo(0.0312);
        assertThat(read.getBusinessMetricValue()).isEqualTo(1250.5);
    }

    @Test
    void eventsSerializedByOurSerializerAreReadByConfluentsJsDeserializer() throws Exception {
        String topic = "interop-java-to-js.v1";
        ModelStat v1 = ModelStat.newBuilder().setModelName("ChurnPredictor").setModelVersion("v3")
                .setStatDate(LocalDate.of(2025, 4, 26)).setSliceKey("segment=śląsk/ü")
                .setMetricName("accuracy").setMetricValue(0.874).setBusinessMetricValue(null).build();
        byte[] v1Bytes = new AvroSerializer<ModelStat>(registry, false, Map.of()).serialize(topic, v1);

        JsonNode v1Read = JSON.readTree(node("deserialize", registryUrl, topic, HexFormat.of().formatHex(v1Bytes)));

        assertThat(v1Read.get("model_name").asText()).isEqualTo("ChurnPredictor");
        assertThat(v1Read.get("model_version").asText()).isEqualTo("v3");
        assertThat(v1Read.get("stat_date").asInt()).isEqualTo((int) LocalDate.of(2025, 4, 26).toEpochDay());
        assertThat(v1Read.get("slice_key").asText()).isEqualTo("segment=śląsk/ü");
        assertThat(v1Read.get("metric_name").asText()).isEqualTo("accuracy");
        assertThat(v1Read.get("metric_value").asDouble()).isEqualTo(0.874);
        assertThat(v1Read.get("business_metric_value").isNull()).isTrue();

        String v2Topic = "interop-java-to-js.v2";
        statbridge.v2.ModelStat v2 = statbridge.v2.ModelStat.newBuilder().setModelName("ChurnPredictor")
                .setModelVersion("v3").setStatDate(LocalDate.of(2025, 4, 26)).setSliceKey("ALL")
                .setMetricType(MetricType.DRIFT).setMetricKey("psi_country").setMetricValue(0.27).build();
        byte[] v2Bytes = new AvroSerializer<statbridge.v2.ModelStat>(registry, false, Map.of()).serialize(v2Topic, v2);

        JsonNode v2Read = JSON.readTree(node("deserialize", registryUrl, v2Topic, HexFormat.of().formatHex(v2Bytes)));

        assertThat(v2Read.get("metric_type").asText()).isEqualTo("DRIFT");
        assertThat(v2Read.get("metric_key").asText()).isEqualTo("psi_country");
        assertThat(v2Read.get("metric_value").asDouble()).isEqualTo(0.27);
        assertThat(v2Read.get("stat_date").asInt()).isEqualTo((int) LocalDate.of(2025, 4, 26).toEpochDay());
    }

    private static String node(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("node", "interop.mjs"));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).directory(SCRIPT_DIR.toFile()).start();
        byte[] out = process.getInputStream().readAllBytes();
        byte[] err = process.getErrorStream().readAllBytes();
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("node finished").isTrue();
        assertThat(process.exitValue())
                .as("node %s failed:%n%s", args[0], new String(err, StandardCharsets.UTF_8))
                .isZero();
        return new String(out, StandardCharsets.UTF_8);
    }
}

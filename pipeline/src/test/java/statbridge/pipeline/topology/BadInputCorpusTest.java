package statbridge.pipeline.topology;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import statbridge.catalog.CatalogEntry;
import statbridge.catalog.CatalogEntryCodec;
import statbridge.config.Configuration;
import statbridge.deadletter.DeadLetter;
import statbridge.pipeline.PipelineConfig;
import statbridge.pipeline.PipelineMetrics;
import statbridge.registry.InMemorySchemaRegistryClient;
import statbridge.registry.SchemaRegistryClient;
import statbridge.serde.AvroDeserializer;
import statbridge.v2.MetricType;

/**
 * Runs every case of {@code corpus/wire/cases.json} through the real upcast topology: a bad input
 * is dead-lettered with the reason the corpus names and its bytes untouched, and the stream goes
 * on; a good one (SQL and shell metacharacters included) is upcast with its strings verbatim.
 */
class BadInputCorpusTest {

    private static final Path CORPUS = Path.of("..", "corpus", "wire", "cases.json");

    private final String scope = "corpus-" + UUID.randomUUID();
    private final SchemaRegistryClient registry = InMemorySchemaRegistryClient.forScope(scope);
    private TopologyTestDriver driver;

    static Stream<Named<JsonNode>> cases() throws IOException {
        List<Named<JsonNode>> cases = new ArrayList<>();
        new ObjectMapper().readTree(CORPUS.toFile()).forEach(c -> cases.add(Named.of(c.get("name").asText(), c)));
        assertThat(cases).hasSizeGreaterThan(25);
        return cases.stream();
    }

    @AfterEach
    void close() {
        if (driver != null) {
            driver.close();
        }
        InMemorySchemaRegistryClient.dropScope(scope);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void eachCaseHasItsPromisedOutcome(JsonNode c) throws IOException {
        PipelineConfig config = PipelineConfig.from(Configuration.load(null, Map.of(),
                Map.of("schema.registry.url", "mock://" + scope)));
        Properties properties = new Properties();
        properties.put("application.id", "corpus");
        properties.put("bootstrap.servers", "unused:9092");
        properties.put("processing.guarantee", "exactly_once_v2");
        driver = new TopologyTestDriver(UpcastTopology.build(config, registry, new PipelineMetrics(new SimpleMeterRegistry())),
                properties);
        TestInputTopic<String, byte[]> catalog = driver.createInputTopic("metric-catalog", new StringSerializer(),
                new ByteArraySerializer());
        for (CatalogEntry entry : List.of(CatalogEntry.of("accuracy", MetricType.ONLINE, "accuracy"),
                CatalogEntry.of("churn_rate", MetricType.BUSINESS, "churn_rate"))) {
            catalog.pipeInput(entry.metricName(), CatalogEntryCodec.encode(entry));
        }
        TestInputTopic<byte[], byte[]> v1 = driver.createInputTopic("model-stats.v1", new ByteArraySerializer(), new ByteArraySerializer());
        TestOutputTopic<byte[], byte[]> v2 = driver.createOutputTopic("model-stats.v2", new ByteArrayDeserializer(), new ByteArrayDeserializer());
        TestOutputTopic<byte[], byte[]> business = driver.createOutputTopic("model-business-stats.v2", new ByteArrayDeserializer(),
                new ByteArrayDeserializer());
        TestOutputTopic<byte[], byte[]> dlq = driver.createOutputTopic("model-stats.dlq", new ByteArrayDeserializer(), new ByteArrayDeserializer());

        GenericRecord record = WireCorpus.record(c.get("value"));
        byte[] value = WireCorpus.value(c.get("value"), record, registry);
        byte[] key = WireCorpus.key(c, record);
        v1.pipeInput(new TestRecord<>(key, value, Instant.parse("2026-03-02T00:00:00Z")));
        // The stream keeps flowing after the case: a good event right behind it is upcast.
        GenericRecord control = WireCorpus.record(new ObjectMapper().readTree("{\"v1\":{\"slice_key\":\"control\"}}"));
        v1.pipeInput(new TestRecord<>("IntentClassifier/v4/2026-03-01/control".getBytes(StandardCharsets.UTF_8),
                WireCorpus.encode(control, registry.register("model-stats.v1-value", control.getSchema())), Instant.parse("2026-03-02T00:00:01Z")));

        List<TestRecord<byte[], byte[]>> dead = dlq.readRecordsToList();
        List<GenericRecord> upcast = v2.readValuesToList().stream().map(this::decode).toList();
        assertThat(business.readValuesToList()).hasSize(upcast.size());
        assertThat(upcast.get(upcast.size() - 1).get("slice_key").toString()).as("the event after the case").isEqualTo("control");
        if (c.get("expect").asText().equals("upcast")) {
            assertThat(dead).as("dead letters").isEmpty();
            assertThat(upcast).hasSize(2);
            GenericRecord out = upcast.get(0);
            for (String field : List.of("model_name", "model_version", "slice_key")) {
                assertThat(out.get(field).toString()).as(field).isEqualTo(record.get(field).toString());
            }
            assertThat(out.get("metric_value")).isEqualTo(record.get("metric_value"));
        } else {
            assertThat(upcast).as("upcast records").hasSize(1);
            assertThat(dead).hasSize(1);
            TestRecord<byte[], byte[]> letter = dead.get(0);
            assertThat(DeadLetter.header(letter.headers(), DeadLetter.REASON)).as("reason; message: %s",
                    DeadLetter.header(letter.headers(), DeadLetter.MESSAGE)).isEqualTo(c.get("reason").asText());
            assertThat(letter.key()).as("original key bytes").isEqualTo(key);
            assertThat(letter.value()).as("original value bytes").isEqualTo(value);
            assertThat(DeadLetter.header(letter.headers(), DeadLetter.SOURCE_TOPIC)).isEqualTo("model-stats.v1");
        }
    }

    private GenericRecord decode(byte[] bytes) {
        return new AvroDeserializer<GenericRecord>(registry, false, Map.of()).deserialize("model-stats.v2", bytes);
    }
}

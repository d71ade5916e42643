package statbridge.pipeline.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import statbridge.pipeline.Stats;
import static statbridge.pipeline.Stats.business;
import static statbridge.pipeline.Stats.key;
import static statbridge.pipeline.Stats.v1;
import static statbridge.pipeline.Stats.v2;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import statbridge.catalog.CatalogEntry;
import statbridge.catalog.CatalogEntryCodec;
import statbridge.config.Configuration;
import statbridge.deadletter.DeadLetter;
import statbridge.deadletter.Reasons;
import statbridge.pipeline.PipelineConfig;
import statbridge.pipeline.PipelineMetrics;
import statbridge.registry.ForwardingSchemaRegistryClient;
import statbridge.registry.InMemorySchemaRegistryClient;
import statbridge.registry.RegistryUnavailableException;
import statbridge.registry.SchemaRegistryClient;
import statbridge.serde.AvroDeserializer;
import statbridge.serde.AvroSerializer;
import statbridge.serde.WireFormat;
import statbridge.v1.ModelStat;
import statbridge.v2.BusinessStat;
import statbridge.v2.MetricType;

class UpcastTopologyTest {

    private static final Instant T0 = Instant.parse("2025-04-27T06:00:00Z");

    private final String scope = "topology-" + UUID.randomUUID();
    private final SchemaRegistryClient registry = InMemorySchemaRegistryClient.forScope(scope);
    private final PipelineMetrics metrics = new PipelineMetrics(new SimpleMeterRegistry());
    private final AvroSerializer<Object> serializer = new AvroSerializer<>(registry, false, Map.of());
    private TopologyTestDriver driver;
    private TestInputTopic<byte[], byte[]> v1Topic;
    private TestInputTopic<String, byte[]> catalogIn;
    private TestOutputTopic<byte[], byte[]> v2Topic;
    private TestOutputTopic<byte[], byte[]> businessTopic;
    private TestOutputTopic<byte[], byte[]> dlqTopic;
    private TestOutputTopic<String, byte[]> catalogOut;

    private void start(String policy) {
        start(policy, registry);
    }

    private void start(String policy, SchemaRegistryClient topologyRegistry) {
        start(policy, topologyRegistry, RecordLimits.unlimited());
    }

    private void start(String policy, SchemaRegistryClient topologyRegistry, RecordLimits limits) {
        Map<String, String> settings = new HashMap<>(Map.of("schema.registry.url", "mock://" + scope,
                "pipeline.unmapped.policy", policy));
        PipelineConfig config = PipelineConfig.from(Configuration.load(null, Map.of(), settings));
        Properties properties = new Properties();
        properties.putAll(config.streams());
        properties.put("application.id", "upcast-test");
        properties.put("bootstrap.servers", "unused:9092");
        properties.put("processing.guarantee", "exactly_once_v2");
        driver = new TopologyTestDriver(UpcastTopology.build(config, topologyRegistry, metrics, limits), properties);
        v1Topic = driver.createInputTopic("model-stats.v1", new ByteArraySerializer(), new ByteArraySerializer());
        catalogIn = driver.createInputTopic("metric-catalog", new StringSerializer(), new ByteArraySerializer());
        v2Topic = driver.createOutputTopic("model-stats.v2", new ByteArrayDeserializer(), new ByteArrayDeserializer());
        businessTopic = driver.createOutputTopic("model-business-stats.v2", new ByteArrayDeserializer(), new ByteArrayDeserializer());
        dlqTopic = driver.createOutputTopic("model-stats.dlq", new ByteArrayDeserializer(), new ByteArrayDeserializer());
        catalogOut = driver.createOutputTopic("metric-catalog", new StringDeserializer(), new ByteArrayDeserializer());
        for (CatalogEntry entry : List.of(
                new CatalogEntry("accuracy", MetricType.ONLINE, "accuracy", CatalogEntry.Origin.SEED),
                new CatalogEntry("churn_rate", MetricType.BUSINESS, "churn_rate", CatalogEntry.Origin.SEED),
                new CatalogEntry("psi_country", MetricType.DRIFT, "psi_country", CatalogEntry.Origin.SEED))) {
            catalogIn.pipeInput(entry.metricName(), CatalogEntryCodec.encode(entry));
        }
    }

    @AfterEach
    void close() {
        if (driver != null) {
            driver.close();
        }
        InMemorySchemaRegistryClient.dropScope(scope);
    }

    private byte[] bytes(Object record) {
        return serializer.serialize("model-stats.v1", record);
    }

    private void send(ModelStat event, Instant time) {
        v1Topic.pipeInput(new TestRecord<>(key(event).getBytes(StandardCharsets.UTF_8), bytes(event), time));
    }

    private List<statbridge.v2.ModelStat> v2Out() {
        AvroDeserializer<statbridge.v2.ModelStat> d = AvroDeserializer.forType(registry, statbridge.v2.ModelStat.class);
        return v2Topic.readValuesToList().stream().map(b -> d.deserialize("model-stats.v2", b)).toList();
    }

    private List<BusinessStat> businessOut() {
        AvroDeserializer<BusinessStat> d = AvroDeserializer.forType(registry, BusinessStat.class);
        return businessTopic.readValuesToList().stream().map(b -> d.deserialize("model-business-stats.v2", b)).toList();
    }

    private static String header(TestRecord<byte[], byte[]> record, String key) {
        return DeadLetter.header(record.headers(), key);
    }

    @Test
    void aRecordThatThrowsUnexpectedlyIsDeadLetteredAndTheNextOneFlows() {
        int poisonId = 424_242;
        start("INFER", new ForwardingSchemaRegistryClient(registry) {
            @Override
            public org.apache.avro.Schema getSchemaById(int id) {
                if (id == poisonId) {
                    throw new IllegalStateException("a bug this record found");
                }
                return super.getSchemaById(id);
            }
        });
        byte[] poison = {0, 0, 0, 0, 0, 2, 'x'};
        WireFormat.writeHeader(poison, poisonId);
        v1Topic.pipeInput(new TestRecord<>("k".getBytes(StandardCharsets.UTF_8), poison, T0));
        ModelStat good = v1("accuracy", 0.9, null);
        send(good, T0);

        TestRecord<byte[], byte[]> dead = dlqTopic.readRecord();
        assertThat(dead.value()).isEqualTo(poison);
        assertThat(header(dead, DeadLetter.REASON)).isEqualTo(Reasons.PROCESSING_ERROR);
        assertThat(header(dead, DeadLetter.MESSAGE)).isEqualTo("java.lang.IllegalStateException: a bug this record found");
        assertThat(header(dead, DeadLetter.SOURCE_OFFSET)).isEqualTo("0");
        assertThat(dlqTopic.isEmpty()).isTrue();
        assertThat(v2Out()).containsExactly(v2(good, MetricType.ONLINE, "accuracy"));
    }

    @Test
    void aDeadLetterLargerThanTheDeadLetterTopicAcceptsGoesWithoutItsPayload() {
        start("INFER", registry, new RecordLimits(10_000, 10_000, 3_000));
        ModelStat tooLong = Stats.v1("m".repeat(2_500), "v4", java.time.LocalDate.of(2025, 4, 26), "ALL", "accuracy", 0.5, null);
        byte[] value = bytes(tooLong);
        v1Topic.pipeInput(new TestRecord<>(key(tooLong).getBytes(StandardCharsets.UTF_8), value, T0));

        TestRecord<byte[], byte[]> dead = dlqTopic.readRecord();
        assertThat(dead.value()).isNull();
        assertThat(dead.key()).as("a key over 1 KB is dropped too").isNull();
        assertThat(header(dead, DeadLetter.REASON)).isEqualTo(Reasons.INVALID_FIELD);
        assertThat(header(dead, DeadLetter.PAYLOAD_DROPPED)).isEqualTo(Integer.toString(value.length));
        assertThat(header(dead, DeadLetter.MESSAGE)).contains("model_name is 2500 characters long")
                .contains("is larger than the dead-letter topic accepts (3000), so its payload was dropped");
        assertThat(header(dead, DeadLetter.SOURCE_OFFSET)).isEqualTo("0");
    }

    @Test
    void anUpcastLargerThanItsTopicAcceptsIsDeadLetteredWholeInsteadOfHalfWritten() {
        start("INFER", registry, new RecordLimits(150, 10_000, 10_000));
        ModelStat event = v1("accuracy", 0.5, 3.0);
        send(event, T0);

        TestRecord<byte[], byte[]> dead = dlqTopic.readRecord();
        assertThat(header(dead, DeadLetter.REASON)).isEqualTo(Reasons.RECORD_TOO_LARGE);
        assertThat(header(dead, DeadLetter.MESSAGE)).contains("model-stats.v2 accepts 150");
        assertThat(dead.value()).isEqualTo(bytes(event));
        assertThat(v2Topic.isEmpty()).isTrue();
        assertThat(businessTopic.isEmpty()).isTrue();
    }

    @Test
    void anUnreachableRegistryFailsTheTaskInsteadOfDeadLetteringTheRecord() {
        start("INFER", new ForwardingSchemaRegistryClient(registry) {
            @Override
            public org.apache.avro.Schema getSchemaById(int id) {
                throw new RegistryUnavailableException("no schema registry answered", null);
            }
        });
        byte[] message = {0, 0, 0, 0, 7, 2, 'x'};

        assertThatThrownBy(() -> v1Topic.pipeInput(new TestRecord<>("k".getBytes(StandardCharsets.UTF_8), message, T0)))
                .hasRootCauseInstanceOf(RegistryUnavailableException.class);
        assertThat(dlqTopic.isEmpty()).isTrue();
    }

    @Test
    void aV1EventBecomesAV2StatAndABusinessStatWithTheSameKeyAndTimestamp() {
        start("INFER");
        ModelStat event = v1("churn_rate", 0.031, 1250.0);
        send(event, T0);

        TestRecord<byte[], byte[]> stat = v2Topic.readRecord();
        TestRecord<byte[], byte[]> kpi = businessTopic.readRecord();

        assertThat(new String(stat.key(), StandardCharsets.UTF_8)).isEqualTo("IntentClassifier/v4/2025-04-26/ALL");
        assertThat(stat.getRecordTime()).isEqualTo(T0);
        assertThat(kpi.key()).isEqualTo(stat.key());
        assertThat(kpi.getRecordTime()).isEqualTo(T0);
        assertThat(AvroDeserializer.forType(registry, statbridge.v2.ModelStat.class).deserialize("t", stat.value()))
                .isEqualTo(v2(event, MetricType.BUSINESS, "churn_rate"));
        assertThat(AvroDeserializer.forType(registry, BusinessStat.class).deserialize("t", kpi.value()))
                .isEqualTo(business(event, MetricType.BUSINESS, "churn_rate"));
        assertThat(dlqTopic.isEmpty()).isTrue();
        assertThat(metrics.upcastCount()).isEqualTo(1);
    }

    @Test
    void anEventWithoutAKpiGivesABusinessStatWithANullValueSoACorrectionCanWithdrawIt() {
        start("INFER");
        send(v1("accuracy", 0.91, 3.0), T0);
        send(v1("accuracy", 0.92, null), T0.plusSeconds(60));

        assertThat(businessOut()).extracting(BusinessStat::getBusinessMetricValue).containsExactly(3.0, null);
        assertThat(v2Out()).extracting(statbridge.v2.ModelStat::getMetricValue).containsExactly(0.91, 0.92);
    }

    @Test
    void underInferAnUnknownNameIsUpcastAndItsEntryRecordedOnce() {
        start("INFER");
        ModelStat first = v1("psi_region", 0.31, null);
        ModelStat second = v1("IntentClassifier", "v4", Stats.DAY, "country=PL", "psi_region", 0.12, null);
        send(first, T0);
        send(second, T0);

        assertThat(v2Out()).containsExactly(v2(first, MetricType.DRIFT, "psi_region"), v2(second, MetricType.DRIFT, "psi_region"));
        List<TestRecord<String, byte[]>> recorded = catalogOut.readRecordsToList();
        assertThat(recorded).hasSize(1);
        assertThat(recorded.get(0).key()).isEqualTo("psi_region");
        assertThat(CatalogEntryCodec.decode(recorded.get(0).value()))
                .isEqualTo(new CatalogEntry("psi_region", MetricType.DRIFT, "psi_region", CatalogEntry.Origin.INFERRED));
    }

    @Test
    void underDlqAnUnknownNameIsDeadLetteredUntouchedUntilTheCatalogLearnsIt() {
        start("DLQ");
        ModelStat event = v1("psi_region", 0.31, null);
        byte[] original = bytes(event);
        v1Topic.pipeInput(new TestRecord<>(key(event).getBytes(StandardCharsets.UTF_8), original, T0));

        TestRecord<byte[], byte[]> dead = dlqTopic.readRecord();
        assertThat(dead.value()).isEqualTo(original);
        assertThat(new String(dead.key(), StandardCharsets.UTF_8)).isEqualTo(key(event));
        assertThat(header(dead, DeadLetter.REASON)).isEqualTo(Reasons.UNMAPPED_METRIC_NAME);
        assertThat(v2Topic.isEmpty()).isTrue();
        assertThat(catalogOut.isEmpty()).isTrue();

        CatalogEntry added = CatalogEntry.of("psi_region", MetricType.DRIFT, "psi_region_v2");
        catalogIn.pipeInput(added.metricName(), CatalogEntryCodec.encode(added));
        v1Topic.pipeInput(new TestRecord<>(dead.key(), dead.value(), T0));

        assertThat(v2Out()).containsExactly(v2(event, MetricType.DRIFT, "psi_region_v2"));
        assertThat(dlqTopic.isEmpty()).isTrue();
    }

    @Test
    void deadLetterHeadersGiveReasonMessageAndSourceAndKeepTheOriginalHeaders() {
        start("INFER");
        send(v1("accuracy", 0.9, null), T0);
        RecordHeaders original = new RecordHeaders();
        original.add("traceparent", "00-abc-01".getBytes(StandardCharsets.UTF_8));
        v1Topic.pipeInput(new TestRecord<>("k".getBytes(StandardCharsets.UTF_8), new byte[] {1, 2, 3, 4, 5, 6}, original, T0));

        TestRecord<byte[], byte[]> dead = dlqTopic.readRecord();
        assertThat(dead.value()).containsExactly(1, 2, 3, 4, 5, 6);
        assertThat(header(dead, DeadLetter.REASON)).isEqualTo("bad-wire-format");
        assertThat(header(dead, DeadLetter.MESSAGE)).contains("0x01", "magic byte");
        assertThat(header(dead, DeadLetter.STAGE)).isEqualTo("pipeline");
        assertThat(header(dead, DeadLetter.SOURCE_TOPIC)).isEqualTo("model-stats.v1");
        assertThat(header(dead, DeadLetter.SOURCE_PARTITION)).isEqualTo("0");
        assertThat(header(dead, DeadLetter.SOURCE_OFFSET)).isEqualTo("1");
        assertThat(header(dead, DeadLetter.TIME)).isNotBlank();
        assertThat(header(dead, "traceparent")).isEqualTo("00-abc-01");
        assertThat(dead.getRecordTime()).isEqualTo(T0);
    }

    @Test
    void everyKindOfBadInputIsDeadLetteredWithItsReasonAndTheStreamKeepsFlowing() {
        start("DLQ");
        ModelStat good = v1("accuracy", 0.9, null);
        byte[] goodBytes = bytes(good);
        byte[] unknownId = goodBytes.clone();
        unknownId[4] = 99;
        byte[] foreign = serializer.serialize("model-stats.v2", v2(good, MetricType.ONLINE, "accuracy"));
        byte[] key = key(good).getBytes(StandardCharsets.UTF_8);
        record Case(byte[] key, byte[] value, String reason) {
        }
        List<Case> cases = List.of(
                new Case(key, new byte[] {0, 0}, Reasons.BAD_WIRE_FORMAT),
                new Case(key, "{\"metric_name\":\"x\"}".getBytes(StandardCharsets.UTF_8), Reasons.BAD_WIRE_FORMAT),
                new Case(key, java.util.Arrays.copyOf(goodBytes, goodBytes.length - 3), Reasons.BAD_WIRE_FORMAT),
                new Case(key, unknownId, Reasons.UNKNOWN_SCHEMA_ID),
                new Case(key, foreign, Reasons.INCOMPATIBLE_SCHEMA),
                new Case(key, null, Reasons.INVALID_FIELD),
                new Case(key, bytes(v1("accuracy", Double.NaN, null)), Reasons.INVALID_FIELD),
                new Case(key, bytes(v1("nobody_knows_me", 1, null)), Reasons.UNMAPPED_METRIC_NAME),
                new Case("IntentClassifier/v4/2025-04-27/ALL".getBytes(StandardCharsets.UTF_8), goodBytes, Reasons.KEY_MISMATCH),
                new Case(null, goodBytes, Reasons.KEY_MISMATCH),
                new Case(new byte[] {(byte) 0xc3, 0x28}, goodBytes, Reasons.KEY_MISMATCH));
        for (Case c : cases) {
            v1Topic.pipeInput(new TestRecord<>(c.key(), c.value(), T0));
            v1Topic.pipeInput(new TestRecord<>(key, goodBytes, T0));
        }

        List<TestRecord<byte[], byte[]>> dead = dlqTopic.readRecordsToList();
        assertThat(dead).extracting(r -> header(r, DeadLetter.REASON))
                .containsExactlyElementsOf(cases.stream().map(Case::reason).toList());
        for (int i = 0; i < cases.size(); i++) {
            assertThat(dead.get(i).value()).isEqualTo(cases.get(i).value());
            assertThat(dead.get(i).key()).isEqualTo(cases.get(i).key());
        }
        assertThat(v2Out()).hasSize(cases.size()).containsOnly(v2(good, MetricType.ONLINE, "accuracy"));
        assertThat(metrics.deadLetters(Reasons.KEY_MISMATCH)).isEqualTo(3);
    }

    @Test
    void aCatalogEntryAddedWhileRunningAppliesToLaterEvents() {
        start("DLQ");
        ModelStat before = v1("auc_roc", 0.81, null);
        send(before, T0);
        assertThat(header(dlqTopic.readRecord(), DeadLetter.REASON)).isEqualTo(Reasons.UNMAPPED_METRIC_NAME);

        CatalogEntry added = CatalogEntry.of("auc_roc", MetricType.ONLINE, "auc_roc");
        catalogIn.pipeInput(added.metricName(), CatalogEntryCodec.encode(added));
        ModelStat after = v1("IntentClassifier", "v4", Stats.DAY.plusDays(1), "ALL", "auc_roc", 0.82, null);
        send(after, T0.plusSeconds(86_400));

        assertThat(v2Out()).containsExactly(v2(after, MetricType.ONLINE, "auc_roc"));
        assertThat(dlqTopic.isEmpty()).isTrue();
    }
}

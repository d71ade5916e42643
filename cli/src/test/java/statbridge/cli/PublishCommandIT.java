package statbridge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import statbridge.registry.SchemaRegistryClient;
import statbridge.registry.SchemaRegistryClients;
import statbridge.registry.server.SchemaRegistryServer;
import statbridge.serde.AvroDeserializer;
import statbridge.testing.KafkaBroker;
import statbridge.testing.RealInfrastructure;
import statbridge.topics.TopicCreator;
import statbridge.topics.TopicReader;
import statbridge.v2.BusinessStat;
import statbridge.v2.MetricType;

/** {@code statbridge publish} against a real broker and registry: good lines sent, bad lines reported and not sent. */
@ExtendWith(RealInfrastructure.class)
class PublishCommandIT {

    private static final LocalDate DAY = LocalDate.of(2026, 3, 1);

    private KafkaBroker kafka;
    private SchemaRegistryServer registry;
    private String prefix;
    private Path config;
    private final CliRunner cli = new CliRunner();

    @BeforeEach
    void setUp(KafkaBroker kafka, SchemaRegistryServer registry) throws IOException {
        this.kafka = kafka;
        this.registry = registry;
        prefix = "publish-cli-" + System.nanoTime();
        config = Files.createTempFile("publish", ".properties");
        Files.writeString(config, String.join("\n", "kafka.bootstrap.servers=" + kafka.bootstrapServers(),
                "schema.registry.url=" + registry.url(), "topic.v1=" + prefix + ".v1", "topic.v2=" + prefix + ".v2",
                "topic.business.v2=" + prefix + ".business", ""));
        TopicCreator.ensure(Map.of("bootstrap.servers", kafka.bootstrapServers()), List.of(new TopicCreator.Spec(prefix + ".v1", Map.of()),
                new TopicCreator.Spec(prefix + ".v2", Map.of()), new TopicCreator.Spec(prefix + ".business", Map.of())), 2, (short) 1);
    }

    @Test
    void goodCsvLinesAreSentAndEveryBadLineIsReportedWithItsNumberAndNotSent() throws IOException {
        Path input = Files.createTempFile("stats", ".csv");
        Files.writeString(input, """
                model_name,model_version,stat_date,slice_key,metric_name,metric_value,business_metric_value
                IntentClassifier,v4,2026-03-01,ALL,accuracy,0.93,
                IntentClassifier,v4,2026-03-01,ALL,accuracy,NaN,
                ChurnPredictor,v3,2026-03-01,country=PL,churn_rate,0.12,15000.5
                ChurnPredictor,v3,2026-03-01,country=PL,churn_rate,0.12
                ChurnPredictor,v3,2026-13-01,country=PL,churn_rate,0.12,
                "Robert'); DROP TABLE model_stats_daily;--",v1,2026-03-01,$(rm -rf /),accuracy,0.5,
                """, StandardCharsets.UTF_8);

        assertThat(cli.run("publish", "--version", "v1", "--config", config.toString(), input.toString())).isEqualTo(2);

        assertThat(cli.err()).contains("line 3: invalid-field: metric_value is NaN", "line 5: expected 7 columns, found 6",
                "line 6: stat_date '2026-13-01' is not a date");
        assertThat(cli.out()).contains("published 3 line(s) (3 to " + prefix + ".v1); refused 3 line(s)");
        assertThat(read(prefix + ".v1")).containsExactlyInAnyOrder(
                new statbridge.v1.ModelStat("IntentClassifier", "v4", DAY, "ALL", "accuracy", 0.93, null),
                new statbridge.v1.ModelStat("ChurnPredictor", "v3", DAY, "country=PL", "churn_rate", 0.12, 15000.5),
                new statbridge.v1.ModelStat("Robert'); DROP TABLE model_stats_daily;--", "v1", DAY, "$(rm -rf /)", "accuracy", 0.5,
                        null));
    }

    @Test
    void v2JsonLinesGoToBothV2TopicsAndADryRunSendsNothing() throws IOException {
        Path input = Files.createTempFile("stats", ".jsonl");
        Files.writeString(input, """
                {"model_name":"ChurnPredictor","model_version":"v3","stat_date":"2026-03-01","slice_key":"ALL","metric_type":"BUSINESS","metric_key":"churn_rate","metric_value":0.1,"business_metric_value":1200}
                {"model_name":"ChurnPredictor","model_version":"v3","stat_date":"2026-03-01","slice_key":"ALL","metric_type":"DRIFT","metric_key":"psi_country","metric_value":0.3}
                """, StandardCharsets.UTF_8);

        assertThat(cli.run("publish", "--version", "v2", "--dry-run", "--config", config.toString(), input.toString())).isZero();
        assertThat(cli.out()).contains("would publish 2 line(s) (1 to " + prefix + ".business, 2 to " + prefix + ".v2)");
        assertThat(read(prefix + ".v2")).isEmpty();

        assertThat(cli.run("publish", "--version", "v2", "--config", config.toString(), input.toString())).isZero();
        assertThat(read(prefix + ".v2")).containsExactlyInAnyOrder(
                new statbridge.v2.ModelStat("ChurnPredictor", "v3", DAY, "ALL", MetricType.BUSINESS, "churn_rate", 0.1),
                new statbridge.v2.ModelStat("ChurnPredictor", "v3", DAY, "ALL", MetricType.DRIFT, "psi_country", 0.3));
        assertThat(read(prefix + ".business")).containsExactly(
                new BusinessStat("ChurnPredictor", "v3", DAY, "ALL", MetricType.BUSINESS, "churn_rate", 1200.0));
    }

    @Test
    void aBadHeaderOrAMissingFileSendsNothingAndExitsTwo() throws IOException {
        Path input = Files.createTempFile("stats", ".csv");
        Files.writeString(input, "model_name,model_version,stat_date,slice_key,metric_name,metric_value,metric_value\n"
                + "M,v1,2026-03-01,ALL,accuracy,1,1\n", StandardCharsets.UTF_8);

        assertThat(cli.run("publish", "--version", "v1", "--config", config.toString(), input.toString())).isEqualTo(2);
        assertThat(cli.err()).contains("the column 'metric_value' appears twice; nothing was published");
        assertThat(cli.run("publish", "--version", "v3", "--config", config.toString(), input.toString())).isEqualTo(2);
        assertThat(cli.err()).contains("expected v1 or v2, not 'v3'");
        assertThat(cli.run("publish", "--version", "v1", "--config", config.toString(), input + ".missing")).isEqualTo(2);
        assertThat(cli.err()).contains("no such file");
        assertThat(read(prefix + ".v1")).isEmpty();
    }

    private List<SpecificRecord> read(String topic) {
        List<SpecificRecord> records = new ArrayList<>();
        try (SchemaRegistryClient client = SchemaRegistryClients.create(Map.of("schema.registry.url", registry.url()))) {
            AvroDeserializer<SpecificRecord> reader = new AvroDeserializer<>(client, false, Map.of("specific.avro.reader", true));
            TopicReader.readAll(Map.of("bootstrap.servers", kafka.bootstrapServers()), topic, Duration.ofSeconds(30),
                    record -> records.add(reader.deserialize(topic, record.value())));
        }
        return records;
    }
}

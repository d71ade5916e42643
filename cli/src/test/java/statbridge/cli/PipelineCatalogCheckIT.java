package statbridge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import statbridge.catalog.CatalogEntry;
import statbridge.catalog.CatalogEntryCodec;
import statbridge.registry.server.SchemaRegistryServer;
import statbridge.sink.SinkFixture;
import statbridge.sink.SinkIT;
import statbridge.testing.KafkaBroker;
import statbridge.testing.PostgresServer;
import statbridge.testing.RealInfrastructure;
import statbridge.v2.MetricType;

/**
 * {@code statbridge pipeline} compares the catalog topic with the database's copy before it infers
 * a single name, and refuses to start when they map a name differently.
 */
@ExtendWith(RealInfrastructure.class)
class PipelineCatalogCheckIT {

    @Test
    void thePipelineRefusesToStartOnACatalogThatDisagreesWithTheDatabase(KafkaBroker kafka, SchemaRegistryServer registry,
            PostgresServer postgres) throws Exception {
        try (SinkFixture fixture = new SinkFixture(kafka, registry, postgres, "pipeline-catalog")) {
            fixture.db.addCatalog(SinkIT.CATALOG);
            try (KafkaProducer<byte[], byte[]> producer = fixture.producer()) {
                producer.send(new ProducerRecord<>(fixture.topic("topic.catalog"), "kpi_revenue".getBytes(StandardCharsets.UTF_8),
                        CatalogEntryCodec.encode(CatalogEntry.of("kpi_revenue", MetricType.ONLINE, "kpi_revenue")))).get();
            }
            fixture.settings.put("topic.v1", fixture.prefix + ".model-stats.v1");
            fixture.settings.put("pipeline.application.id", fixture.prefix + "-pipeline");
            fixture.settings.put("pipeline.state.dir", Files.createTempDirectory("catalog-check").toString());
            Path config = fixture.writeConfig();
            CliRunner cli = new CliRunner();

            assertThat(cli.run("pipeline", "--config", config.toString(), "--metrics-port", "-1")).isEqualTo(1);
            assertThat(cli.err()).contains("disagree")
                    .contains("'kpi_revenue' is (BUSINESS, revenue) in the table but (ONLINE, kpi_revenue) in the topic")
                    .contains("restart the pipeline");
        }
    }
}

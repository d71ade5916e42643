package statbridge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import statbridge.catalog.CatalogEntry;
import statbridge.catalog.CatalogTopic;
import statbridge.testing.KafkaBroker;
import statbridge.testing.RealInfrastructure;
import statbridge.v2.MetricType;

/** {@code statbridge catalog list|add|import} against the catalog topic of a real broker. */
@ExtendWith(RealInfrastructure.class)
class CatalogCommandIT {

    @Test
    void addImportAndListKeepTheCatalogOneToOne(KafkaBroker kafka) throws IOException {
        String topic = "catalog-cli-" + System.nanoTime();
        Path config = Files.createTempFile("catalog", ".properties");
        Files.writeString(config, "kafka.bootstrap.servers=" + kafka.bootstrapServers() + "\ntopic.catalog=" + topic + "\n");
        CatalogTopic catalog = new CatalogTopic(Map.of("bootstrap.servers", kafka.bootstrapServers()), topic);
        CliRunner cli = new CliRunner();

        assertThat(cli.run("catalog", "add", "accuracy", "online", "accuracy", "--config", config.toString())).isZero();
        assertThat(cli.out()).contains("added accuracy -> (ONLINE, accuracy)", "added 1 entry to " + topic);
        assertThat(cli.run("catalog", "add", "accuracy", "ONLINE", "accuracy", "--config", config.toString())).isZero();
        assertThat(cli.out()).contains("added 0 entries to " + topic + "; 1 already present");

        assertThat(cli.run("catalog", "add", "accuracy", "DRIFT", "accuracy", "--config", config.toString())).isEqualTo(2);
        assertThat(cli.err()).contains("metric_name 'accuracy' already maps to (ONLINE, accuracy)", "nothing was written");
        assertThat(cli.run("catalog", "add", "acc", "ONLINE", "accuracy", "--config", config.toString())).isEqualTo(2);
        assertThat(cli.err()).contains("already belongs to metric_name 'accuracy'");
        assertThat(cli.run("catalog", "add", "x", "UNKNOWN", "x", "--config", config.toString())).isEqualTo(2);
        assertThat(cli.err()).contains("metric_type 'UNKNOWN' is not one of ONLINE, BUSINESS, DRIFT");

        Path conflicting = Files.createTempFile("catalog", ".csv");
        Files.writeString(conflicting, "metric_name,metric_type,metric_key\nchurn_rate,BUSINESS,churn_rate\nprecision,ONLINE,accuracy\n");
        assertThat(cli.run("catalog", "import", conflicting.toString(), "--config", config.toString())).isEqualTo(2);
        assertThat(cli.err()).contains("'precision'", "nothing was written");
        Path malformed = Files.createTempFile("catalog", ".csv");
        Files.writeString(malformed, "metric_name,metric_type,metric_key\nchurn_rate,BUSINESS\n");
        assertThat(cli.run("catalog", "import", malformed.toString(), "--config", config.toString())).isEqualTo(2);
        assertThat(cli.err()).contains("line 2: expected 3 columns, found 2", "nothing was imported");
        assertThat(names(catalog)).isEqualTo("accuracy");

        Path good = Files.createTempFile("catalog", ".csv");
        Files.writeString(good, "# the drift and business metrics\nmetric_name,metric_type,metric_key\n"
                + "accuracy,ONLINE,accuracy\nchurn_rate,BUSINESS,churn_rate\npsi_country,DRIFT,psi_country\n");
        assertThat(cli.run("catalog", "import", good.toString(), "--dry-run", "--config", config.toString())).isZero();
        assertThat(cli.out()).contains("would add 2 entries", "1 already present");
        assertThat(names(catalog)).isEqualTo("accuracy");
        assertThat(cli.run("catalog", "import", good.toString(), "--config", config.toString())).isZero();
        assertThat(names(catalog)).isEqualTo("accuracy,churn_rate,psi_country");
        assertThat(catalog.read().byName("psi_country")).get().extracting(CatalogEntry::metricType).isEqualTo(MetricType.DRIFT);

        assertThat(cli.run("catalog", "list", "--config", config.toString())).isZero();
        assertThat(cli.out()).containsPattern("psi_country +DRIFT +psi_country +manual").contains("3 entries");
        assertThat(cli.run("catalog", "list", "--type", "business", "--csv", "--config", config.toString())).isZero();
        assertThat(cli.out()).isEqualTo("metric_name,metric_type,metric_key\nchurn_rate,BUSINESS,churn_rate\n");
    }

    private static String names(CatalogTopic catalog) {
        return catalog.read().entries().stream().map(CatalogEntry::metricName).sorted().collect(Collectors.joining(","));
    }
}

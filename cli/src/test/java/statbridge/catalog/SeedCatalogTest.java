package statbridge.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import statbridge.v2.MetricType;

/** The seed catalog shipped in deploy/catalog is valid, bijective and has what the contract names. */
class SeedCatalogTest {

    @Test
    void theSeedHoldsTheContractsMappingsAndAllThreeTypes() throws Exception {
        List<CatalogEntry> entries;
        try (Reader reader = Files.newBufferedReader(Path.of("../deploy/catalog/metric-catalog.csv"))) {
            entries = CatalogFile.read(reader, "metric-catalog.csv", CatalogEntry.Origin.SEED);
        }
        MetricCatalog catalog = MetricCatalog.of(entries);

        assertThat(catalog.byName("accuracy")).get().extracting(CatalogEntry::typeKey)
                .isEqualTo(new TypeKey(MetricType.ONLINE, "accuracy"));
        assertThat(catalog.byName("churn_rate")).get().extracting(CatalogEntry::typeKey)
                .isEqualTo(new TypeKey(MetricType.BUSINESS, "churn_rate"));
        assertThat(catalog.byName("psi_country")).get().extracting(CatalogEntry::typeKey)
                .isEqualTo(new TypeKey(MetricType.DRIFT, "psi_country"));
        for (MetricType type : List.of(MetricType.ONLINE, MetricType.DRIFT, MetricType.BUSINESS)) {
            assertThat(entries.stream().filter(e -> e.metricType() == type).count()).as(type.name()).isGreaterThanOrEqualTo(5);
        }
    }
}

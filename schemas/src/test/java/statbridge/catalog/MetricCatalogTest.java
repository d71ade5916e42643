package statbridge.catalog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import statbridge.v2.MetricType;

class MetricCatalogTest {

    private final MetricCatalog catalog = MetricCatalog.of(List.of(
            CatalogEntry.of("accuracy", MetricType.ONLINE, "accuracy"),
            CatalogEntry.of("kpi_revenue", MetricType.BUSINESS, "revenue")));

    @Test
    void looksUpBothWays() {
        assertThat(catalog.byName("kpi_revenue")).get().extracting(CatalogEntry::typeKey)
                .isEqualTo(new TypeKey(MetricType.BUSINESS, "revenue"));
        assertThat(catalog.byTypeKey(MetricType.BUSINESS, "revenue")).get().extracting(CatalogEntry::metricName)
                .isEqualTo("kpi_revenue");
        assertThat(catalog.byTypeKey(MetricType.ONLINE, "revenue")).isEmpty();
    }

    @Test
    void aPairAlreadyOwnedByAnotherNameIsRefused() {
        assertThatThrownBy(() -> catalog.with(CatalogEntry.of("revenue", MetricType.BUSINESS, "revenue")))
                .isInstanceOf(CatalogConflictException.class)
                .hasMessageContaining("(BUSINESS, revenue) already belongs to metric_name 'kpi_revenue'");
    }

    @Test
    void aPublishedMappingCannotChange() {
        assertThatThrownBy(() -> catalog.with(CatalogEntry.of("accuracy", MetricType.DRIFT, "accuracy")))
                .isInstanceOf(CatalogConflictException.class)
                .hasMessageContaining("already maps to (ONLINE, accuracy)");
    }

    @Test
    void addingTheSameMappingAgainChangesNothing() {
        assertThat(catalog.with(new CatalogEntry("accuracy", MetricType.ONLINE, "accuracy", CatalogEntry.Origin.SEED)))
                .isSameAs(catalog);
        assertThat(catalog.with(CatalogEntry.of("psi_country", MetricType.DRIFT, "psi_country")).size()).isEqualTo(3);
        assertThat(catalog.size()).isEqualTo(2);
    }

    @Test
    void entriesRefuseEmptyOverlongControlAndUnknownValues() {
        assertThatThrownBy(() -> CatalogEntry.of(" ", MetricType.ONLINE, "k")).hasMessageContaining("metric_name must not be empty");
        assertThatThrownBy(() -> CatalogEntry.of("n", MetricType.ONLINE, "k".repeat(201))).hasMessageContaining("at most 200");
        assertThatThrownBy(() -> CatalogEntry.of("n\n", MetricType.ONLINE, "k")).hasMessageContaining("spaces");
        assertThatThrownBy(() -> CatalogEntry.of("n\u0007x", MetricType.ONLINE, "k")).hasMessageContaining("control");
        assertThatThrownBy(() -> CatalogEntry.of("n", MetricType.UNKNOWN, "k")).hasMessageContaining("ONLINE, BUSINESS or DRIFT");
    }

    @Test
    void theTopicFormatRoundTripsAndRefusesJunk() {
        CatalogEntry entry = new CatalogEntry("drift_embedding_cosine", MetricType.DRIFT, "embedding_cosine", CatalogEntry.Origin.SEED);
        byte[] bytes = CatalogEntryCodec.encode(entry);

        assertThat(new String(bytes, StandardCharsets.UTF_8)).isEqualTo("{\"metric_name\":\"drift_embedding_cosine\","
                + "\"metric_type\":\"DRIFT\",\"metric_key\":\"embedding_cosine\",\"origin\":\"SEED\"}");
        assertThat(CatalogEntryCodec.decode(bytes)).isEqualTo(entry);
        assertThatThrownBy(() -> CatalogEntryCodec.decode("nope".getBytes())).hasMessageContaining("not JSON");
        assertThatThrownBy(() -> CatalogEntryCodec.decode("{\"metric_name\":\"a\",\"metric_type\":\"SPEED\",\"metric_key\":\"a\"}".getBytes()))
                .hasMessageContaining("metric_type 'SPEED' is not one of ONLINE, BUSINESS, DRIFT");
    }

    @Test
    void aCatalogFileReportsEveryBadLineWithItsNumber() {
        String file = """
                metric_name,metric_type,metric_key
                accuracy,ONLINE,accuracy
                # a comment
                recall,ONLINE
                kpi_x,SPEED,x
                acc,ONLINE,accuracy
                """;
        assertThatThrownBy(() -> CatalogFile.read(new StringReader(file), "catalog.csv", CatalogEntry.Origin.MANUAL))
                .isInstanceOfSatisfying(CatalogFile.BadCatalogFileException.class, e -> assertThat(e.problems()).containsExactly(
                        "line 4: expected 3 columns, found 2",
                        "line 5: metric_type 'SPEED' is not one of ONLINE, BUSINESS, DRIFT",
                        "line 6: (ONLINE, accuracy) already belongs to metric_name 'accuracy'; mapping 'acc' to it too would make the legacy name ambiguous"));
    }

    @Test
    void aGoodCatalogFileReadsInOrder() throws Exception {
        List<CatalogEntry> entries = CatalogFile.read(new StringReader("metric_name, metric_type, metric_key\n"
                + "psi_country,drift,psi_country\nchurn_rate,BUSINESS,churn_rate\n"), "x", CatalogEntry.Origin.SEED);
        assertThat(entries).containsExactly(
                new CatalogEntry("psi_country", MetricType.DRIFT, "psi_country", CatalogEntry.Origin.SEED),
                new CatalogEntry("churn_rate", MetricType.BUSINESS, "churn_rate", CatalogEntry.Origin.SEED));
    }

    @Test
    void aCatalogFileQuotesAsThePublishersCsvDoes() throws Exception {
        List<CatalogEntry> entries = CatalogFile.read(new StringReader("metric_name,metric_type,metric_key\n"
                + "\"revenue, net\",BUSINESS,\"revenue \"\"net\"\"\"\n"), "x", CatalogEntry.Origin.MANUAL);
        assertThat(entries).containsExactly(new CatalogEntry("revenue, net", MetricType.BUSINESS, "revenue \"net\"",
                CatalogEntry.Origin.MANUAL));
        assertThatThrownBy(() -> CatalogFile.read(new StringReader("metric_name,metric_type,metric_key\n\"open,ONLINE,x\n"), "y",
                CatalogEntry.Origin.MANUAL)).isInstanceOfSatisfying(CatalogFile.BadCatalogFileException.class,
                        e -> assertThat(e.problems()).containsExactly("line 2: a quoted field in column 1 is not closed"));
    }
}

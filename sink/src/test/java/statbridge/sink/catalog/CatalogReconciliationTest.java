package statbridge.sink.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import statbridge.catalog.CatalogEntry;
import statbridge.v2.MetricType;

class CatalogReconciliationTest {

    private static final CatalogEntry ACCURACY = CatalogEntry.of("accuracy", MetricType.ONLINE, "accuracy");
    private static final CatalogEntry REVENUE = CatalogEntry.of("kpi_revenue", MetricType.BUSINESS, "revenue");
    private static final CatalogEntry PSI = CatalogEntry.of("psi_country", MetricType.DRIFT, "psi_country");

    @Test
    void whatTheTableHasAndTheTopicLostIsRestored() {
        CatalogReconciliation result = CatalogReconciliation.compare(List.of(ACCURACY), List.of(ACCURACY, REVENUE, PSI));

        assertThat(result.restore()).containsExactly(REVENUE, PSI);
        assertThat(result.conflicts()).isEmpty();
    }

    @Test
    void anEmptyTopicGetsTheWholeTableBack() {
        assertThat(CatalogReconciliation.compare(List.of(), List.of(ACCURACY, REVENUE)).restore())
                .containsExactly(ACCURACY, REVENUE);
    }

    @Test
    void aNameWithAnotherPairOrAPairWithAnotherNameIsAConflict() {
        List<CatalogEntry> topic = List.copyOf(List.of(
                CatalogEntry.of("kpi_revenue", MetricType.ONLINE, "kpi_revenue"),
                CatalogEntry.of("revenue_psi", MetricType.DRIFT, "psi_country")));

        CatalogReconciliation result = CatalogReconciliation.compare(topic, List.of(REVENUE, PSI, ACCURACY));

        assertThat(result.conflicts()).containsExactly(
                "'kpi_revenue' is (BUSINESS, revenue) in the table but (ONLINE, kpi_revenue) in the topic",
                "(DRIFT, psi_country) is 'psi_country' in the table but 'revenue_psi' in the topic");
        assertThat(result.restore()).containsExactly(ACCURACY);
    }

    @Test
    void twoNamesForOnePairInTheTopicAreAConflict() {
        CatalogReconciliation result = CatalogReconciliation.compare(List.of(ACCURACY,
                CatalogEntry.of("acc", MetricType.ONLINE, "accuracy")), List.of());

        assertThat(result.conflicts()).containsExactly("(ONLINE, accuracy) belongs to ['acc', 'accuracy'] in the topic");
    }

    @Test
    void theTableRefusesAnEntryThatContradictsIt() {
        assertThat(CatalogTable.conflicts(List.of(CatalogEntry.of("accuracy", MetricType.DRIFT, "accuracy"),
                CatalogEntry.of("acc", MetricType.ONLINE, "accuracy"), PSI), List.of(ACCURACY, PSI)))
                .containsExactly("'accuracy' is (DRIFT, accuracy) in the topic but (ONLINE, accuracy) in the table",
                        "(ONLINE, accuracy) is 'acc' in the topic but 'accuracy' in the table");
    }
}

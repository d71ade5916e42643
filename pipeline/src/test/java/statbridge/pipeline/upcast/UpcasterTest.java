package statbridge.pipeline.upcast;

import static org.assertj.core.api.Assertions.assertThat;
import statbridge.pipeline.Stats;
import static statbridge.pipeline.Stats.business;
import static statbridge.pipeline.Stats.key;
import static statbridge.pipeline.Stats.v1;
import static statbridge.pipeline.Stats.v2;

import java.time.LocalDate;
import java.util.List;
import org.junit.jupiter.api.Test;
import statbridge.catalog.CatalogEntry;
import statbridge.catalog.InferenceRules;
import statbridge.catalog.MetricCatalog;
import statbridge.catalog.UnmappedPolicy;
import statbridge.contract.StatValidator;
import statbridge.deadletter.Reasons;
import statbridge.v1.ModelStat;
import statbridge.v2.MetricType;

class UpcasterTest {

    private static final MetricCatalog CATALOG = MetricCatalog.of(List.of(
            CatalogEntry.of("accuracy", MetricType.ONLINE, "accuracy"),
            CatalogEntry.of("churn_rate", MetricType.BUSINESS, "churn_rate"),
            CatalogEntry.of("drift_feature_missing_rate", MetricType.DRIFT, "feature_missing_rate"),
            CatalogEntry.of("acc2", MetricType.ONLINE, "accuracy2")));

    private final Upcaster infer = new Upcaster(new StatValidator(StatValidator.Limits.defaults()), UnmappedPolicy.INFER,
            InferenceRules.defaults());
    private final Upcaster strict = new Upcaster(new StatValidator(StatValidator.Limits.defaults()), UnmappedPolicy.DLQ,
            InferenceRules.defaults());

    @Test
    void theMetricNameBecomesTypeAndKeyAndTheKpiMovesToItsOwnEvent() {
        ModelStat event = v1("churn_rate", 0.031, 1250.0);

        assertThat(infer.upcast(key(event), event, CATALOG)).isEqualTo(new UpcastResult.Upcast(
                v2(event, MetricType.BUSINESS, "churn_rate"), business(event, MetricType.BUSINESS, "churn_rate"), null));
    }

    @Test
    void aKeyDifferentFromTheNameComesFromTheCatalog() {
        ModelStat event = v1("drift_feature_missing_rate", 0.02, null);
        UpcastResult.Upcast result = (UpcastResult.Upcast) infer.upcast(key(event), event, CATALOG);

        assertThat(result.stat().getMetricType()).isEqualTo(MetricType.DRIFT);
        assertThat(result.stat().getMetricKey()).isEqualTo("feature_missing_rate");
        assertThat(result.business().getBusinessMetricValue()).isNull();
        assertThat(result.business().getMetricKey()).isEqualTo("feature_missing_rate");
    }

    @Test
    void underInferAnUnknownNameGetsTheRulesEntryWhichIsReturnedForRecording() {
        ModelStat drift = v1("psi_region", 0.3, null);
        ModelStat kpi = v1("revenue", 10.0, 99.0);
        ModelStat online = v1("top3_accuracy", 0.97, null);

        assertThat(((UpcastResult.Upcast) infer.upcast(key(drift), drift, CATALOG)).inferred())
                .isEqualTo(new CatalogEntry("psi_region", MetricType.DRIFT, "psi_region", CatalogEntry.Origin.INFERRED));
        assertThat(((UpcastResult.Upcast) infer.upcast(key(kpi), kpi, CATALOG)).stat().getMetricType())
                .isEqualTo(MetricType.BUSINESS);
        assertThat(((UpcastResult.Upcast) infer.upcast(key(online), online, CATALOG)).stat().getMetricType())
                .isEqualTo(MetricType.ONLINE);
    }

    @Test
    void anInferredPairThatBelongsToAnotherNameIsRefused() {
        ModelStat event = v1("accuracy2", 0.9, null);

        assertThat(infer.upcast(key(event), event, CATALOG)).isInstanceOfSatisfying(UpcastResult.Rejected.class, r -> {
            assertThat(r.reason()).isEqualTo(Reasons.UNMAPPED_METRIC_NAME);
            assertThat(r.message()).contains("(ONLINE, accuracy2)", "'acc2'");
        });
    }

    @Test
    void underDlqAnUnknownNameIsRefused() {
        ModelStat event = v1("psi_region", 0.3, null);

        assertThat(strict.upcast(key(event), event, CATALOG)).isEqualTo(new UpcastResult.Rejected(
                Reasons.UNMAPPED_METRIC_NAME,
                "metric_name 'psi_region' is not in the metric catalog; add it ('statbridge catalog add') and replay"));
    }

    @Test
    void invalidEventsAreRefusedWithTheFieldNamed() {
        record Case(ModelStat event, String reason, String mentions) {
        }
        List<Case> cases = List.of(
                new Case(v1("accuracy", Double.NaN, null), Reasons.INVALID_FIELD, "metric_value is NaN"),
                new Case(v1("accuracy", 0.5, Double.POSITIVE_INFINITY), Reasons.INVALID_FIELD, "business_metric_value is Infinity"),
                new Case(v1("", "v1", Stats.DAY, "ALL", "accuracy", 1, null), Reasons.INVALID_FIELD, "model_name is empty"),
                new Case(v1("m", "v1", Stats.DAY, "A\u0000LL", "accuracy", 1, null), Reasons.INVALID_FIELD, "U+0000"),
                new Case(v1("m", "v1", Stats.DAY, "ALL", "x".repeat(201), 1, null), Reasons.INVALID_FIELD, "201 characters"),
                new Case(v1("m", "v1", LocalDate.of(1970, 1, 1), "ALL", "accuracy", 1, null), Reasons.INVALID_FIELD,
                        "stat_date 1970-01-01 is outside"));
        for (Case c : cases) {
            assertThat(infer.upcast(key(c.event()), c.event(), CATALOG))
                    .isInstanceOfSatisfying(UpcastResult.Rejected.class, r -> {
                        assertThat(r.reason()).isEqualTo(c.reason());
                        assertThat(r.message()).contains(c.mentions());
                    });
        }
    }

    @Test
    void aKeyThatDoesNotMatchTheValueIsRefused() {
        ModelStat event = v1("accuracy", 0.9, null);

        assertThat(infer.upcast("IntentClassifier/v4/2025-04-27/ALL", event, CATALOG))
                .isEqualTo(new UpcastResult.Rejected(Reasons.KEY_MISMATCH, "the record key "
                        + "'IntentClassifier/v4/2025-04-27/ALL' does not match the value; expected 'IntentClassifier/v4/2025-04-26/ALL'"));
        assertThat(infer.upcast(null, event, CATALOG)).isInstanceOfSatisfying(UpcastResult.Rejected.class,
                r -> assertThat(r.reason()).isEqualTo(Reasons.KEY_MISMATCH));
    }
}

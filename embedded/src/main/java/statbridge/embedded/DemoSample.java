package statbridge.embedded;

import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import statbridge.catalog.CatalogEntry;
import statbridge.catalog.MetricCatalog;
import statbridge.config.CommonSettings;
import statbridge.publish.StatPublisher;
import statbridge.registry.RegistrySettings;
import statbridge.v2.BusinessStat;
import statbridge.v2.MetricType;

/**
 * The demo's sample: a realistic month of statistics from four jobs — legacy jobs in v1, a migrated
 * job in v2, one job publishing both while it migrates — over four slices, with a key misspelt on
 * purpose for two days (the seed thread's silent dashboard), and two bad records.
 */
final class DemoSample {

    private DemoSample() {
    }

    record Job(String model, String version, int path, List<String> metrics) {
        // path: 0 = a legacy job (v1), 1 = a migrated job (v2), 2 = a job that migrates half-way and publishes both for a while
    }

    static final List<Job> JOBS = List.of(
            new Job("IntentClassifier", "v4", 0, List.of("accuracy", "psi_country", "latency_p99_ms", "kpi_deflection_rate")),
            new Job("ChurnPredictor", "v3", 1, List.of("accuracy", "churn_rate", "psi_country", "auc_roc")),
            new Job("FraudScorer", "v2", 2, List.of("auc_roc", "precision", "recall", "ks_basket_value")),
            new Job("RecommenderRanker", "v7", 0, List.of("precision", "conversion_rate", "drift_embedding_cosine")));
    static final List<String> SLICES = List.of("ALL", "country=PL", "country=DE", "device=mobile");
    /**
     * The silent series the demo causes on purpose, as in the seed thread: on its last two days,
     * ChurnPredictor's v2 job publishes its AUC as {@code AUC_roc}, a key the catalog lacks, so the
     * sink dead-letters those events and the auc_roc chart stops while the model's other metrics go on.
     */
    static final String SILENCED_MODEL = "ChurnPredictor";
    static final String SILENCED_METRIC = "auc_roc";
    static final String MISSPELT_KEY = "AUC_roc";
    static final int MISSPELT_DAYS = 2;

    /** What the demo published: v1 events, v2 events, and the distinct rows they make. */
    record Published(int v1, int v2, int rows) {
    }

    /** Publishes the sample, and two bad records. */
    static Published publish(EmbeddedStack stack) throws Exception {
        Map<String, Object> producer = Map.of("bootstrap.servers", stack.endpoints().kafka());
        MetricCatalog catalog = MetricCatalog.of(EmbeddedStack.seedCatalog());
        int v1 = 0;
        int v2 = 0;
        LocalDate today = LocalDate.now();
        try (StatPublisher publisher = StatPublisher.create(producer, RegistrySettings.clientConfig(stack.configuration()), Map.of())) {
            for (Job job : JOBS) {
                for (int day = 30; day >= 1; day--) {
                    LocalDate date = today.minusDays(day);
                    int age = 30 - day;
                    for (String slice : SLICES) {
                        double sliceShift = SLICES.indexOf(slice) * 0.01;
                        for (String metric : job.metrics()) {
                            CatalogEntry entry = catalog.byName(metric).orElseThrow();
                            double value = value(metric, age, sliceShift);
                            Double kpi = entry.metricType() == MetricType.BUSINESS ? Math.round((1200 - age * 9 + sliceShift * 500) * 100) / 100.0 : null;
                            boolean viaV1 = job.path() == 0 || (job.path() == 2 && age < 20);
                            boolean viaV2 = job.path() == 1 || (job.path() == 2 && age >= 17);
                            if (viaV1) {
                                publisher.publish(new statbridge.v1.ModelStat(job.model(), job.version(), date, slice, metric, value, kpi));
                                v1++;
                            }
                            if (viaV2) {
                                boolean misspelt = job.model().equals(SILENCED_MODEL) && metric.equals(SILENCED_METRIC) && day <= MISSPELT_DAYS;
                                String key = misspelt ? MISSPELT_KEY : entry.metricKey();
                                publisher.publish(new statbridge.v2.ModelStat(job.model(), job.version(), date, slice,
                                        entry.metricType(), key, value));
                                publisher.publish(new BusinessStat(job.model(), job.version(), date, slice, entry.metricType(),
                                        key, kpi));
                                v2 += 2;
                            }
                        }
                    }
                }
            }
            publisher.flush();
        }
        Map<String, Object> raw = Map.of("bootstrap.servers", stack.endpoints().kafka(),
                "key.serializer", ByteArraySerializer.class.getName(), "value.serializer", ByteArraySerializer.class.getName());
        try (KafkaProducer<byte[], byte[]> bad = new KafkaProducer<>(raw)) {
            String v1Topic = stack.configuration().get(CommonSettings.TOPIC_V1);
            bad.send(new ProducerRecord<>(v1Topic, "IntentClassifier/v4/?/ALL".getBytes(StandardCharsets.UTF_8),
                    "{\"metric_name\": \"accuracy\", \"metric_value\": 0.9}".getBytes(StandardCharsets.UTF_8)));
            bad.send(new ProducerRecord<>(v1Topic, null, new byte[] {0, 0, 0, 0x7f, 0x7f, 1, 2}));
            bad.flush();
        }
        int rows = JOBS.stream().mapToInt(j -> j.metrics().size()).sum() * SLICES.size() * 30 - MISSPELT_DAYS * SLICES.size();
        return new Published(v1, v2, rows);
    }

    private static double value(String metric, int age, double shift) {
        double v = switch (metric) {
            case "accuracy" -> 0.935 - age * 0.0018 - shift;
            case "psi_country" -> 0.04 + age * 0.006 + shift;
            case "latency_p99_ms" -> 180 + age * 1.5;
            case "kpi_deflection_rate", "conversion_rate" -> 0.31 - age * 0.001 + shift;
            case "churn_rate" -> 0.052 + age * 0.0004 + shift / 10;
            case "auc_roc" -> 0.91 - age * 0.001;
            case "precision" -> 0.88 - age * 0.0012 + shift;
            case "recall" -> 0.79 + shift;
            default -> 0.08 + age * 0.003 + shift;
        };
        return Math.round(v * 10_000) / 10_000.0;
    }
}

package statbridge.console;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import statbridge.catalog.CatalogEntry;
import statbridge.config.Configuration;
import statbridge.contract.StatValidator;
import statbridge.registry.server.SchemaRegistryServer;
import statbridge.sink.SinkDatabase;
import statbridge.sink.dualwrite.ParitySelection;
import statbridge.tools.migration.Import;
import statbridge.tools.series.SeriesRebuild;
import statbridge.testing.KafkaBroker;
import statbridge.testing.PostgresServer;
import statbridge.testing.RealInfrastructure;
import statbridge.v2.MetricType;

/**
 * P9: the console's pages on real volumes. A team's history of 10 models x 2 versions x 3 years x
 * 8 slices x 30 metrics (5,256,000 legacy rows; as many in the new shape, and the KPIs) is
 * imported, {@code metric_series} rebuilt, and each page is requested over HTTP, beside the SQL
 * of a Model Health page alone over JDBC: its two range queries. Target: every page under a second.
 *
 * <p>Run: {@code mvn -B -Pbench -pl console -am verify -Dit.test=ConsoleBenchmark}
 * ({@code -Dbench.console.days} changes the size).
 */
@ExtendWith(RealInfrastructure.class)
class ConsoleBenchmark {

    private static final int MODELS = 10;
    private static final int DAYS = Integer.getInteger("bench.console.days", 1095);
    private static final int SLICES = 8;
    private static final int METRICS = 30;
    private static final LocalDate FIRST = LocalDate.of(2023, 1, 1);
    private static final int REQUESTS = 20;

    @Test
    void everyPageOnFiveMillionRows(KafkaBroker kafka, SchemaRegistryServer registry, PostgresServer postgres) throws Exception {
        try (SinkDatabase db = SinkDatabase.create(postgres, "console_bench")) {
            List<CatalogEntry> catalog = new ArrayList<>();
            for (int m = 0; m < METRICS; m++) {
                MetricType type = m < 15 ? MetricType.ONLINE : m < 25 ? MetricType.DRIFT : MetricType.BUSINESS;
                catalog.add(CatalogEntry.of("metric_" + m, type, "key_" + m));
            }
            db.addCatalog(catalog);
            db.execute("CREATE SCHEMA team");
            db.execute("CREATE TABLE team.history (model_name text, model_version text, stat_date date, slice_key text, metric_name text, "
                    + "metric_value double precision, business_metric_value double precision, "
                    + "PRIMARY KEY (model_name, model_version, stat_date, slice_key, metric_name))");
            db.execute("INSERT INTO team.history SELECT 'Model' || m, 'v' || v, date '" + FIRST + "' + d, "
                    + "CASE WHEN s = 1 THEN 'ALL' ELSE 'country=' || s END, 'metric_' || k, random(), CASE WHEN k >= 25 THEN random() * 1000 END "
                    + "FROM generate_series(1, " + MODELS + ") m, generate_series(1, 2) v, generate_series(0, " + (DAYS - 1) + ") d, "
                    + "generate_series(1, " + SLICES + ") s, generate_series(0, " + (METRICS - 1) + ") k");
            db.execute("ANALYZE team.history");
            Import importer = new Import(db.database.dataSource(), StatValidator.Limits.defaults());
            long started = System.nanoTime();
            Import.Result imported = importer.run(importer.source("team.history"), ParitySelection.all(), 50_000, 2, staged -> { }, p -> { });
            System.out.printf(Locale.ROOT, "imported %,d rows in %.1f s%n", imported.selected(), (System.nanoTime() - started) / 1e9);
            new SeriesRebuild(db.database.dataSource()).run(2, p -> { });
            db.execute("DROP TABLE team.history");
            db.execute("ANALYZE");
            long legacy = count(db, "SELECT count(*) FROM ml_monitoring.model_stats_daily_legacy");
            long current = count(db, "SELECT count(*) FROM ml_monitoring.model_stats_daily");
            long business = count(db, "SELECT count(*) FROM ml_monitoring.model_business_stats_daily");

            String prefix = "console-bench";
            kafka.createTopics(4, prefix + ".model-stats.v1", prefix + ".model-stats.v2", prefix + ".model-business-stats.v2",
                    prefix + ".model-stats.dlq");
            Map<String, String> settings = new HashMap<>();
            settings.put("kafka.bootstrap.servers", kafka.bootstrapServers());
            settings.put("schema.registry.url", registry.url());
            settings.put("jdbc.url", db.jdbcUrl);
            settings.put("topic.v1", prefix + ".model-stats.v1");
            settings.put("topic.v2", prefix + ".model-stats.v2");
            settings.put("topic.business.v2", prefix + ".model-business-stats.v2");
            settings.put("topic.dlq", prefix + ".model-stats.dlq");
            settings.put("console.port", "0");
            LocalDate last = FIRST.plusDays(DAYS - 1);
            List<String> lines = new ArrayList<>();
            try (ConsoleServer console = ConsoleServer.start(Configuration.load(null, Map.of(), settings))) {
                HttpClient http = HttpClient.newHttpClient();
                String model = console.url() + "model?model=Model3&version=v2";
                String year = model + "&slice=country%3D5&from=" + last.minusDays(365) + "&to=" + last;
                double[] overview = time(http, console.url(), "id=\"mode\"");
                double[] month = time(http, model, "30 of 30 metrics identical");
                double[] wholeYear = time(http, year, "30 of 30 metrics identical");
                double[] picker = time(http, console.url() + "model", "Model10 v2");
                double[] sql = sql(db, "Model3", "v2", "country=5", last.minusDays(365), last);
                String size = String.format(Locale.ROOT, "%,d legacy rows, %,d new, %,d KPIs", legacy, current, business);
                lines.add(line("P9 console, the migration page", overview, size, "target < 1 s"));
                lines.add(line("P9 console, Model Health, 30 days x 30 metrics, both shapes", month, size, "target < 1 s"));
                lines.add(String.format(Locale.ROOT, "P9 console, Model Health, 366 days x 30 metrics, both shapes (21,960 metric and 3,660 KPI points drawn) "
                        + "| p50 %.0f ms, max %.0f ms (%d requests; %s) | the page's two range queries alone over JDBC: p50 %.0f ms | ratio %.2f "
                        + "| target < 1 s", median(wholeYear), max(wholeYear), REQUESTS, size, median(sql), median(wholeYear) / median(sql)));
                lines.add(line("P9 console, Model Health's model list", picker, size, "target < 1 s"));
            }
            String text = String.join("\n", lines) + "\n";
            System.out.print(text);
            Path out = Path.of("target", "bench", "p9-console.txt");
            Files.createDirectories(out.getParent());
            Files.writeString(out, text);
        }
    }

    private static String line(String figure, double[] millis, String size, String target) {
        return String.format(Locale.ROOT, "%s | p50 %.0f ms, max %.0f ms (%d requests; %s) | | | %s", figure, median(millis), max(millis),
                REQUESTS, size, target);
    }

    /** Milliseconds of each of {@link #REQUESTS} requests after three to warm up; each must answer 200 with {@code expected} in it. */
    private static double[] time(HttpClient http, String url, String expected) throws Exception {
        double[] millis = new double[REQUESTS];
        for (int i = -3; i < REQUESTS; i++) {
            long start = System.nanoTime();
            HttpResponse<String> page = http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
            double took = (System.nanoTime() - start) / 1e6;
            if (page.statusCode() != 200 || !page.body().contains(expected)) {
                throw new AssertionError(url + " answered " + page.statusCode() + " without '" + expected + "': "
                        + page.body().substring(0, Math.min(2000, page.body().length())));
            }
            if (i >= 0) {
                millis[i] = took;
            }
        }
        return millis;
    }

    /** The Model Health page's two queries, run and read to the end over JDBC. */
    private static double[] sql(SinkDatabase db, String model, String version, String slice, LocalDate from, LocalDate to) throws Exception {
        double[] millis = new double[REQUESTS];
        try (Connection connection = db.connection()) {
            for (int i = -3; i < REQUESTS; i++) {
                long start = System.nanoTime();
                ConsoleData.each(connection, ConsoleData.LEGACY_POINTS, ConsoleData.legacyParameters(model, version, slice, from, to),
                        rows -> rows.getObject(2));
                ConsoleData.each(connection, ConsoleData.NEW_POINTS, ConsoleData.newParameters(model, version, slice, from, to),
                        rows -> rows.getObject(3));
                if (i >= 0) {
                    millis[i] = (System.nanoTime() - start) / 1e6;
                }
            }
            connection.rollback();
        }
        return millis;
    }

    private static long count(SinkDatabase db, String sql) throws Exception {
        return Long.parseLong(db.rows(sql).get(0));
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    private static double max(double[] values) {
        return Arrays.stream(values).max().orElse(0);
    }
}

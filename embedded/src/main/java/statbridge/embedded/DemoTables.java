package statbridge.embedded;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import statbridge.sink.db.Database;

/** What the demo prints of PostgreSQL: both table shapes side by side, as text tables. */
final class DemoTables {

    private DemoTables() {
    }

    /** A dashboard's rows in the legacy shape: the table (or view) old dashboards read, filtered by {@code where}. */
    private static final String LEGACY_SHAPE = """
            SELECT stat_date, metric_name, metric_value, business_metric_value FROM ml_monitoring.model_stats_daily_legacy
            WHERE %s ORDER BY 1, 2
            """;
    /** The same rows in the new shape: the stats with their KPI joined, filtered by {@code where} (on {@code s}). */
    private static final String NEW_SHAPE = """
            SELECT s.stat_date, s.metric_type, s.metric_key, s.metric_value, b.business_metric_value
            FROM ml_monitoring.model_stats_daily s LEFT JOIN ml_monitoring.model_business_stats_daily b
              ON b.model_name = s.model_name AND b.model_version = s.model_version AND b.stat_date = s.stat_date
             AND b.slice_key = s.slice_key AND b.metric_type = s.metric_type AND b.metric_key = s.metric_key
            WHERE %s ORDER BY 1, 2, 3
            """;

    static void show(Database database, PrintWriter out) throws Exception {
        out.println();
        out.println("The legacy shape, as old dashboards read it — model_stats_daily_legacy, IntentClassifier v4, slice ALL, last 2 days:");
        table(database, out, LEGACY_SHAPE.formatted("model_name = 'IntentClassifier' AND slice_key = 'ALL' AND stat_date >= current_date - 2"));
        out.println();
        out.println("The new shape — model_stats_daily joined with model_business_stats_daily, the same rows:");
        table(database, out, NEW_SHAPE.formatted("s.model_name = 'IntentClassifier' AND s.slice_key = 'ALL' AND s.stat_date >= current_date - 2"));
        out.println();
        out.println("ChurnPredictor v3's churn rate with its KPI, the other broken dashboard — legacy shape, slice ALL, last 3 days:");
        table(database, out, LEGACY_SHAPE.formatted("model_name = 'ChurnPredictor' AND model_version = 'v3' AND metric_name = 'churn_rate' "
                + "AND slice_key = 'ALL' AND stat_date >= current_date - 3"));
        out.println();
        out.println("... and the same facts in the new shape, the KPI from model_business_stats_daily:");
        table(database, out, NEW_SHAPE.formatted("s.model_name = 'ChurnPredictor' AND s.model_version = 'v3' AND s.metric_type = 'BUSINESS' "
                + "AND s.metric_key = 'churn_rate' AND s.slice_key = 'ALL' AND s.stat_date >= current_date - 3"));
    }

    private static void table(Database database, PrintWriter out, String sql) throws Exception {
        List<String[]> rows = new ArrayList<>();
        String[] header;
        try (Connection connection = database.dataSource().getConnection();
                PreparedStatement query = connection.prepareStatement(sql); ResultSet result = query.executeQuery()) {
            ResultSetMetaData meta = result.getMetaData();
            header = new String[meta.getColumnCount()];
            for (int c = 0; c < header.length; c++) {
                header[c] = meta.getColumnLabel(c + 1);
            }
            while (result.next()) {
                String[] row = new String[header.length];
                for (int c = 0; c < header.length; c++) {
                    row[c] = String.valueOf(result.getString(c + 1));
                }
                rows.add(row);
            }
            connection.rollback();
        }
        int[] widths = new int[header.length];
        for (int c = 0; c < header.length; c++) {
            final int column = c;
            widths[c] = Math.max(header[c].length(), rows.stream().map(r -> r[column].length()).max(Comparator.naturalOrder()).orElse(0));
        }
        StringBuilder format = new StringBuilder("  ");
        for (int width : widths) {
            format.append("%-").append(width).append("s  ");
        }
        out.println(String.format(Locale.ROOT, format.toString(), (Object[]) header).stripTrailing());
        rows.forEach(row -> out.println(String.format(Locale.ROOT, format.toString(), (Object[]) row).stripTrailing()));
    }

    static long count(Database database, String sql) throws Exception {
        try (Connection connection = database.dataSource().getConnection();
                PreparedStatement query = connection.prepareStatement(sql); ResultSet result = query.executeQuery()) {
            result.next();
            long value = result.getLong(1);
            connection.rollback();
            return value;
        }
    }
}

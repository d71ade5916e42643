package statbridge.sink;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import statbridge.catalog.CatalogEntry;
import statbridge.sink.db.Database;
import statbridge.sink.db.DatabaseConfig;
import statbridge.testing.PostgresServer;

/** A fresh, migrated statbridge database on the shared PostgreSQL, with helpers to read the tables. */
public final class SinkDatabase implements AutoCloseable {

    public final String jdbcUrl;
    public final Database database;

    private SinkDatabase(String jdbcUrl, Database database) {
        this.jdbcUrl = jdbcUrl;
        this.database = database;
    }

    public static SinkDatabase create(PostgresServer postgres, String name) throws SQLException {
        String url = postgres.createDatabase(name);
        Database database = Database.open(DatabaseConfig.of(url), "test-" + name);
        database.migrate();
        return new SinkDatabase(url, database);
    }

    /** A database that exists already (not migrated again). */
    public static SinkDatabase attach(String jdbcUrl) {
        return new SinkDatabase(jdbcUrl, Database.open(DatabaseConfig.of(jdbcUrl), "test-attach"));
    }

    public Connection connection() throws SQLException {
        return database.dataSource().getConnection();
    }

    public void execute(String sql) throws SQLException {
        try (Connection connection = connection(); Statement statement = connection.createStatement()) {
            statement.execute(sql);
            connection.commit();
        }
    }

    public void addCatalog(List<CatalogEntry> entries) throws SQLException {
        try (Connection connection = connection()) {
            statbridge.sink.catalog.CatalogTable.insert(connection, entries);
            connection.commit();
        }
    }

    /** Rows of a query as "col=value|col=value" strings, sorted, for literal comparison. */
    public List<String> rows(String sql) throws SQLException {
        List<String> rows = new ArrayList<>();
        try (Connection connection = connection(); Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery(sql)) {
            int columns = result.getMetaData().getColumnCount();
            while (result.next()) {
                StringBuilder row = new StringBuilder();
                for (int c = 1; c <= columns; c++) {
                    row.append(c == 1 ? "" : "|").append(result.getString(c));
                }
                rows.add(row.toString());
            }
            connection.rollback();
        }
        rows.sort(null);
        return rows;
    }

    /** {@code metric_series} as the sink and the rebuild keep it, in {@link #seriesAggregate()}'s columns. */
    public List<String> series() throws SQLException {
        return rows("SELECT model_name, model_version, metric_type, metric_key, rows, first_date, last_date, min_value, max_value, slices "
                + "FROM ml_monitoring.metric_series");
    }

    /** What {@code metric_series} must equal: the literal aggregate of the stat rows. */
    public List<String> seriesAggregate() throws SQLException {
        return rows("SELECT model_name, model_version, metric_type, metric_key, count(*), min(stat_date), max(stat_date), "
                + "min(metric_value), max(metric_value), count(DISTINCT slice_key) FROM ml_monitoring.model_stats_daily GROUP BY 1, 2, 3, 4");
    }

    public List<String> stats() throws SQLException {
        return rows("SELECT model_name, model_version, stat_date, slice_key, metric_type, metric_key, metric_value "
                + "FROM ml_monitoring.model_stats_daily");
    }

    public List<String> business() throws SQLException {
        return rows("SELECT model_name, model_version, stat_date, slice_key, metric_type, metric_key, business_metric_value "
                + "FROM ml_monitoring.model_business_stats_daily");
    }

    public List<String> legacy() throws SQLException {
        return rows("SELECT model_name, model_version, stat_date, slice_key, metric_name, metric_value, business_metric_value "
                + "FROM ml_monitoring.model_stats_daily_legacy");
    }

    public Map<String, Long> offsets(String group) throws SQLException {
        Map<String, Long> offsets = new TreeMap<>();
        for (String row : rows("SELECT topic || '/' || partition || '|' || next_offset FROM ml_monitoring.sink_offsets "
                + "WHERE consumer_group = '" + group.replace("'", "''") + "'")) {
            offsets.put(row.substring(0, row.lastIndexOf('|')), Long.parseLong(row.substring(row.lastIndexOf('|') + 1)));
        }
        return offsets;
    }

    @Override
    public void close() {
        database.close();
    }
}

package statbridge.sink.catalog;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import statbridge.catalog.CatalogEntry;
import statbridge.v2.MetricType;

/** The database copy of the metric catalog, {@code ml_monitoring.metric_catalog}. */
public final class CatalogTable {

    static final String INSERT = """
            INSERT INTO ml_monitoring.metric_catalog (metric_name, metric_type, metric_key, origin)
            VALUES (?, ?, ?, ?) ON CONFLICT (metric_name) DO NOTHING
            """;
    static final String ALL = "SELECT metric_name, metric_type, metric_key, origin FROM ml_monitoring.metric_catalog ORDER BY metric_name";

    private CatalogTable() {
    }

    /** Adds entries the table does not have (mappings never change; the caller commits). */
    public static void insert(Connection connection, List<CatalogEntry> entries) throws SQLException {
        if (entries.isEmpty()) {
            return;
        }
        try (PreparedStatement insert = connection.prepareStatement(INSERT)) {
            for (CatalogEntry entry : entries) {
                insert.setString(1, entry.metricName());
                insert.setString(2, entry.metricType().name());
                insert.setString(3, entry.metricKey());
                insert.setString(4, entry.origin().name());
                insert.addBatch();
            }
            insert.executeBatch();
        }
    }

    /** Every entry, by name. */
    public static List<CatalogEntry> all(Connection connection) throws SQLException {
        List<CatalogEntry> entries = new ArrayList<>();
        try (PreparedStatement query = connection.prepareStatement(ALL); ResultSet rows = query.executeQuery()) {
            while (rows.next()) {
                entries.add(new CatalogEntry(rows.getString(1), MetricType.valueOf(rows.getString(2)), rows.getString(3),
                        CatalogEntry.Origin.valueOf(rows.getString(4))));
            }
        }
        return entries;
    }
}

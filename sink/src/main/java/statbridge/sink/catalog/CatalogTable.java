package statbridge.sink.catalog;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import statbridge.catalog.CatalogConflictException;
import statbridge.catalog.CatalogEntry;
import statbridge.contract.MetricTypes;

/**
 * The database copy of the metric catalog, {@code ml_monitoring.metric_catalog}: the durable one.
 * The topic may be lost and restored from it (see {@link CatalogReconciliation}); an entry that
 * contradicts it is an error, never silently skipped.
 */
public final class CatalogTable {

    static final String INSERT = """
            INSERT INTO ml_monitoring.metric_catalog (metric_name, metric_type, metric_key, origin)
            VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING
            """;
    /** The rows that share a name or a (type, key) pair with the given entries. */
    static final String NEIGHBOURS = """
            SELECT metric_name, metric_type, metric_key, origin FROM ml_monitoring.metric_catalog
            WHERE metric_name = ANY(?::text[]) OR metric_type || '/' || metric_key = ANY(?::text[])
            """;
    static final String ALL = "SELECT metric_name, metric_type, metric_key, origin FROM ml_monitoring.metric_catalog ORDER BY metric_name";

    private CatalogTable() {
    }

    /**
     * Adds entries the table does not have (mappings never change; the caller commits).
     *
     * @throws CatalogConflictException when an entry's name maps to another pair in the table, or its
     *     pair belongs to another name: the topic and the table disagree, and nothing may be written
     */
    public static void insert(Connection connection, List<CatalogEntry> entries) throws SQLException {
        if (entries.isEmpty()) {
            return;
        }
        List<String> conflicts = conflicts(entries, neighbours(connection, entries));
        if (!conflicts.isEmpty()) {
            throw new CatalogConflictException("the metric catalog table disagrees with the catalog topic: "
                    + String.join("; ", conflicts) + ". The table is the durable copy: fix the topic ('statbridge catalog list' "
                    + "against 'SELECT * FROM ml_monitoring.metric_catalog'), then restart the sink");
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

    private static List<CatalogEntry> neighbours(Connection connection, List<CatalogEntry> entries) throws SQLException {
        List<CatalogEntry> rows = new ArrayList<>();
        try (PreparedStatement query = connection.prepareStatement(NEIGHBOURS)) {
            query.setArray(1, connection.createArrayOf("text", entries.stream().map(CatalogEntry::metricName).toArray()));
            query.setArray(2, connection.createArrayOf("text",
                    entries.stream().map(e -> e.metricType().name() + "/" + e.metricKey()).toArray()));
            try (ResultSet result = query.executeQuery()) {
                while (result.next()) {
                    rows.add(entry(result));
                }
            }
        }
        return rows;
    }

    /** How {@code entries} contradict {@code rows}: a name with another pair, or a pair with another name. */
    static List<String> conflicts(List<CatalogEntry> entries, List<CatalogEntry> rows) {
        List<String> conflicts = new ArrayList<>();
        for (CatalogEntry entry : entries) {
            for (CatalogEntry row : rows) {
                boolean sameName = row.metricName().equals(entry.metricName());
                boolean samePair = row.metricType() == entry.metricType() && row.metricKey().equals(entry.metricKey());
                if (sameName && !samePair) {
                    conflicts.add("'" + entry.metricName() + "' is (" + entry.metricType() + ", " + entry.metricKey()
                            + ") in the topic but (" + row.metricType() + ", " + row.metricKey() + ") in the table");
                } else if (samePair && !sameName) {
                    conflicts.add("(" + entry.metricType() + ", " + entry.metricKey() + ") is '" + entry.metricName()
                            + "' in the topic but '" + row.metricName() + "' in the table");
                }
            }
        }
        return conflicts;
    }

    private static CatalogEntry entry(ResultSet row) throws SQLException {
        return new CatalogEntry(row.getString(1), MetricTypes.parse(row.getString(2)), row.getString(3),
                CatalogEntry.Origin.valueOf(row.getString(4)));
    }

    /** Every entry, by name. */
    public static List<CatalogEntry> all(Connection connection) throws SQLException {
        List<CatalogEntry> entries = new ArrayList<>();
        try (PreparedStatement query = connection.prepareStatement(ALL); ResultSet rows = query.executeQuery()) {
            while (rows.next()) {
                entries.add(entry(rows));
            }
        }
        return entries;
    }
}

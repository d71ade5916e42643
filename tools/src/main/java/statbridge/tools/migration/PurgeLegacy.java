package statbridge.tools.migration;

import java.sql.Connection;
import java.sql.Date;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

/**
 * Deletes legacy rows only where the new tables hold the same facts, checked as it goes: a row
 * that exists only in the legacy shape, or whose values differ from the rebuild, is kept and
 * counted. A monthly partition that lies wholly before the cut-off and holds nothing else is
 * dropped whole rather than deleted row by row. While dual-write is off it purges the archived
 * table; while it is on it refuses unless forced (the sink is still writing there).
 */
public final class PurgeLegacy {

    /**
     * What a purge did (or would do, with dry run).
     *
     * @param keptOnlyInLegacy rows kept because the new tables do not hold them
     * @param keptDiffering rows kept because the new tables hold other values
     */
    public record Result(String table, long deleted, List<String> droppedPartitions, long keptOnlyInLegacy,
            long keptDiffering, boolean dryRun) {
    }

    private static final String SAME_FACTS = "EXISTS (SELECT 1 FROM ml_monitoring.model_stats_daily_legacy_rebuilt r "
            + "WHERE r.model_name = l.model_name AND r.model_version = l.model_version AND r.stat_date = l.stat_date "
            + "AND r.slice_key = l.slice_key AND r.metric_name = l.metric_name "
            + "AND (r.metric_value, r.business_metric_value) IS NOT DISTINCT FROM (l.metric_value, l.business_metric_value))";
    private static final String SAME_ROW = "EXISTS (SELECT 1 FROM ml_monitoring.model_stats_daily_legacy_rebuilt r "
            + "WHERE r.model_name = l.model_name AND r.model_version = l.model_version AND r.stat_date = l.stat_date "
            + "AND r.slice_key = l.slice_key AND r.metric_name = l.metric_name)";
    static final String PARTITIONS = """
            SELECT c.relname, (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'FROM \\(''([^'']+)''\\) TO \\(''([^'']+)''\\)'))[1]::date,
                   (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'FROM \\(''([^'']+)''\\) TO \\(''([^'']+)''\\)'))[2]::date
            FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = ?::regclass ORDER BY 2
            """;

    private final DataSource dataSource;

    public PurgeLegacy(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /**
     * @param before purge rows with stat_date before this day; null purges everything
     * @throws IllegalStateException when dual-write is on and {@code force} is false
     */
    public Result run(LocalDate before, boolean dryRun, boolean force) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            try {
                String table = Backfill.legacyTable(connection);
                if (table != null && !force) {
                    throw new IllegalStateException("dual-write is on: the sink still writes model_stats_daily_legacy. "
                            + "Switch it off first (statbridge dual-write off), or use --force to purge the live table");
                }
                if (table == null) {
                    table = "model_stats_daily_legacy_archive";
                    if (!exists(connection, table)) {
                        connection.rollback();
                        return new Result(table, 0, List.of(), 0, 0, dryRun);
                    }
                }
                String qualified = "ml_monitoring." + table;
                List<String> dropped = new ArrayList<>();
                long deleted = 0;
                try (PreparedStatement partitions = connection.prepareStatement(PARTITIONS)) {
                    partitions.setString(1, qualified);
                    try (ResultSet rows = partitions.executeQuery()) {
                        List<MonthPartition> all = new ArrayList<>();
                        while (rows.next()) {
                            all.add(new MonthPartition(rows.getString(1), rows.getDate(2).toLocalDate(), rows.getDate(3).toLocalDate()));
                        }
                        for (MonthPartition partition : all) {
                            String name = partition.name();
                            LocalDate from = partition.from();
                            LocalDate to = partition.to();
                            if (before != null && !from.isBefore(before)) {
                                continue;
                            }
                            boolean whole = before == null || !to.isAfter(before);
                            long rowsIn = count(connection, "SELECT count(*) FROM ml_monitoring." + name, null);
                            long matching = count(connection, "SELECT count(*) FROM ml_monitoring." + name + " l WHERE "
                                    + SAME_FACTS + (whole ? "" : " AND l.stat_date < ?"), whole ? null : before);
                            if (whole && matching == rowsIn) {
                                dropped.add(name + " (" + rowsIn + " rows)");
                                deleted += rowsIn;
                                if (!dryRun) {
                                    try (Statement drop = connection.createStatement()) {
                                        drop.execute("DROP TABLE ml_monitoring." + name);
                                    }
                                }
                            } else if (matching > 0) {
                                deleted += matching;
                                if (!dryRun) {
                                    try (PreparedStatement delete = connection.prepareStatement("DELETE FROM ml_monitoring." + name
                                            + " l WHERE " + SAME_FACTS + (whole ? "" : " AND l.stat_date < ?"))) {
                                        if (!whole) {
                                            delete.setDate(1, Date.valueOf(before));
                                        }
                                        delete.executeUpdate();
                                    }
                                }
                            }
                        }
                    }
                }
                long onlyInLegacy = count(connection, "SELECT count(*) FROM " + qualified + " l WHERE NOT " + SAME_ROW
                        + (before == null ? "" : " AND l.stat_date < ?"), before);
                long differing = count(connection, "SELECT count(*) FROM " + qualified + " l WHERE " + SAME_ROW + " AND NOT "
                        + SAME_FACTS + (before == null ? "" : " AND l.stat_date < ?"), before);
                if (dryRun) {
                    connection.rollback();
                } else {
                    connection.commit();
                }
                return new Result(table, deleted, dropped, onlyInLegacy, differing, dryRun);
            } catch (SQLException | RuntimeException e) {
                connection.rollback();
                throw e;
            }
        }
    }

    private static boolean exists(Connection connection, String table) throws SQLException {
        try (PreparedStatement query = connection.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
            query.setString(1, "ml_monitoring." + table);
            try (ResultSet rows = query.executeQuery()) {
                rows.next();
                return rows.getBoolean(1);
            }
        }
    }

    /** One monthly partition of the legacy relation: its name, first day and last day. */
    private record MonthPartition(String name, LocalDate from, LocalDate to) {
    }

    private static long count(Connection connection, String sql, LocalDate date) throws SQLException {
        try (PreparedStatement query = connection.prepareStatement(sql)) {
            if (date != null) {
                query.setDate(1, Date.valueOf(date));
            }
            try (ResultSet rows = query.executeQuery()) {
                rows.next();
                return rows.getLong(1);
            }
        }
    }
}

package statbridge.tools.lifecycle;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import statbridge.sink.dualwrite.DualWriteSwitch;

/**
 * Values for a recorded query's parameters, taken from the data: pg_stat_statements keeps the
 * query with {@code $n} in place of its constants and none of the values. A parameter compared for
 * equality with a legacy column takes that column's most frequent values (a different one in each
 * probe, and for each place of an {@code IN} list); a lower bound the column's least value, an
 * upper bound its greatest; LIMIT 1000 and OFFSET 0. The values come from a sample of the legacy
 * shape's first rows, so a probe reads little however large the table is.
 */
final class ParameterProbes {

    /** Probes tried per query. */
    static final int PROBES = 3;
    static final int SAMPLE_ROWS = 10_000;

    private ParameterProbes() {
    }

    /**
     * Up to {@link #PROBES} lists of literals, one per parameter in order, or empty with the reason
     * in {@code why} when a parameter's value cannot be told.
     */
    static Optional<List<List<String>>> values(Connection connection, LegacyQueryRewriter.Rewrite rewrite, StringBuilder why)
            throws SQLException {
        Map<String, List<String>> frequent = new HashMap<>();
        Map<String, String[]> range = new HashMap<>();
        String relation = DualWriteSwitch.legacyViewExists(connection) ? "ml_monitoring.model_stats_daily_legacy"
                : "ml_monitoring.model_stats_daily_legacy_rebuilt";
        List<List<String>> probes = new ArrayList<>();
        for (int probe = 0; probe < PROBES; probe++) {
            List<String> values = new ArrayList<>();
            for (int n = 1; n <= rewrite.parameters(); n++) {
                ParameterRole role = rewrite.roles().get(n);
                if (role == null) {
                    why.append("what $").append(n).append(" stands for cannot be told from the query");
                    return Optional.empty();
                }
                String value = switch (role.kind()) {
                    case LIMIT -> "1000";
                    case OFFSET -> "0";
                    case EQUAL -> {
                        List<String> top = frequent.computeIfAbsent(role.column(), c -> frequentValues(connection, relation, c));
                        yield top.isEmpty() ? null : top.get(Math.min(probe + role.rank(), top.size() - 1));
                    }
                    case LOWER, UPPER -> {
                        String[] bounds = range.computeIfAbsent(role.column(), c -> bounds(connection, relation, c));
                        yield bounds[role.kind() == ParameterRole.Kind.LOWER ? 0 : 1];
                    }
                };
                if (value == null) {
                    why.append("the legacy shape holds no value of ").append(role.column()).append(" for $").append(n);
                    return Optional.empty();
                }
                values.add(value);
            }
            if (!probes.contains(values)) {
                probes.add(values);
            }
        }
        return Optional.of(probes);
    }

    private static List<String> frequentValues(Connection connection, String relation, String column) {
        List<String> values = new ArrayList<>();
        String sql = "SELECT " + checked(column) + "::text FROM (SELECT " + column + " FROM " + relation + " LIMIT " + SAMPLE_ROWS
                + ") sample GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT " + (PROBES + 10);
        try (Statement statement = connection.createStatement(); ResultSet rows = statement.executeQuery(sql)) {
            while (rows.next()) {
                if (rows.getString(1) != null) {
                    values.add(rows.getString(1));
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot sample " + column + " of " + relation + ": " + e.getMessage(), e);
        }
        return values;
    }

    private static String[] bounds(Connection connection, String relation, String column) {
        String sql = "SELECT min(" + checked(column) + ")::text, max(" + column + ")::text FROM (SELECT " + column + " FROM " + relation
                + " LIMIT " + SAMPLE_ROWS + ") sample";
        try (Statement statement = connection.createStatement(); ResultSet rows = statement.executeQuery(sql)) {
            rows.next();
            return new String[] {rows.getString(1), rows.getString(2)};
        } catch (SQLException e) {
            throw new IllegalStateException("cannot sample " + column + " of " + relation + ": " + e.getMessage(), e);
        }
    }

    /** A legacy column's name, the only thing ever put into these queries' text. */
    private static String checked(String column) {
        if (!LegacyShape.COLUMNS.contains(column)) {
            throw new IllegalArgumentException("not a column of the legacy shape: " + column);
        }
        return column;
    }

    /** A value as an SQL literal of unknown type, which PostgreSQL reads as the parameter's type. */
    static String literal(String value) {
        return "'" + value.replace("'", "''") + "'";
    }
}

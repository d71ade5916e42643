package statbridge.tools.lifecycle;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Shows on the current data whether a rewrite returns what its original returns: both run in one
 * read-only transaction (one snapshot, so the sink's writes in between cannot tell them apart),
 * and their rows are compared as multisets, with the column names. Floating-point columns compare
 * to 12 significant digits: an aggregate summed in another order (another plan) rounds its last
 * digits differently. A query with parameters (pg_stat_statements keeps none of their values) runs
 * with values taken from the data, a few times over.
 */
public final class RewriteCheck {

    /** The outcome. */
    public enum Verdict {
        /** Both ran and returned the same rows. */
        SAME_ROWS,
        /** Both ran and the rows differ: the rewrite is not offered. */
        DIFFERENT,
        /** Not run (parameters, too many rows, or an error); the reason says which. */
        NOT_RUN
    }

    public record Result(Verdict verdict, String detail, long rows) {

        @Override
        public String toString() {
            return switch (verdict) {
                case SAME_ROWS -> "same " + rows + " row(s) on the current data" + (detail == null ? "" : ", " + detail);
                case DIFFERENT -> "returns different rows: " + detail;
                case NOT_RUN -> "not run: " + detail;
            };
        }
    }

    /** The most rows compared; a larger result is not checked. */
    static final int MAX_ROWS = 200_000;

    private RewriteCheck() {
    }

    /**
     * Runs the original and its rewrite on {@code connection} (rolled back after) and compares
     * their rows; a query with parameters runs with values taken from the data
     * ({@link ParameterProbes}), several times.
     */
    public static Result compare(Connection connection, LegacyQueryRewriter.Rewrite rewrite, Duration timeout) throws SQLException {
        connection.rollback();
        try (Statement statement = connection.createStatement()) {
            statement.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
            statement.execute("SET LOCAL statement_timeout = " + Math.max(1, timeout.toMillis()));
            if (rewrite.parameters() == 0) {
                return compare(rows(statement, rewrite.original()), rows(statement, rewrite.rewritten()), "");
            }
            StringBuilder why = new StringBuilder();
            Optional<List<List<String>>> probes = ParameterProbes.values(connection, rewrite, why);
            if (probes.isEmpty()) {
                return new Result(Verdict.NOT_RUN, why + "; run both with your values", 0);
            }
            long rows = 0;
            for (List<String> values : probes.get()) {
                String arguments = "(" + String.join(", ", values.stream().map(ParameterProbes::literal).toList()) + ")";
                String with = " with " + describe(values);
                Result result = compare(executed(statement, "statbridge_check_before", rewrite.original(), arguments),
                        executed(statement, "statbridge_check_after", rewrite.rewritten(), arguments), with);
                if (result.verdict() != Verdict.SAME_ROWS) {
                    return result;
                }
                rows += result.rows();
            }
            if (rows == 0) {
                return new Result(Verdict.NOT_RUN, "no values taken from the data made it return a row; run both with your values", 0);
            }
            return new Result(Verdict.SAME_ROWS, probes.get().size() + " set(s) of values from the data, e.g. "
                    + describe(probes.get().get(0)), rows);
        } catch (SQLException | IllegalStateException e) {
            return new Result(Verdict.NOT_RUN, "it failed: " + Objects.requireNonNullElse(e.getMessage(), e.toString()).lines().findFirst()
                    .orElse(""), 0);
        } finally {
            connection.rollback();
        }
    }

    private static String describe(List<String> values) {
        List<String> named = new ArrayList<>();
        for (int i = 0; i < values.size(); i++) {
            named.add("$" + (i + 1) + "=" + ParameterProbes.literal(values.get(i)));
        }
        return String.join(", ", named);
    }

    private static Result compare(Rows before, Rows after, String with) {
        if (before == null || after == null) {
            return new Result(Verdict.NOT_RUN, "more than " + MAX_ROWS + " rows" + with, 0);
        }
        if (!before.columns().equals(after.columns())) {
            return new Result(Verdict.DIFFERENT, "columns " + before.columns() + " became " + after.columns(), before.count());
        }
        if (!before.counts().equals(after.counts())) {
            return new Result(Verdict.DIFFERENT, before.count() + " row(s) before, " + after.count() + " after" + with + ", "
                    + difference(before.counts(), after.counts()), before.count());
        }
        return new Result(Verdict.SAME_ROWS, null, before.count());
    }

    /** A query with parameters, prepared under {@code name} and executed with {@code arguments}, then forgotten. */
    private static Rows executed(Statement statement, String name, String sql, String arguments) throws SQLException {
        statement.execute("PREPARE " + name + " AS " + sql);
        try {
            return rows(statement, "EXECUTE " + name + " " + arguments);
        } finally {
            statement.execute("DEALLOCATE " + name);
        }
    }

    private record Rows(List<String> columns, Map<List<String>, Integer> counts, long count) {
    }

    private static Rows rows(Statement statement, String sql) throws SQLException {
        try (ResultSet rows = statement.executeQuery(sql)) {
            ResultSetMetaData meta = rows.getMetaData();
            List<String> columns = new ArrayList<>();
            boolean[] floating = new boolean[meta.getColumnCount() + 1];
            for (int i = 1; i <= meta.getColumnCount(); i++) {
                columns.add(meta.getColumnLabel(i).toLowerCase(Locale.ROOT));
                int type = meta.getColumnType(i);
                floating[i] = type == Types.DOUBLE || type == Types.FLOAT || type == Types.REAL;
            }
            Map<List<String>, Integer> counts = new HashMap<>();
            long count = 0;
            while (rows.next()) {
                if (++count > MAX_ROWS) {
                    return null;
                }
                List<String> row = new ArrayList<>(columns.size());
                for (int i = 1; i <= columns.size(); i++) {
                    if (floating[i]) {
                        double value = rows.getDouble(i);
                        row.add(rows.wasNull() ? null : String.format(Locale.ROOT, "%.12g", value));
                    } else {
                        row.add(rows.getString(i));
                    }
                }
                counts.merge(row, 1, Integer::sum);
            }
            return new Rows(columns, counts, count);
        }
    }

    private static String difference(Map<List<String>, Integer> before, Map<List<String>, Integer> after) {
        for (Map.Entry<List<String>, Integer> row : before.entrySet()) {
            if (!row.getValue().equals(after.getOrDefault(row.getKey(), 0))) {
                return "e.g. " + row.getKey() + " " + row.getValue() + "x before, " + after.getOrDefault(row.getKey(), 0) + "x after";
            }
        }
        for (Map.Entry<List<String>, Integer> row : after.entrySet()) {
            if (!before.containsKey(row.getKey())) {
                return "e.g. " + row.getKey() + " only after";
            }
        }
        return "";
    }
}

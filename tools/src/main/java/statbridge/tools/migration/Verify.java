package statbridge.tools.migration;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import statbridge.sink.dualwrite.ParityCheck;
import statbridge.sink.dualwrite.ParityResult;
import statbridge.sink.dualwrite.ParitySelection;

/**
 * Parity between {@code model_stats_daily_legacy} and the legacy shape rebuilt from the new
 * tables over a selection: the counts (one set-based comparison), and a sample of the rows behind
 * each kind of difference. The result is recorded: the switch's status and the sink's
 * {@code statbridge_sink_parity_*} gauges show the last one.
 */
public final class Verify {

    /** The counts, and up to the requested number of example rows of each kind. */
    public record Report(ParityResult counts, List<String> missingInLegacy, List<String> missingInNew, List<String> differing) {
    }

    private static final String COLUMNS = "model_name, model_version, stat_date, slice_key, metric_name, metric_value, business_metric_value";
    private static final String SAME_ROW = "o.model_name = x.model_name AND o.model_version = x.model_version "
            + "AND o.stat_date = x.stat_date AND o.slice_key = x.slice_key AND o.metric_name = x.metric_name";
    static final String MISSING = "SELECT " + COLUMNS + " FROM ml_monitoring.%1$s x WHERE %3$s AND NOT EXISTS "
            + "(SELECT 1 FROM ml_monitoring.%2$s o WHERE " + SAME_ROW + ") ORDER BY 1, 2, 3, 4, 5 LIMIT ?";
    static final String DIFFERING = "SELECT x.model_name, x.model_version, x.stat_date, x.slice_key, x.metric_name, "
            + "x.metric_value, x.business_metric_value, o.metric_value, o.business_metric_value "
            + "FROM ml_monitoring.model_stats_daily_legacy x JOIN ml_monitoring.model_stats_daily_legacy_rebuilt o ON " + SAME_ROW
            + " WHERE %s AND (x.metric_value, x.business_metric_value) IS DISTINCT FROM (o.metric_value, o.business_metric_value)"
            + " ORDER BY 1, 2, 3, 4, 5 LIMIT ?";

    private final DataSource dataSource;

    public Verify(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** Compares, records the result, and samples up to {@code samples} rows of each kind of difference. */
    public Report run(ParitySelection selection, int samples) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            try {
                ParityResult counts = ParityCheck.run(connection, selection);
                ParityCheck.record(connection, counts);
                List<String> missingInLegacy = counts.missingInLegacy() == 0 ? List.of()
                        : sample(connection, MISSING.formatted("model_stats_daily_legacy_rebuilt", "model_stats_daily_legacy",
                                selection.where("x")), selection, samples, false);
                List<String> missingInNew = counts.missingInNew() == 0 ? List.of()
                        : sample(connection, MISSING.formatted("model_stats_daily_legacy", "model_stats_daily_legacy_rebuilt",
                                selection.where("x")), selection, samples, false);
                List<String> differing = counts.differing() == 0 ? List.of()
                        : sample(connection, DIFFERING.formatted(selection.where("x")), selection, samples, true);
                connection.commit();
                return new Report(counts, missingInLegacy, missingInNew, differing);
            } catch (SQLException | RuntimeException e) {
                connection.rollback();
                throw e;
            }
        }
    }

    private static List<String> sample(Connection connection, String sql, ParitySelection selection, int limit, boolean both)
            throws SQLException {
        List<String> rows = new ArrayList<>();
        try (PreparedStatement query = connection.prepareStatement(sql)) {
            query.setInt(selection.bind(connection, query, 1), limit);
            try (ResultSet row = query.executeQuery()) {
                while (row.next()) {
                    String id = row.getString(1) + "/" + row.getString(2) + "/" + row.getString(3) + "/" + row.getString(4)
                            + " " + row.getString(5);
                    rows.add(both
                            ? id + ": legacy (" + row.getString(6) + ", " + row.getString(7) + ") vs new (" + row.getString(8)
                                    + ", " + row.getString(9) + ")"
                            : id + ": (" + row.getString(6) + ", " + row.getString(7) + ")");
                }
            }
        }
        return rows;
    }
}

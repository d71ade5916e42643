package statbridge.tools.migration;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The one owner of {@code ml_monitoring.import_rejected}: the source rows an import run refused,
 * with the reason, recorded when the run is staged and reported by reason and by example.
 */
final class ImportRejections {

    static final String FORGET_REJECTED = "DELETE FROM ml_monitoring.import_rejected WHERE run_id = ?";
    static final String REJECTED_BY_REASON = """
            SELECT reason, count(*) FROM ml_monitoring.import_rejected WHERE run_id = ? GROUP BY reason ORDER BY reason
            """;
    /** The first refused rows of a relation ({@code import_rejected} or a stage) that a condition picks. */
    static final String REJECTED_EXAMPLES = """
            SELECT concat_ws('/', model_name, model_version, stat_date, slice_key, metric_name), reason, message
            FROM %s WHERE %s
            ORDER BY model_name, model_version, stat_date, slice_key, metric_name LIMIT ?
            """;

    private ImportRejections() {
    }

    /** Forgets what an earlier stage of the run refused, in the caller's transaction. */
    static void forget(Connection connection, ImportRun run) throws SQLException {
        try (PreparedStatement forget = connection.prepareStatement(FORGET_REJECTED)) {
            forget.setLong(1, run.id());
            forget.executeUpdate();
        }
    }

    /** Records the rows the run's stage refused, in the caller's transaction (the stage's). */
    static void record(Connection connection, ImportRun run) throws SQLException {
        try (PreparedStatement reject = connection.prepareStatement("""
                INSERT INTO ml_monitoring.import_rejected (run_id, model_name, model_version, stat_date, slice_key, metric_name,
                       metric_value, business_metric_value, reason, message)
                SELECT ?, model_name, model_version, stat_date, slice_key, metric_name, metric_value, business_metric_value, reason, message
                FROM %s WHERE reason IN ('%s', '%s')
                """.formatted(run.stage(), ImportSource.INVALID_FIELD, ImportSource.CONFLICTING_DUPLICATE))) {
            reject.setLong(1, run.id());
            reject.executeUpdate();
        }
    }

    /** The refused rows of the run by reason. */
    static Map<String, Long> rejectedByReason(Connection connection, long runId) throws SQLException {
        Map<String, Long> counts = new LinkedHashMap<>();
        try (PreparedStatement query = connection.prepareStatement(REJECTED_BY_REASON)) {
            query.setLong(1, runId);
            try (ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    counts.put(rows.getString(1), rows.getLong(2));
                }
            }
        }
        return counts;
    }

    /** The first {@code limit} refused rows of run {@code runId}, in key order. */
    static List<RejectedRow> rejectedExamples(Connection connection, long runId, int limit) throws SQLException {
        return examples(connection, REJECTED_EXAMPLES.formatted("ml_monitoring.import_rejected", "run_id = " + runId), limit);
    }

    /** The first {@code limit} refused rows of a stage table, in key order. */
    static List<RejectedRow> rejectedExamples(Connection connection, String stage, int limit) throws SQLException {
        return examples(connection, REJECTED_EXAMPLES.formatted(stage, "reason IN ('" + ImportSource.INVALID_FIELD + "', '"
                + ImportSource.CONFLICTING_DUPLICATE + "')"), limit);
    }

    private static List<RejectedRow> examples(Connection connection, String sql, int limit) throws SQLException {
        List<RejectedRow> examples = new ArrayList<>();
        try (PreparedStatement query = connection.prepareStatement(sql)) {
            query.setInt(1, limit);
            try (ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    examples.add(new RejectedRow(rows.getString(1), rows.getString(2), rows.getString(3)));
                }
            }
        }
        return examples;
    }
}

package statbridge.sink.dualwrite;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Optional;

/**
 * Compares {@code model_stats_daily_legacy} with the legacy shape rebuilt from the new tables, in
 * one set-based query: counts, rows missing on either side, values that differ. Results are
 * recorded so the switch's status can show the last one.
 */
public final class ParityCheck {

    static final String COMPARE = """
            WITH l AS (SELECT model_name, model_version, stat_date, slice_key, metric_name, metric_value, business_metric_value
                       FROM ml_monitoring.model_stats_daily_legacy WHERE %1$s),
                 r AS (SELECT model_name, model_version, stat_date, slice_key, metric_name, metric_value, business_metric_value
                       FROM ml_monitoring.model_stats_daily_legacy_rebuilt WHERE %1$s)
            SELECT count(l.metric_name) AS legacy_rows,
                   count(r.metric_name) AS rebuilt_rows,
                   count(*) FILTER (WHERE l.metric_name IS NULL) AS missing_in_legacy,
                   count(*) FILTER (WHERE r.metric_name IS NULL) AS missing_in_new,
                   count(*) FILTER (WHERE l.metric_name IS NOT NULL AND r.metric_name IS NOT NULL
                                    AND (l.metric_value, l.business_metric_value)
                                        IS DISTINCT FROM (r.metric_value, r.business_metric_value)) AS differing
            FROM l FULL OUTER JOIN r
              ON l.model_name = r.model_name AND l.model_version = r.model_version AND l.stat_date = r.stat_date
             AND l.slice_key = r.slice_key AND l.metric_name = r.metric_name
            """;
    static final String RECORD = """
            INSERT INTO ml_monitoring.parity_results
                   (checked_at, selection, legacy_rows, rebuilt_rows, missing_in_legacy, missing_in_new, differing, ok)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """;
    static final String LAST = """
            SELECT checked_at, selection, legacy_rows, rebuilt_rows, missing_in_legacy, missing_in_new, differing
            FROM ml_monitoring.parity_results ORDER BY id DESC LIMIT 1
            """;

    private ParityCheck() {
    }

    /** Runs the comparison over a selection (in the caller's transaction). */
    public static ParityResult run(Connection connection, ParitySelection selection) throws SQLException {
        if (!DualWriteSwitch.legacyViewExists(connection)) {
            throw new IllegalStateException("the legacy view was retired ('statbridge legacy retire'): there is no legacy shape "
                    + "to compare; 'statbridge dual-write on' brings the legacy table back");
        }
        try (PreparedStatement compare = connection.prepareStatement(COMPARE.formatted(selection.where()))) {
            selection.bind(connection, compare, selection.bind(connection, compare, 1));
            try (ResultSet rows = compare.executeQuery()) {
                rows.next();
                return new ParityResult(Instant.now(), selection.toString(), rows.getLong(1), rows.getLong(2),
                        rows.getLong(3), rows.getLong(4), rows.getLong(5));
            }
        }
    }

    /** Records a result (the caller commits). */
    public static void record(Connection connection, ParityResult result) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement(RECORD)) {
            insert.setTimestamp(1, Timestamp.from(result.checkedAt()));
            insert.setString(2, result.selection());
            insert.setLong(3, result.legacyRows());
            insert.setLong(4, result.rebuiltRows());
            insert.setLong(5, result.missingInLegacy());
            insert.setLong(6, result.missingInNew());
            insert.setLong(7, result.differing());
            insert.setBoolean(8, result.ok());
            insert.executeUpdate();
        }
    }

    /** The last recorded result. */
    public static Optional<ParityResult> last(Connection connection) throws SQLException {
        try (PreparedStatement query = connection.prepareStatement(LAST); ResultSet rows = query.executeQuery()) {
            if (!rows.next()) {
                return Optional.empty();
            }
            return Optional.of(new ParityResult(rows.getTimestamp(1).toInstant(), rows.getString(2), rows.getLong(3),
                    rows.getLong(4), rows.getLong(5), rows.getLong(6), rows.getLong(7)));
        }
    }
}

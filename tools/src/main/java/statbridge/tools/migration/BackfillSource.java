package statbridge.tools.migration;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.LocalDate;
import java.time.YearMonth;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import statbridge.sink.dualwrite.ParitySelection;
import statbridge.sink.legacy.LegacyRowRebuilder;
import statbridge.sink.writer.HistoryStatements;
import statbridge.tools.migration.Backfill.Direction;

/**
 * What a backfill reads and the statements it copies with: the months and counts of its source
 * (the legacy table or its archive, or the new stats table; names from this package, never from
 * input), the legacy names the catalog lacks, and the two chunk statements, each set-based and
 * keyed for resuming after the last key it wrote.
 */
final class BackfillSource {

    static final String KEY_ORDER_LEGACY = "l.model_name, l.model_version, l.stat_date, l.slice_key, l.metric_name";
    static final String KEY_ORDER_NEW = "s.model_name, s.model_version, s.stat_date, s.slice_key, s.metric_type, s.metric_key";

    /** One chunk legacy to new: the stats, the business values not withdrawn, and the checkpoint key. */
    static final String LEGACY_TO_NEW_CHUNK = """
            WITH chunk AS (
                SELECT l.model_name, l.model_version, l.stat_date, l.slice_key, l.metric_name, l.metric_value,
                       l.business_metric_value, c.metric_type, c.metric_key
                FROM ml_monitoring.%1$s l
                LEFT JOIN ml_monitoring.metric_catalog c ON c.metric_name = l.metric_name
                WHERE %2$s AND (?::boolean OR (l.model_name, l.model_version, l.stat_date, l.slice_key, l.metric_name)
                                              > (?::text, ?::text, ?::date, ?::text, ?::text))
                ORDER BY %3$s
                LIMIT ?),
            stats AS (
            """ + HistoryStatements.backfillStats("chunk", HistoryStatements.Lineage.BACKFILL) + """
                RETURNING 1),
            business AS (
            """ + HistoryStatements.backfillBusiness("chunk", HistoryStatements.Lineage.BACKFILL) + """
                RETURNING 1),
            last AS (SELECT * FROM chunk ORDER BY model_name DESC, model_version DESC, stat_date DESC, slice_key DESC,
                                                   metric_name DESC LIMIT 1)
            SELECT (SELECT count(*) FROM chunk),
                   (SELECT count(*) FROM stats) + (SELECT count(*) FROM business),
                   (SELECT count(*) FROM chunk WHERE metric_type IS NULL),
                   (SELECT ARRAY[model_name, model_version, stat_date::text, slice_key, metric_name] FROM last)
            """;

    /** One chunk new to legacy: the rebuild of a page of stat rows. */
    static final String NEW_TO_LEGACY_CHUNK = """
            WITH chunk AS (
                SELECT s.model_name, s.model_version, s.stat_date, s.slice_key, s.metric_type, s.metric_key
                FROM ml_monitoring.model_stats_daily s
                WHERE %1$s AND (?::boolean OR (s.model_name, s.model_version, s.stat_date, s.slice_key, s.metric_type, s.metric_key)
                                              > (?::text, ?::text, ?::date, ?::text, ?::text, ?::text))
                ORDER BY %2$s
                LIMIT ?),
            written AS (
            """ + LegacyRowRebuilder.repair("""
                SELECT r.model_name, r.model_version, r.stat_date, r.slice_key, r.metric_name, r.metric_value,
                       r.business_metric_value, r.updated_at
                FROM chunk k
                JOIN ml_monitoring.model_stats_daily_legacy_rebuilt r
                  ON r.model_name = k.model_name AND r.model_version = k.model_version AND r.stat_date = k.stat_date
                 AND r.slice_key = k.slice_key AND r.metric_type = k.metric_type AND r.metric_key = k.metric_key
                """) + """
                RETURNING 1),
            last AS (SELECT * FROM chunk ORDER BY model_name DESC, model_version DESC, stat_date DESC, slice_key DESC,
                                                   metric_type DESC, metric_key DESC LIMIT 1)
            SELECT (SELECT count(*) FROM chunk), (SELECT count(*) FROM written), 0::bigint,
                   (SELECT ARRAY[model_name, model_version, stat_date::text, slice_key, metric_type, metric_key] FROM last)
            """;

    private final DataSource dataSource;
    private final String legacy;
    private final String table;

    /**
     * @param legacy the legacy relation the rows come from or go to: {@code model_stats_daily_legacy} or its archive
     */
    BackfillSource(DataSource dataSource, Direction direction, String legacy) {
        this.dataSource = dataSource;
        this.legacy = legacy;
        this.table = direction == Direction.LEGACY_TO_NEW ? legacy : "model_stats_daily";
    }

    /** The selection cut at calendar months, over the months the source holds rows for. */
    List<ParitySelection> months(ParitySelection selection) throws SQLException {
        LocalDate first = null;
        LocalDate last = null;
        try (Connection connection = dataSource.getConnection(); PreparedStatement query = connection.prepareStatement(
                "SELECT min(stat_date), max(stat_date) FROM ml_monitoring." + table + " WHERE " + selection.where())) {
            selection.bind(connection, query, 1);
            try (ResultSet rows = query.executeQuery()) {
                if (rows.next() && rows.getObject(1) != null) {
                    first = rows.getObject(1, LocalDate.class);
                    last = rows.getObject(2, LocalDate.class);
                }
            }
            connection.rollback();
        }
        List<ParitySelection> months = new ArrayList<>();
        if (first == null) {
            return months;
        }
        for (YearMonth month = YearMonth.from(first); !month.isAfter(YearMonth.from(last)); month = month.plusMonths(1)) {
            LocalDate from = selection.from() != null && selection.from().isAfter(month.atDay(1)) ? selection.from() : month.atDay(1);
            LocalDate to = selection.to() != null && selection.to().isBefore(month.atEndOfMonth()) ? selection.to() : month.atEndOfMonth();
            months.add(new ParitySelection(selection.models(), selection.versions(), from, to));
        }
        return months;
    }

    /** Rows of the source that {@code selection} picks. */
    long count(ParitySelection selection) throws SQLException {
        return single("SELECT count(*) FROM ml_monitoring." + table + " WHERE " + selection.where(), selection);
    }

    /** Legacy names without a catalog entry among the rows {@code selection} picks, with their row counts. */
    Map<String, Long> unmapped(ParitySelection selection) throws SQLException {
        return unmapped(dataSource, "ml_monitoring." + legacy, selection);
    }

    /**
     * The legacy names among the rows of {@code relation} (legacy-shaped; a name made by statbridge,
     * never by input) that {@code selection} picks and the catalog lacks, with their row counts: one
     * cheap pass, read only.
     */
    static Map<String, Long> unmapped(DataSource dataSource, String relation, ParitySelection selection) throws SQLException {
        Map<String, Long> names = new LinkedHashMap<>();
        try (Connection connection = dataSource.getConnection();
                PreparedStatement query = connection.prepareStatement("SELECT l.metric_name::text, count(*) FROM " + relation
                        + " l WHERE " + selection.where("l") + " AND l.metric_name IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "
                        + "ml_monitoring.metric_catalog c WHERE c.metric_name = l.metric_name::text) GROUP BY 1 ORDER BY 1")) {
            selection.bind(connection, query, 1);
            try (ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    names.put(rows.getString(1), rows.getLong(2));
                }
            }
            connection.rollback();
        }
        return names;
    }

    private long single(String sql, ParitySelection selection) throws SQLException {
        try (Connection connection = dataSource.getConnection(); PreparedStatement query = connection.prepareStatement(sql)) {
            selection.bind(connection, query, 1);
            try (ResultSet rows = query.executeQuery()) {
                rows.next();
                long value = rows.getLong(1);
                connection.rollback();
                return value;
            }
        }
    }
}

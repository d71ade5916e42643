package statbridge.tools.series;

import statbridge.sink.writer.Series;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;

/** Reads {@code metric_series}: the series of a model, and per metric the models that publish it. */
public final class MetricSeriesReader {

    /** One row of {@code metric_series}. */
    public record Row(Series series, long rows, LocalDate firstDate, LocalDate lastDate, double minValue, double maxValue, long slices,
            Instant lastWrittenAt, String lastPath) {
    }

    /** Per metric (type and key): how many models (name and version) publish it, and its date range. */
    public record Usage(long models, LocalDate firstDate, LocalDate lastDate) {
    }

    static final String LIST = """
            SELECT model_name, model_version, metric_type, metric_key, rows, first_date, last_date, min_value, max_value, slices,
                   last_written_at, last_path
            FROM ml_monitoring.metric_series WHERE (?::text IS NULL OR model_name = ?::text)
            ORDER BY model_name, model_version, metric_type, metric_key
            """;
    static final String USAGE = """
            SELECT metric_type, metric_key, count(*), min(first_date), max(last_date) FROM ml_monitoring.metric_series
            GROUP BY 1, 2
            """;

    private final DataSource dataSource;

    public MetricSeriesReader(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** The series of {@code model} (every model when null). */
    public List<Row> list(String model) throws SQLException {
        List<Row> rows = new ArrayList<>();
        try (Connection connection = dataSource.getConnection(); PreparedStatement query = connection.prepareStatement(LIST)) {
            query.setString(1, model);
            query.setString(2, model);
            try (ResultSet r = query.executeQuery()) {
                while (r.next()) {
                    rows.add(new Row(new Series(r.getString(1), r.getString(2), r.getString(3), r.getString(4)), r.getLong(5),
                            r.getObject(6, LocalDate.class), r.getObject(7, LocalDate.class), r.getDouble(8), r.getDouble(9),
                            r.getLong(10), r.getTimestamp(11).toInstant(), r.getString(12)));
                }
            }
            connection.rollback();
        }
        return rows;
    }

    /** Per metric, keyed {@code TYPE/key}. */
    public Map<String, Usage> usage() throws SQLException {
        Map<String, Usage> usage = new LinkedHashMap<>();
        try (Connection connection = dataSource.getConnection(); PreparedStatement query = connection.prepareStatement(USAGE);
                ResultSet r = query.executeQuery()) {
            while (r.next()) {
                usage.put(r.getString(1) + "/" + r.getString(2), new Usage(r.getLong(3), r.getObject(4, LocalDate.class),
                        r.getObject(5, LocalDate.class)));
            }
            connection.rollback();
        }
        return usage;
    }
}

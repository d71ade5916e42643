package statbridge.tools.series;

import statbridge.sink.writer.Series;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

/**
 * The series that blank a dashboard: published on most days of a recent window, then nothing for
 * the last days while other series of the same model (name and version) still arrive. A model whose
 * series all stopped is one silent model, not one silent series each. Read from
 * {@code metric_series} and the stat rows of the window only (an indexed range), never the history.
 */
public final class SilentSeries {

    /**
     * What counts as silent.
     *
     * @param windowDays the recent window, in days of stat_date up to the day of the report
     * @param minDays days of the window on which a series must have rows to be regularly published
     * @param afterDays days up to the day of the report without rows that make it silent
     */
    public record Rule(int windowDays, int minDays, int afterDays) {
        public Rule {
            if (afterDays >= windowDays) {
                throw new IllegalArgumentException("the days without rows (" + afterDays + ") must be fewer than the window ("
                        + windowDays + ")");
            }
            if (minDays > windowDays - afterDays) {
                throw new IllegalArgumentException("a series cannot have rows on " + minDays + " days of a " + windowDays
                        + "-day window whose last " + afterDays + " are empty");
            }
        }

        public static final Rule DEFAULT = new Rule(10, 7, 2);

        /** The first day of the window, for a report of {@code day}. */
        LocalDate windowStart(LocalDate day) {
            return day.minusDays(windowDays - 1L);
        }

        /** The first of the days that must be empty. */
        LocalDate silentFrom(LocalDate day) {
            return day.minusDays(afterDays - 1L);
        }
    }

    /** A catalog entry added after a series went quiet: a renamed or re-keyed metric shows here. */
    public record CatalogChange(String metricName, String metricType, String metricKey, Instant addedAt) {
    }

    /**
     * A silent series.
     *
     * @param daysInWindow days of the window with rows
     * @param lastPath how its last events came ({@code v1}, {@code v2}), or null when unknown
     */
    public record Silent(Series series, LocalDate lastDate, int daysInWindow, Instant lastWrittenAt, String lastPath,
            List<CatalogChange> catalogChanges) {
        /** The first day without rows. */
        public LocalDate silentSince() {
            return lastDate.plusDays(1);
        }
    }

    /** A model (name and version) of which every regularly published series stopped. */
    public record SilentModel(String modelName, String modelVersion, LocalDate lastDate, int series, Instant lastWrittenAt,
            List<CatalogChange> catalogChanges) {
        public LocalDate silentSince() {
            return lastDate.plusDays(1);
        }
    }

    /**
     * A series that stopped while a series of the same model and type whose key differs only in case
     * or punctuation began to arrive: the metric was re-keyed, usually by a job publishing a misspelt
     * key that was then added to the catalog. Its rows arrive under another legacy metric_name, so a
     * chart of the old one stays empty after {@code from.lastDate()}.
     */
    public record Moved(Silent from, Series to, LocalDate toFirstDate) {
    }

    /** What a report found, for {@code day} under {@code rule}. */
    public record Report(LocalDate day, Rule rule, List<Silent> series, List<SilentModel> models, List<Moved> moved) {
        public boolean isEmpty() {
            return series.isEmpty() && models.isEmpty() && moved.isEmpty();
        }
    }

    /**
     * Candidates (last rows inside the window, none in the last days), with the days of the window on
     * which each has rows, and whether its model still has any series arriving.
     */
    static final String CANDIDATES = """
            WITH recent AS (
                SELECT * FROM ml_monitoring.metric_series WHERE last_date >= ?::date AND last_date <= ?::date
            ), quiet AS (
                SELECT * FROM recent WHERE last_date < ?::date
            ), days AS (
                SELECT t.model_name, t.model_version, t.metric_type, t.metric_key, count(DISTINCT t.stat_date) AS days
                FROM ml_monitoring.model_stats_daily t
                JOIN quiet q ON q.model_name = t.model_name AND q.model_version = t.model_version
                            AND q.metric_type = t.metric_type AND q.metric_key = t.metric_key
                WHERE t.stat_date >= ?::date AND t.stat_date <= ?::date
                GROUP BY 1, 2, 3, 4
            )
            SELECT q.model_name, q.model_version, q.metric_type, q.metric_key, q.last_date, d.days, q.last_written_at, q.last_path,
                   EXISTS (SELECT 1 FROM recent r WHERE r.model_name = q.model_name AND r.model_version = q.model_version
                                                    AND r.last_date >= ?::date) AS model_arrives
            FROM quiet q JOIN days d USING (model_name, model_version, metric_type, metric_key)
            WHERE d.days >= ?
            ORDER BY q.model_name, q.model_version, q.metric_type, q.metric_key
            """;
    static final String CATALOG_SINCE = """
            SELECT metric_name, metric_type, metric_key, added_at FROM ml_monitoring.metric_catalog
            WHERE added_at > ? ORDER BY added_at, metric_name
            """;

    private final DataSource dataSource;

    public SilentSeries(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** The silent series and models on {@code day} (today, as the database's clock says, when null). */
    public Report report(LocalDate day, Rule rule) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            connection.setReadOnly(true);
            LocalDate today = day != null ? day : today(connection);
            List<Silent> series = new ArrayList<>();
            List<Silent> ofSilentModels = new ArrayList<>();
            try (PreparedStatement query = connection.prepareStatement(CANDIDATES)) {
                query.setObject(1, rule.windowStart(today));
                query.setObject(2, today);
                query.setObject(3, rule.silentFrom(today));
                query.setObject(4, rule.windowStart(today));
                query.setObject(5, today);
                query.setObject(6, rule.silentFrom(today));
                query.setInt(7, rule.minDays());
                try (ResultSet rows = query.executeQuery()) {
                    while (rows.next()) {
                        Timestamp written = rows.getTimestamp(7);
                        Silent silent = new Silent(new Series(rows.getString(1), rows.getString(2), rows.getString(3), rows.getString(4)),
                                rows.getObject(5, LocalDate.class), rows.getInt(6), written.toInstant(), rows.getString(8), List.of());
                        (rows.getBoolean(9) ? series : ofSilentModels).add(silent);
                    }
                }
            }
            List<CatalogChange> catalog = catalogSince(connection, earliest(series, ofSilentModels));
            java.util.Map<Series, LocalDate> arriving = series.isEmpty() ? java.util.Map.of() : arriving(connection, rule.silentFrom(today));
            List<Silent> silent = new ArrayList<>();
            List<Moved> moved = new ArrayList<>();
            for (Silent s : series) {
                Silent withCatalog = new Silent(s.series(), s.lastDate(), s.daysInWindow(), s.lastWrittenAt(), s.lastPath(),
                        since(catalog, s.lastWrittenAt()));
                Series successor = arriving.keySet().stream().filter(a -> isRekeyOf(a, s.series())).findFirst().orElse(null);
                if (successor == null) {
                    silent.add(withCatalog);
                } else {
                    moved.add(new Moved(withCatalog, successor, arriving.get(successor)));
                }
            }
            return new Report(today, rule, silent, models(ofSilentModels, catalog), moved);
        }
    }

    /** The series with rows on or after {@code from}, with their first dates. */
    private static java.util.Map<Series, LocalDate> arriving(Connection connection, LocalDate from) throws SQLException {
        java.util.Map<Series, LocalDate> arriving = new java.util.TreeMap<>();
        try (PreparedStatement query = connection.prepareStatement("SELECT model_name, model_version, metric_type, metric_key, first_date "
                + "FROM ml_monitoring.metric_series WHERE last_date >= ?")) {
            query.setObject(1, from);
            try (ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    Series series = new Series(rows.getString(1), rows.getString(2), rows.getString(3), rows.getString(4));
                    arriving.put(series, rows.getObject(5, LocalDate.class));
                }
            }
        }
        return arriving;
    }

    /** Whether {@code candidate} is {@code silent} under another spelling of its key. */
    static boolean isRekeyOf(Series candidate, Series silent) {
        return candidate.modelName().equals(silent.modelName()) && candidate.modelVersion().equals(silent.modelVersion())
                && candidate.metricType().equals(silent.metricType()) && !candidate.metricKey().equals(silent.metricKey())
                && normalized(candidate.metricKey()).equals(normalized(silent.metricKey()));
    }

    private static String normalized(String key) {
        return key.toLowerCase(java.util.Locale.ROOT).replaceAll("[^\\p{L}\\p{N}]", "");
    }

    private static LocalDate today(Connection connection) throws SQLException {
        try (PreparedStatement query = connection.prepareStatement("SELECT current_date"); ResultSet row = query.executeQuery()) {
            row.next();
            return row.getObject(1, LocalDate.class);
        }
    }

    private static Instant earliest(List<Silent> a, List<Silent> b) {
        Instant earliest = null;
        for (List<Silent> list : List.of(a, b)) {
            for (Silent s : list) {
                earliest = earliest == null || s.lastWrittenAt().isBefore(earliest) ? s.lastWrittenAt() : earliest;
            }
        }
        return earliest;
    }

    private static List<CatalogChange> catalogSince(Connection connection, Instant since) throws SQLException {
        if (since == null) {
            return List.of();
        }
        List<CatalogChange> changes = new ArrayList<>();
        try (PreparedStatement query = connection.prepareStatement(CATALOG_SINCE)) {
            query.setTimestamp(1, Timestamp.from(since));
            try (ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    changes.add(new CatalogChange(rows.getString(1), rows.getString(2), rows.getString(3), rows.getTimestamp(4).toInstant()));
                }
            }
        }
        return changes;
    }

    private static List<CatalogChange> since(List<CatalogChange> catalog, Instant instant) {
        return catalog.stream().filter(c -> c.addedAt().isAfter(instant)).toList();
    }

    /** One entry per model whose series all stopped, from its silent series. */
    private static List<SilentModel> models(List<Silent> ofSilentModels, List<CatalogChange> catalog) {
        List<SilentModel> models = new ArrayList<>();
        for (Silent s : ofSilentModels) {
            SilentModel last = models.isEmpty() ? null : models.get(models.size() - 1);
            if (last != null && last.modelName().equals(s.series().modelName()) && last.modelVersion().equals(s.series().modelVersion())) {
                Instant written = s.lastWrittenAt().isAfter(last.lastWrittenAt()) ? s.lastWrittenAt() : last.lastWrittenAt();
                models.set(models.size() - 1, new SilentModel(last.modelName(), last.modelVersion(),
                        s.lastDate().isAfter(last.lastDate()) ? s.lastDate() : last.lastDate(), last.series() + 1, written,
                        since(catalog, written)));
            } else {
                models.add(new SilentModel(s.series().modelName(), s.series().modelVersion(), s.lastDate(), 1, s.lastWrittenAt(),
                        since(catalog, s.lastWrittenAt())));
            }
        }
        return models;
    }
}

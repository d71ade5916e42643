package statbridge.tools.series;

import statbridge.sink.writer.SeriesTables;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import javax.sql.DataSource;

/**
 * Computes {@code metric_series} from the stat rows, for history written before the table existed
 * or by backfill and import (which do not keep it): month by month, each month in one transaction
 * that replaces the month's series rows with an aggregate of its partition. The transaction first
 * locks the month's partition SHARE, which waits for the sink's batches that write the month and
 * holds back new ones until it commits, so a batch's increment is either in the rows aggregated or
 * added after the month is replaced: never both, never neither. Other months are written meanwhile.
 *
 * <p>A run records the months it has done; a run stopped by a crash or a kill is carried on by the
 * next invocation, which skips them. Rebuilding twice gives the same table.
 */
public final class SeriesRebuild {

    /** After each month: rows aggregated so far of about {@code total} (the partitions' estimates). */
    public record Progress(long read, long total, int monthsDone, int months) {
    }

    /** What a run did: the months and rows it aggregated, and whether it carried on an earlier run. */
    public record Result(long runId, int months, int monthsSkipped, long rows, int series, boolean resumed, double seconds) {
    }

    record Month(LocalDate start, String partition, long estimate) {
    }

    static final String MONTHS = """
            SELECT c.relname, c.reltuples::bigint,
                   (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'FROM \\(''([^'']+)''\\)'))[1]::date
            FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = 'ml_monitoring.model_stats_daily'::regclass
            ORDER BY 3
            """;
    private final DataSource dataSource;

    public SeriesRebuild(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** Rebuilds every month on up to {@code parallel} connections, telling {@code progress} after each. */
    public Result run(int parallel, Consumer<Progress> progress) throws SQLException {
        long started = System.nanoTime();
        List<Month> months = months();
        long total = months.stream().mapToLong(Month::estimate).sum();
        Run run = startOrResume(months.size());
        List<Month> todo = months.stream().filter(m -> !run.done().contains(m.start())).toList();
        AtomicLong read = new AtomicLong();
        AtomicLong series = new AtomicLong();
        int[] done = {months.size() - todo.size()};
        statbridge.tools.migration.Workers.run("statbridge-series-rebuild", todo, parallel, (month, stopped) -> {
            long[] counted = rebuild(month, run.id());
            synchronized (done) {
                done[0]++;
                progress.accept(new Progress(read.addAndGet(counted[0]), Math.max(total, read.get()), done[0], months.size()));
            }
            series.addAndGet(counted[1]);
        });
        finish(run.id());
        return new Result(run.id(), todo.size(), months.size() - todo.size(), read.get(), (int) series.get(), !run.done().isEmpty(),
                (System.nanoTime() - started) / 1e9);
    }

    private record Run(long id, java.util.Set<LocalDate> done) {
    }

    private List<Month> months() throws SQLException {
        List<Month> months = new ArrayList<>();
        try (Connection connection = dataSource.getConnection(); Statement query = connection.createStatement();
                ResultSet rows = query.executeQuery(MONTHS)) {
            while (rows.next()) {
                if (rows.getObject(3) != null) {
                    months.add(new Month(rows.getObject(3, LocalDate.class), rows.getString(1), Math.max(0, rows.getLong(2))));
                }
            }
        }
        return months;
    }

    private Run startOrResume(int months) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(true);
            try (Statement query = connection.createStatement();
                    ResultSet open = query.executeQuery("SELECT id FROM ml_monitoring.series_rebuild_runs WHERE finished_at IS NULL "
                            + "ORDER BY id DESC LIMIT 1")) {
                if (open.next()) {
                    long id = open.getLong(1);
                    java.util.Set<LocalDate> done = new java.util.HashSet<>();
                    try (PreparedStatement months1 = connection.prepareStatement(
                            "SELECT month FROM ml_monitoring.series_rebuild_months WHERE run_id = ?")) {
                        months1.setLong(1, id);
                        try (ResultSet rows = months1.executeQuery()) {
                            while (rows.next()) {
                                done.add(rows.getObject(1, LocalDate.class));
                            }
                        }
                    }
                    return new Run(id, done);
                }
            }
            try (PreparedStatement insert = connection.prepareStatement(
                    "INSERT INTO ml_monitoring.series_rebuild_runs (months) VALUES (?) RETURNING id")) {
                insert.setInt(1, months);
                try (ResultSet id = insert.executeQuery()) {
                    id.next();
                    return new Run(id.getLong(1), java.util.Set.of());
                }
            }
        }
    }

    private void finish(long run) throws SQLException {
        try (Connection connection = dataSource.getConnection();
                PreparedStatement update = connection.prepareStatement(
                        "UPDATE ml_monitoring.series_rebuild_runs SET finished_at = now() WHERE id = ?")) {
            connection.setAutoCommit(true);
            update.setLong(1, run);
            update.executeUpdate();
        }
    }

    /** Replaces one month's series rows; returns the rows aggregated and the series written. */
    private long[] rebuild(Month month, long run) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            try {
                try (Statement lock = connection.createStatement()) {
                    lock.execute("LOCK TABLE ml_monitoring.\"" + month.partition().replace("\"", "\"\"") + "\" IN SHARE MODE");
                }
                long[] counted = SeriesTables.rebuildMonth(connection, month.start(), month.partition());
                try (PreparedStatement record = connection.prepareStatement(
                        "INSERT INTO ml_monitoring.series_rebuild_months (run_id, month, rows, series) VALUES (?, ?, ?, ?)")) {
                    record.setLong(1, run);
                    record.setObject(2, month.start());
                    record.setLong(3, counted[0]);
                    record.setInt(4, (int) counted[1]);
                    record.executeUpdate();
                }
                connection.commit();
                return counted;
            } catch (SQLException | RuntimeException e) {
                connection.rollback();
                throw e;
            }
        }
    }

}

package statbridge.tools.migration;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyOut;
import statbridge.sink.writer.HistoryStatements;

/**
 * One month of an import's stage brought into the tables {@link MonthLoader} builds for it, through
 * this process rather than by {@code INSERT ... SELECT}: the month's rows are read once with a binary
 * {@code COPY ... TO STDOUT}, put in each table's primary-key order here, and written with a binary
 * {@code COPY ... FROM STDIN} per table. The rows are exactly those the statements of
 * {@link HistoryStatements#historyStatsInto}, {@link HistoryStatements#historyBusinessInto} and
 * {@link statbridge.sink.legacy.LegacyRowRebuilder#historyInto} give.
 *
 * <p>Why: building a primary key over a loaded table is a sort, and the largest part of a month's
 * cost. Fed rows already in key order, PostgreSQL's sort notices and skips the work; ordering them
 * here is cheap, because a month's names, versions and slices are few: each distinct value is
 * ranked once, and the rows are ordered by one number made of their ranks. The order is by code
 * point (the unsigned order of the UTF-8 bytes), which is the order of the {@code C} and
 * {@code C.UTF-8} collations; under another collation PostgreSQL sorts as before and only the
 * saving is lost. A month is held in memory while it is written (about {@link #BYTES_PER_ROW} bytes
 * a row), so {@link MonthLoader} sends a month here only when it fits ({@link #rowsThatFit}).
 */
final class MonthCopy {

    /**
     * What a row may cost in memory here, at the worst moment: its COPY bytes as read (about a
     * hundred) while their buffer grows, and its columns.
     */
    static final int BYTES_PER_ROW = 400;
    /** PostgreSQL's timestamps count from 2000-01-01 UTC. */
    private static final Instant EPOCH = LocalDate.of(2000, 1, 1).atStartOfDay(ZoneOffset.UTC).toInstant();
    /** {@code -infinity} as a binary timestamptz. */
    private static final long MINUS_INFINITY = Long.MIN_VALUE;

    private MonthCopy() {
    }

    /** The most rows of a month held here whatever the heap: their COPY bytes stay well within one array. */
    static final long MAX_ROWS = 4_000_000;

    /**
     * The most rows a month may have to be brought in here by each of {@code parallel} workers: a
     * quarter of the heap, and at most {@link #MAX_ROWS}.
     */
    static long rowsThatFit(long maxMemory, int parallel) {
        return Math.min(MAX_ROWS, maxMemory / 4 / Math.max(1, parallel) / BYTES_PER_ROW);
    }

    /**
     * The month's rows of the stage to bring in, in the stage's columns (checked and cast already);
     * the dates are ours, so they are written into the statement. The catalog's names and the
     * withdrawn KPIs are looked up here ({@link MonthRows.Lookup}), not per row in PostgreSQL.
     */
    static String monthRows(String stage, YearMonth month) {
        LocalDate first = month.atDay(1);
        return "COPY (SELECT model_name::text, model_version::text, stat_date::date, slice_key::text, metric_name::text, "
                + "metric_value::float8, business_metric_value::float8 FROM " + stage + " WHERE stat_date >= date '" + first
                + "' AND stat_date < date '" + first.plusMonths(1) + "' AND reason IS NULL) TO STDOUT (FORMAT binary)";
    }

    /** Reads the month's rows ({@link #monthRows}) on {@code connection}, in its transaction. */
    static MonthRows read(Connection connection, String stage, YearMonth month) throws SQLException {
        MonthRows.Lookup lookup = MonthRows.Lookup.of(connection, month);
        CopyOut out = connection.unwrap(PGConnection.class).getCopyAPI().copyOut(monthRows(stage, month));
        byte[] bytes = new byte[1 << 16];
        int length = 0;
        try {
            for (byte[] message = out.readFromCopy(); message != null; message = out.readFromCopy()) {
                long needed = (long) length + message.length;
                if (needed > bytes.length) {
                    if (needed > Integer.MAX_VALUE - 16) {
                        throw new SQLException("the stage's rows for " + month + " exceed what one buffer holds");
                    }
                    bytes = Arrays.copyOf(bytes, (int) Math.min(Integer.MAX_VALUE - 16, Math.max(2L * bytes.length, needed)));
                }
                System.arraycopy(message, 0, bytes, length, message.length);
                length += message.length;
            }
        } finally {
            if (out.isActive()) {
                out.cancelCopy();
            }
        }
        try {
            return MonthRows.decode(ByteBuffer.wrap(bytes, 0, length), month.atDay(1), lookup);
        } catch (RuntimeException e) {
            throw new SQLException("the stage's rows for " + month + " could not be read: " + e, e);
        }
    }

    /**
     * Writes the month's rows into the built tables, each in its primary-key order: the stats and
     * the KPIs ({@code model_stats_daily}'s and {@code model_business_stats_daily}'s columns) and, when
     * {@code legacy} is not null, the legacy rows. Returns the rows written.
     */
    static long write(Connection connection, MonthRows month, String stats, String business, String legacy, String lineage,
            long writeSeq, Instant updatedAt) throws SQLException {
        long stamp = ChronoUnit.MICROS.between(EPOCH, updatedAt);
        byte[] topic = lineage.getBytes(StandardCharsets.UTF_8);
        long written = 0;
        if (legacy != null) {
            try (BinaryCopy copy = new BinaryCopy(connection, legacy, "model_name, model_version, stat_date, slice_key, metric_name, "
                    + "metric_value, business_metric_value, updated_at", 8)) {
                for (int row : month.legacyOrder()) {
                    if (month.stat(row)) {
                        startRow(copy, month, row);
                        copy.text(month.names.value(month.name[row]));
                        copy.number(month.value[row]);
                        if (month.kpi(row)) {
                            copy.number(month.business[row]);
                        } else {
                            copy.nul();
                        }
                        copy.int8(stamp);
                    }
                }
                written += copy.end();
            }
        }
        int[] order = month.newOrder();
        for (boolean kpis : new boolean[] {false, true}) {
            try (BinaryCopy copy = new BinaryCopy(connection, kpis ? business : stats, "model_name, model_version, stat_date, slice_key, "
                    + "metric_type, metric_key, " + (kpis ? "business_metric_value" : "metric_value")
                    + ", event_time, source_offset, source_topic, source_partition, write_seq, updated_at", 13)) {
                for (int row : order) {
                    if (kpis ? month.kpi(row) : month.stat(row)) {
                        startRow(copy, month, row);
                        copy.text(month.types.value(month.type[row]));
                        copy.text(month.keys.value(month.key[row]));
                        copy.number(kpis ? month.business[row] : month.value[row]);
                        copy.int8(MINUS_INFINITY);
                        copy.int8(-1);
                        copy.text(topic);
                        copy.nul();
                        copy.int8(writeSeq);
                        copy.int8(stamp);
                    }
                }
                written += copy.end();
            }
        }
        return written;
    }

    /** Starts a row with the first four columns of every table's key: model, version, date, slice. */
    private static void startRow(BinaryCopy copy, MonthRows month, int row) throws SQLException {
        copy.row();
        copy.text(month.models.value(month.model[row]));
        copy.text(month.versions.value(month.version[row]));
        copy.date(month.first + month.day[row]);
        copy.text(month.slices.value(month.slice[row]));
    }

}

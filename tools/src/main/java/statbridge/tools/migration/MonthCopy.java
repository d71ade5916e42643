package statbridge.tools.migration;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDate;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.postgresql.copy.CopyOut;
import statbridge.sink.writer.StatTables;

/**
 * One month of an import's stage brought into the tables {@link MonthLoader} builds for it, through
 * this process rather than by {@code INSERT ... SELECT}: the month's rows are read once with a binary
 * {@code COPY ... TO STDOUT}, put in each table's primary-key order here, and written with a binary
 * {@code COPY ... FROM STDIN} per table. The rows are exactly those the statements of
 * {@link StatTables#historyStatsInto}, {@link StatTables#historyBusinessInto} and
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
    private static final byte[] SIGNATURE = "PGCOPY\n\377\r\n\0".getBytes(StandardCharsets.ISO_8859_1);
    /** PostgreSQL's timestamps count from 2000-01-01 UTC. */
    private static final Instant EPOCH = LocalDate.of(2000, 1, 1).atStartOfDay(ZoneOffset.UTC).toInstant();
    /** {@code -infinity} as a binary timestamptz. */
    private static final long MINUS_INFINITY = Long.MIN_VALUE;
    private static final int COLUMNS = 7;

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
     * withdrawn KPIs are looked up here ({@link Lookup}), not per row in PostgreSQL.
     */
    static String monthRows(String stage, YearMonth month) {
        LocalDate first = month.atDay(1);
        return "COPY (SELECT model_name::text, model_version::text, stat_date::date, slice_key::text, metric_name::text, "
                + "metric_value::float8, business_metric_value::float8 FROM " + stage + " WHERE stat_date >= date '" + first
                + "' AND stat_date < date '" + first.plusMonths(1) + "' AND reason IS NULL) TO STDOUT (FORMAT binary)";
    }

    /** The KPIs withdrawn in the month: their keys ({@link Lookup#key}). */
    static final String WITHDRAWN = """
            SELECT model_name, model_version, stat_date, slice_key, metric_type, metric_key FROM ml_monitoring.business_withdrawals
            WHERE stat_date >= ? AND stat_date < ?
            """;

    /**
     * What a month's rows are read with: the catalog's type and key of each name it holds, and the
     * keys of the KPIs the sink withdrew in the month (which stay withdrawn).
     */
    record Lookup(Map<String, String[]> catalog, Set<String> withdrawn) {

        static Lookup of(Connection connection, YearMonth month) throws SQLException {
            Map<String, String[]> catalog = new HashMap<>();
            try (Statement query = connection.createStatement();
                    ResultSet rows = query.executeQuery("SELECT metric_name, metric_type, metric_key FROM ml_monitoring.metric_catalog")) {
                while (rows.next()) {
                    catalog.put(rows.getString(1), new String[] {rows.getString(2), rows.getString(3)});
                }
            }
            Set<String> withdrawn = new HashSet<>();
            try (PreparedStatement query = connection.prepareStatement(WITHDRAWN)) {
                query.setObject(1, month.atDay(1));
                query.setObject(2, month.atDay(1).plusMonths(1));
                try (ResultSet rows = query.executeQuery()) {
                    while (rows.next()) {
                        withdrawn.add(key(rows.getString(1), rows.getString(2), rows.getObject(3, LocalDate.class), rows.getString(4),
                                rows.getString(5), rows.getString(6)));
                    }
                }
            }
            return new Lookup(catalog, withdrawn);
        }

        static String key(String model, String version, LocalDate date, String slice, String type, String key) {
            return String.join("\0", model, version, date.toString(), slice, type, key);
        }
    }

    /** Reads the month's rows ({@link #monthRows}) on {@code connection}, in its transaction. */
    static Month read(Connection connection, String stage, YearMonth month) throws SQLException {
        Lookup lookup = Lookup.of(connection, month);
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
            return Month.decode(ByteBuffer.wrap(bytes, 0, length), month.atDay(1), lookup);
        } catch (RuntimeException e) {
            throw new SQLException("the stage's rows for " + month + " could not be read: " + e, e);
        }
    }

    /**
     * A month's rows, by column: the text columns as numbers into their dictionaries (each distinct
     * value once), the numbers and flags as arrays.
     */
    static final class Month {
        final Dictionary models = new Dictionary();
        final Dictionary versions = new Dictionary();
        final Dictionary slices = new Dictionary();
        final Dictionary names = new Dictionary();
        final Dictionary types = new Dictionary();
        final Dictionary keys = new Dictionary();
        final int first;
        int size;
        int[] model;
        int[] version;
        int[] day;
        int[] slice;
        int[] name;
        int[] type;
        int[] key;
        double[] value;
        double[] business;
        /** Bit 0: a stat value; bit 1: a business value; bit 2: the KPI was withdrawn. */
        byte[] flags;

        private final Lookup lookup;
        /** By name number: the numbers of its type and key, or -1 when the catalog lacks the name; -2 not looked up yet. */
        private int[] typeOf = new int[16];
        private int[] keyOf = new int[16];

        private Month(int first, int capacity, Lookup lookup) {
            this.first = first;
            this.lookup = lookup;
            Arrays.fill(typeOf, -2);
            model = new int[capacity];
            version = new int[capacity];
            day = new int[capacity];
            slice = new int[capacity];
            name = new int[capacity];
            type = new int[capacity];
            key = new int[capacity];
            value = new double[capacity];
            business = new double[capacity];
            flags = new byte[capacity];
        }

        boolean stat(int row) {
            return (flags[row] & 1) != 0;
        }

        /** Whether the business table holds a KPI for the row: present and not withdrawn. */
        boolean kpi(int row) {
            return (flags[row] & 6) == 2;
        }

        /**
         * The rows of a binary COPY stream of {@link #monthRows}' seven columns, of the month that
         * begins on {@code first}; those whose name {@code lookup}'s catalog lacks are left out.
         */
        static Month decode(ByteBuffer in, LocalDate first, Lookup lookup) {
            byte[] signature = new byte[SIGNATURE.length];
            in.get(signature);
            if (!Arrays.equals(signature, SIGNATURE)) {
                throw new IllegalArgumentException("not a binary COPY stream");
            }
            in.getInt(); // flags
            int extension = in.getInt();
            in.position(in.position() + extension);
            // a row is about a hundred bytes: a first guess at the count, grown if short
            Month month = new Month((int) ChronoUnit.DAYS.between(LocalDate.of(2000, 1, 1), first), Math.max(16, in.remaining() / 80),
                    lookup);
            while (true) {
                short fields = in.getShort();
                if (fields == -1) {
                    if (in.hasRemaining()) {
                        throw new IllegalArgumentException(in.remaining() + " bytes after the COPY trailer");
                    }
                    return month;
                }
                if (fields != COLUMNS) {
                    throw new IllegalArgumentException("a row of " + fields + " columns; " + COLUMNS + " expected");
                }
                month.add(in);
            }
        }

        private void add(ByteBuffer in) {
            if (size == model.length) {
                int capacity = size * 2;
                model = Arrays.copyOf(model, capacity);
                version = Arrays.copyOf(version, capacity);
                day = Arrays.copyOf(day, capacity);
                slice = Arrays.copyOf(slice, capacity);
                name = Arrays.copyOf(name, capacity);
                type = Arrays.copyOf(type, capacity);
                key = Arrays.copyOf(key, capacity);
                value = Arrays.copyOf(value, capacity);
                business = Arrays.copyOf(business, capacity);
                flags = Arrays.copyOf(flags, capacity);
            }
            int row = size;
            model[row] = models.id(in);
            version[row] = versions.id(in);
            fixed(in, 4);
            day[row] = in.getInt() - first;
            if (day[row] < 0 || day[row] > 30) {
                throw new IllegalArgumentException("a row dated outside its month");
            }
            slice[row] = slices.id(in);
            int n = names.id(in);
            name[row] = n;
            byte flag = 0;
            if (fixed(in, 8)) {
                value[row] = in.getDouble();
                flag |= 1;
            }
            if (fixed(in, 8)) {
                business[row] = in.getDouble();
                flag |= 2;
            }
            if (!mapped(n)) {
                return; // a name the catalog lacks: skipped, as the chunks skip it
            }
            type[row] = typeOf[n];
            key[row] = keyOf[n];
            if ((flag & 2) != 0 && !lookup.withdrawn().isEmpty() && lookup.withdrawn().contains(Lookup.key(text(models, model[row]),
                    text(versions, version[row]), LocalDate.of(2000, 1, 1).plusDays(first + day[row]), text(slices, slice[row]),
                    text(types, type[row]), text(keys, key[row])))) {
                flag |= 4;
            }
            flags[row] = flag;
            size++;
        }

        private static String text(Dictionary dictionary, int id) {
            return new String(dictionary.value(id), StandardCharsets.UTF_8);
        }

        /** Whether the catalog has the name numbered {@code n}, looking it up the first time. */
        private boolean mapped(int n) {
            if (n >= typeOf.length) {
                int old = typeOf.length;
                typeOf = Arrays.copyOf(typeOf, Math.max(n + 1, old * 2));
                keyOf = Arrays.copyOf(keyOf, typeOf.length);
                Arrays.fill(typeOf, old, typeOf.length, -2);
            }
            if (typeOf[n] == -2) {
                String[] entry = lookup.catalog().get(text(names, n));
                typeOf[n] = entry == null ? -1 : types.id(entry[0].getBytes(StandardCharsets.UTF_8));
                keyOf[n] = entry == null ? -1 : keys.id(entry[1].getBytes(StandardCharsets.UTF_8));
            }
            return typeOf[n] >= 0;
        }

        /** Whether the next field is present (read past its length), checking that it has {@code size} bytes. */
        private static boolean fixed(ByteBuffer in, int size) {
            int length = in.getInt();
            if (length == -1) {
                return false;
            }
            if (length != size) {
                throw new IllegalArgumentException("a field of " + length + " bytes; " + size + " expected");
            }
            return true;
        }

        /**
         * The rows in the order of {@code columns}' values (each a column's numbers into a
         * dictionary, or the day), by code point: ranks of the distinct values, made into one
         * number per row.
         */
        int[] order(int[][] columns, Dictionary[] dictionaries) {
            int[][] ranks = new int[columns.length][];
            long[] radix = new long[columns.length];
            for (int c = 0; c < columns.length; c++) {
                ranks[c] = dictionaries[c] == null ? null : dictionaries[c].ranks();
                radix[c] = dictionaries[c] == null ? 31 : dictionaries[c].size();
            }
            long span = 1;
            boolean fits = true;
            for (long r : radix) {
                if (span > Long.MAX_VALUE / Math.max(1, r) / Math.max(1, size)) {
                    fits = false;
                    break;
                }
                span *= Math.max(1, r);
            }
            if (!fits) {
                Comparator<Integer> byRanks = (a, b) -> {
                    for (int c = 0; c < columns.length; c++) {
                        int x = ranks[c] == null ? columns[c][a] : ranks[c][columns[c][a]];
                        int y = ranks[c] == null ? columns[c][b] : ranks[c][columns[c][b]];
                        if (x != y) {
                            return Integer.compare(x, y);
                        }
                    }
                    return 0;
                };
                return IntStream.range(0, size).boxed().sorted(byRanks).mapToInt(Integer::intValue).toArray();
            }
            long[] keyed = new long[size];
            for (int row = 0; row < size; row++) {
                long k = 0;
                for (int c = 0; c < columns.length; c++) {
                    int v = columns[c][row];
                    k = k * Math.max(1, radix[c]) + (ranks[c] == null ? v : ranks[c][v]);
                }
                keyed[row] = k * size + row;
            }
            Arrays.sort(keyed);
            int[] order = new int[size];
            for (int i = 0; i < size; i++) {
                order[i] = (int) (keyed[i] % size);
            }
            return order;
        }

        /** The legacy table's key order: model, version, date, slice, metric_name. */
        int[] legacyOrder() {
            return order(new int[][] {model, version, day, slice, name}, new Dictionary[] {models, versions, null, slices, names});
        }

        /** The new tables' key order: model, version, date, slice, metric_type, metric_key. */
        int[] newOrder() {
            return order(new int[][] {model, version, day, slice, type, key},
                    new Dictionary[] {models, versions, null, slices, types, keys});
        }
    }

    /** The distinct values of a text column, each numbered in the order first met. */
    static final class Dictionary {
        private byte[][] values = new byte[16][];
        private int size;
        private int[] table = new int[64]; // open addressing: id + 1, 0 for free

        int size() {
            return size;
        }

        byte[] value(int id) {
            return values[id];
        }

        /** The number of the text field at the buffer's position (read past it). */
        int id(ByteBuffer in) {
            int length = in.getInt();
            if (length < 0) {
                throw new IllegalArgumentException("a NULL where the stage holds text");
            }
            int offset = in.arrayOffset() + in.position();
            in.position(in.position() + length);
            return id(in.array(), offset, length);
        }

        /** The number of {@code value}. */
        int id(byte[] value) {
            return id(value, 0, value.length);
        }

        private int id(byte[] array, int offset, int length) {
            int hash = 1;
            for (int i = offset; i < offset + length; i++) {
                hash = 31 * hash + array[i];
            }
            int mask = table.length - 1;
            for (int slot = mix(hash) & mask; ; slot = (slot + 1) & mask) {
                int entry = table[slot];
                if (entry == 0) {
                    return insert(Arrays.copyOfRange(array, offset, offset + length), slot);
                }
                byte[] candidate = values[entry - 1];
                if (Arrays.equals(candidate, 0, candidate.length, array, offset, offset + length)) {
                    return entry - 1;
                }
            }
        }

        private int insert(byte[] value, int slot) {
            if (size == values.length) {
                values = Arrays.copyOf(values, size * 2);
            }
            values[size] = value;
            table[slot] = ++size;
            if (size * 2 > table.length) {
                table = new int[table.length * 2];
                int mask = table.length - 1;
                for (int id = 0; id < size; id++) {
                    int s = mix(Arrays.hashCode(values[id])) & mask;
                    while (table[s] != 0) {
                        s = (s + 1) & mask;
                    }
                    table[s] = id + 1;
                }
            }
            return size - 1;
        }

        private static int mix(int hash) {
            return hash ^ (hash >>> 16) * 0x45d9f3b;
        }

        /** Each value's place among the distinct values in code point order. */
        int[] ranks() {
            Integer[] ids = new Integer[size];
            Arrays.setAll(ids, i -> i);
            Arrays.sort(ids, (a, b) -> Arrays.compareUnsigned(values[a], values[b]));
            int[] ranks = new int[size];
            for (int rank = 0; rank < size; rank++) {
                ranks[ids[rank]] = rank;
            }
            return ranks;
        }
    }

    /**
     * Writes the month's rows into the built tables, each in its primary-key order: the stats and
     * the KPIs ({@code model_stats_daily}'s and {@code model_business_stats_daily}'s columns) and, when
     * {@code legacy} is not null, the legacy rows. Returns the rows written.
     */
    static long write(Connection connection, Month month, String stats, String business, String legacy, String lineage,
            long writeSeq, Instant updatedAt) throws SQLException {
        long stamp = ChronoUnit.MICROS.between(EPOCH, updatedAt);
        byte[] topic = lineage.getBytes(StandardCharsets.UTF_8);
        long written = 0;
        if (legacy != null) {
            try (Copy copy = new Copy(connection, legacy, "model_name, model_version, stat_date, slice_key, metric_name, "
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
            try (Copy copy = new Copy(connection, kpis ? business : stats, "model_name, model_version, stat_date, slice_key, "
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
    private static void startRow(Copy copy, Month month, int row) throws SQLException {
        copy.row();
        copy.text(month.models.value(month.model[row]));
        copy.text(month.versions.value(month.version[row]));
        copy.date(month.first + month.day[row]);
        copy.text(month.slices.value(month.slice[row]));
    }

    /** One binary {@code COPY ... FROM STDIN} into a table, written a buffer at a time. */
    private static final class Copy implements AutoCloseable {
        private final CopyIn copy;
        private final ByteBuffer buffer = ByteBuffer.allocate(1 << 18);
        private final short columns;

        Copy(Connection connection, String table, String columns, int count) throws SQLException {
            this.copy = connection.unwrap(PGConnection.class).getCopyAPI()
                    .copyIn("COPY " + table + " (" + columns + ") FROM STDIN (FORMAT binary)");
            this.columns = (short) count;
            buffer.put(SIGNATURE).putInt(0).putInt(0);
        }

        /** Starts a row; a row of these tables is at most a few kilobytes (the contract limits its strings). */
        void row() throws SQLException {
            if (buffer.remaining() < 1 << 15) {
                flush();
            }
            buffer.putShort(columns);
        }

        void text(byte[] bytes) throws SQLException {
            if (buffer.remaining() < bytes.length + 4) {
                flush();
            }
            buffer.putInt(bytes.length).put(bytes);
        }

        void date(int days) {
            buffer.putInt(4).putInt(days);
        }

        void number(double value) {
            buffer.putInt(8).putDouble(value);
        }

        void int8(long value) {
            buffer.putInt(8).putLong(value);
        }

        void nul() {
            buffer.putInt(-1);
        }

        private void flush() throws SQLException {
            copy.writeToCopy(buffer.array(), 0, buffer.position());
            buffer.clear();
        }

        /** Ends the copy; returns the rows PostgreSQL took. */
        long end() throws SQLException {
            buffer.putShort((short) -1);
            flush();
            return copy.endCopy();
        }

        @Override
        public void close() throws SQLException {
            if (copy.isActive()) {
                copy.cancelCopy();
            }
        }
    }
}

package statbridge.tools.migration;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDate;
import java.time.YearMonth;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;

/**
 * A month's rows, by column: the text columns as numbers into their dictionaries (each distinct
 * value once), the numbers and flags as arrays.
 */
final class MonthRows {

    /** The stage's columns a month is read with ({@link MonthCopy#monthRows}). */
    static final int COLUMNS = 7;

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

    final ValueDictionary models = new ValueDictionary();
    final ValueDictionary versions = new ValueDictionary();
    final ValueDictionary slices = new ValueDictionary();
    final ValueDictionary names = new ValueDictionary();
    final ValueDictionary types = new ValueDictionary();
    final ValueDictionary keys = new ValueDictionary();
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

    private MonthRows(int first, int capacity, Lookup lookup) {
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
    static MonthRows decode(ByteBuffer in, LocalDate first, Lookup lookup) {
        byte[] signature = new byte[BinaryCopy.SIGNATURE.length];
        in.get(signature);
        if (!Arrays.equals(signature, BinaryCopy.SIGNATURE)) {
            throw new IllegalArgumentException("not a binary COPY stream");
        }
        in.getInt(); // flags
        int extension = in.getInt();
        in.position(in.position() + extension);
        // a row is about a hundred bytes: a first guess at the count, grown if short
        MonthRows month = new MonthRows((int) ChronoUnit.DAYS.between(LocalDate.of(2000, 1, 1), first), Math.max(16, in.remaining() / 80),
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

    private static String text(ValueDictionary dictionary, int id) {
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
    int[] order(int[][] columns, ValueDictionary[] dictionaries) {
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
        return order(new int[][] {model, version, day, slice, name}, new ValueDictionary[] {models, versions, null, slices, names});
    }

    /** The new tables' key order: model, version, date, slice, metric_type, metric_key. */
    int[] newOrder() {
        return order(new int[][] {model, version, day, slice, type, key},
                new ValueDictionary[] {models, versions, null, slices, types, keys});
    }
}

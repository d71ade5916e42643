package statbridge.tools.migration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The month's rows as read from a binary COPY stream, and the orders they are written in. */
class MonthCopyTest {

    private static final LocalDate FIRST = LocalDate.of(2023, 3, 1);
    private static final MonthRows.Lookup NONE = new MonthRows.Lookup(java.util.Map.of(), java.util.Set.of());
    /** Strings whose order by UTF-16 unit differs from their order by code point, and plain ones. */
    private static final String[] AWKWARD = {"a", "Z", "é", "日本", "\uFF5E", "\uFFEE", "😀", "😀a", "𝄞", "ß", "a😀", "a\uFF5E", ""};

    /** A row as the stage's COPY gives it, with the catalog's type and key of its name and whether its KPI was withdrawn. */
    record Source(String model, String version, int day, String slice, String name, Double value, Double business, String type,
            String key, boolean withdrawn) {
    }

    /** The catalog and the withdrawn KPIs these rows imply. */
    private static MonthRows.Lookup lookup(List<Source> rows) {
        java.util.Map<String, String[]> catalog = new java.util.HashMap<>();
        java.util.Set<String> withdrawn = new java.util.HashSet<>();
        for (Source row : rows) {
            if (row.type() != null) {
                catalog.put(row.name(), new String[] {row.type(), row.key()});
            }
            if (row.withdrawn()) {
                withdrawn.add(MonthRows.Lookup.key(row.model(), row.version(), FIRST.plusDays(row.day()), row.slice(), row.type(), row.key()));
            }
        }
        return new MonthRows.Lookup(catalog, withdrawn);
    }

    @Test
    void rowsAreOrderedByCodePointColumnByColumnAsTheCAndCUtf8CollationsOrderThem() throws IOException {
        Random random = new Random(42);
        List<Source> rows = new ArrayList<>();
        for (int i = 0; i < 5_000; i++) {
            String name = pick(random);
            rows.add(new Source(pick(random), pick(random), random.nextInt(31), pick(random), name, random.nextDouble(), null,
                    "ONLINE", "k" + name, false));
        }
        MonthRows month = decode(rows);
        assertThat(month.size).isEqualTo(rows.size());

        Comparator<String> byCodePoint = (a, b) -> Arrays.compare(a.codePoints().toArray(), b.codePoints().toArray());
        Comparator<Source> legacy = Comparator.comparing(Source::model, byCodePoint).thenComparing(Source::version, byCodePoint)
                .thenComparingInt(Source::day).thenComparing(Source::slice, byCodePoint).thenComparing(Source::name, byCodePoint);
        Comparator<Source> wide = Comparator.comparing(Source::model, byCodePoint).thenComparing(Source::version, byCodePoint)
                .thenComparingInt(Source::day).thenComparing(Source::slice, byCodePoint).thenComparing(Source::type, byCodePoint)
                .thenComparing(Source::key, byCodePoint);
        assertInOrder(rows, month.legacyOrder(), legacy);
        assertInOrder(rows, month.newOrder(), wide);
        assertThat(Arrays.stream(month.legacyOrder()).sorted().toArray()).as("every row once").isEqualTo(
                java.util.stream.IntStream.range(0, rows.size()).toArray());
    }

    @Test
    void aMonthWithTooManyDistinctValuesForOneNumberIsOrderedAllTheSame() throws IOException {
        List<Source> rows = new ArrayList<>();
        Random random = new Random(7);
        for (int i = 0; i < 20_000; i++) {
            // every row's strings distinct: the ranks' product is far beyond 64 bits
            rows.add(new Source("m" + random.nextInt(), "v" + random.nextInt(), random.nextInt(31), "s" + random.nextInt(),
                    "n" + random.nextInt(), 1.0, 2.0, "DRIFT", "k" + random.nextInt(), false));
        }
        MonthRows month = decode(rows);
        Comparator<Source> legacy = Comparator.comparing(Source::model).thenComparing(Source::version).thenComparingInt(Source::day)
                .thenComparing(Source::slice).thenComparing(Source::name);
        assertInOrder(rows, month.legacyOrder(), legacy);
    }

    @Test
    void valuesFlagsAndTheWithdrawnKpiAreReadAsTheStageHoldsThem() throws IOException {
        MonthRows month = decode(List.of(
                new Source("m", "v1", 0, "ALL", "accuracy", 0.25, null, "ONLINE", "accuracy", false),
                new Source("m", "v1", 30, "ALL", "churn", 1.5, 7.0, "BUSINESS", "churn", false),
                new Source("m", "v1", 3, "ALL", "churn", 2.5, 8.0, "BUSINESS", "churn", true),
                new Source("m", "v1", 4, "ALL", "kpi_only", null, 9.0, "BUSINESS", "kpi_only", false),
                new Source("m", "v1", 5, "ALL", "not_catalogued", 1.0, 2.0, null, null, false)));
        assertThat(month.size).as("the name the catalog lacks is left out").isEqualTo(4);
        assertThat(month.stat(0)).isTrue();
        assertThat(month.kpi(0)).isFalse();
        assertThat(month.kpi(1)).isTrue();
        assertThat(month.business[1]).isEqualTo(7.0);
        assertThat(month.day[1]).isEqualTo(30);
        assertThat(month.kpi(2)).as("withdrawn").isFalse();
        assertThat(month.stat(3)).isFalse();
        assertThat(month.kpi(3)).isTrue();
        assertThat(month.names.size()).as("each distinct name once").isEqualTo(4);
        assertThat(new String(month.keys.value(month.key[3]), StandardCharsets.UTF_8)).isEqualTo("kpi_only");
        assertThat(new String(month.names.value(month.name[3]), StandardCharsets.UTF_8)).isEqualTo("kpi_only");
    }

    @Test
    void aStreamThatIsNotTheStagesIsRefusedWithItsReason() throws IOException {
        byte[] good = copy(List.of(new Source("m", "v", 0, "s", "n", 1.0, null, "ONLINE", "n", false)));
        assertThatThrownBy(() -> MonthRows.decode(ByteBuffer.wrap("not a copy stream at all".getBytes()), FIRST, NONE))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a binary COPY stream");
        byte[] trailing = Arrays.copyOf(good, good.length + 3);
        assertThatThrownBy(() -> MonthRows.decode(ByteBuffer.wrap(trailing), FIRST, NONE)).hasMessageContaining("after the COPY trailer");
        assertThatThrownBy(() -> MonthRows.decode(ByteBuffer.wrap(Arrays.copyOf(good, good.length - 5)), FIRST, NONE))
                .isInstanceOf(BufferUnderflowException.class);
        byte[] wrongCount = good.clone();
        wrongCount[19] = 0;
        wrongCount[20] = 9;
        assertThatThrownBy(() -> MonthRows.decode(ByteBuffer.wrap(wrongCount), FIRST, NONE)).hasMessageContaining("a row of 9 columns");
        byte[] late = copy(List.of(new Source("m", "v", 31, "s", "n", 1.0, null, "ONLINE", "n", false)));
        assertThatThrownBy(() -> MonthRows.decode(ByteBuffer.wrap(late), FIRST, NONE)).hasMessageContaining("outside its month");
    }

    @Test
    void aMonthIsKeptInMemoryOnlyWhenAQuarterOfTheHeapHoldsItForEachWorker() {
        assertThat(MonthCopy.rowsThatFit(128L << 20, 2)).isEqualTo((128L << 20) / 4 / 2 / MonthCopy.BYTES_PER_ROW);
        assertThat(MonthCopy.rowsThatFit(8L << 30, 1)).as("a month of millions of rows in an 8 GiB heap").isGreaterThan(3_000_000);
        assertThat(MonthCopy.rowsThatFit(512L << 30, 1)).as("whatever the heap").isEqualTo(MonthCopy.MAX_ROWS);
    }

    private static String pick(Random random) {
        return AWKWARD[random.nextInt(AWKWARD.length)] + (random.nextInt(4) == 0 ? AWKWARD[random.nextInt(AWKWARD.length)] : "");
    }

    private static void assertInOrder(List<Source> rows, int[] order, Comparator<Source> comparator) {
        List<Source> ordered = new ArrayList<>();
        for (int row : order) {
            ordered.add(rows.get(row));
        }
        List<Source> expected = new ArrayList<>(rows);
        expected.sort(comparator);
        for (int i = 0; i < expected.size(); i++) {
            assertThat(comparator.compare(ordered.get(i), expected.get(i))).as("row %d of %d", i, expected.size()).isZero();
        }
    }

    private static MonthRows decode(List<Source> rows) throws IOException {
        return MonthRows.decode(ByteBuffer.wrap(copy(rows)), FIRST, lookup(rows));
    }

    /** The binary COPY stream PostgreSQL sends for these rows of {@link MonthCopy#monthRows}. */
    private static byte[] copy(List<Source> rows) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.write("PGCOPY\n\377\r\n\0".getBytes(StandardCharsets.ISO_8859_1));
        out.writeInt(0);
        out.writeInt(0);
        int first = (int) java.time.temporal.ChronoUnit.DAYS.between(LocalDate.of(2000, 1, 1), FIRST);
        for (Source row : rows) {
            out.writeShort(7);
            text(out, row.model());
            text(out, row.version());
            out.writeInt(4);
            out.writeInt(first + row.day());
            text(out, row.slice());
            text(out, row.name());
            number(out, row.value());
            number(out, row.business());
        }
        out.writeShort(-1);
        return bytes.toByteArray();
    }

    private static void text(DataOutputStream out, String value) throws IOException {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        out.writeInt(bytes.length);
        out.write(bytes);
    }

    private static void number(DataOutputStream out, Double value) throws IOException {
        if (value == null) {
            out.writeInt(-1);
        } else {
            out.writeInt(8);
            out.writeDouble(value);
        }
    }
}

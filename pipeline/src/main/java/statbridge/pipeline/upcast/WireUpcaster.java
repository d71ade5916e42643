package statbridge.pipeline.upcast;

import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;
import java.util.function.IntPredicate;
import java.util.function.IntSupplier;
import statbridge.catalog.CatalogEntry;
import statbridge.contract.StatValidator;
import statbridge.serde.WireFormat;

/**
 * The upcast done on the wire bytes, for the common case, with no Avro objects in between.
 *
 * <p>A v1 body and the two v2 bodies begin with the same four fields ({@code model_name},
 * {@code model_version}, {@code stat_date}, {@code slice_key}), so a v2 message is a new header,
 * those bytes copied, the catalog entry's {@code (metric_type, metric_key)} (encoded once per
 * entry) and the value. Before it copies anything it checks what {@link Upcaster} and
 * {@link StatValidator} check.
 *
 * <p>It takes only messages it can prove clean: written with a schema whose binary layout is the
 * v1 schema's, texts of printable ASCII within the length limit, canonical varints, a date in the
 * limits, finite values (unless configured otherwise), a key equal to the one the value implies,
 * and a name the catalog maps. Anything else it declines, and the caller takes the general path,
 * which produces the exact dead-letter reason and message, or infers a catalog entry. Its
 * outputs are byte-for-byte what the general path writes; a test holds it to that.
 *
 * <p>Not thread-safe: one per stream task.
 */
public final class WireUpcaster {

    private record Tail(CatalogEntry entry, byte[] bytes) {
    }

    private static final byte[] DIGITS = "0123456789".getBytes(StandardCharsets.US_ASCII);

    private final StatValidator.Limits limits;
    private final long minDay;
    private final long maxDay;
    private final IntPredicate v1Layout;
    private final IntSupplier v2SchemaId;
    private final IntSupplier businessSchemaId;
    private final Map<String, Tail> tails = new HashMap<>();
    private byte[] v2Header;
    private byte[] businessHeader;

    // Where the fields of the message being read are.
    private int position;
    private byte[] stat;
    private byte[] business;

    /**
     * @param limits what the validator accepts
     * @param v1Layout whether a schema id's schema has the v1 schema's binary layout
     * @param v2SchemaId the id under which {@code ModelStat} v2 is written (asked once)
     * @param businessSchemaId the id under which {@code BusinessStat} is written (asked once)
     */
    public WireUpcaster(StatValidator.Limits limits, IntPredicate v1Layout, IntSupplier v2SchemaId, IntSupplier businessSchemaId) {
        this.limits = limits;
        // Dates render as YYYY-MM-DD in the key only for four-digit years; others go the general way.
        this.minDay = Math.max(limits.minDate().toEpochDay(), LocalDate.of(1000, 1, 1).toEpochDay());
        this.maxDay = Math.min(limits.maxDate().toEpochDay(), LocalDate.of(9999, 12, 31).toEpochDay());
        this.v1Layout = v1Layout;
        this.v2SchemaId = v2SchemaId;
        this.businessSchemaId = businessSchemaId;
    }

    /**
     * Upcasts one message if it is clean.
     *
     * @param key the record key bytes
     * @param value the v1 message (Confluent wire format)
     * @param catalog the catalog entry of a metric name, or null when it has none
     * @return true when it did: {@link #stat()} and {@link #business()} hold the two messages;
     *     false when the general path must decide
     */
    public boolean upcast(byte[] key, byte[] value, Function<String, CatalogEntry> catalog) {
        if (key == null || value == null || value.length < WireFormat.HEADER_SIZE + 9 || value[0] != WireFormat.MAGIC_BYTE
                || !v1Layout.test(WireFormat.schemaId(value))) {
            return false;
        }
        position = WireFormat.HEADER_SIZE;
        int modelStart = text(value);
        if (modelStart < 0) {
            return false;
        }
        int modelEnd = position;
        int versionStart = text(value);
        if (versionStart < 0) {
            return false;
        }
        int versionEnd = position;
        long day = varint(value, 5);
        if (day == Long.MIN_VALUE) {
            return false;
        }
        day = (day >>> 1) ^ -(day & 1);
        if (day < minDay || day > maxDay) {
            return false;
        }
        int sliceStart = text(value);
        if (sliceStart < 0) {
            return false;
        }
        int prefixEnd = position;
        int nameStart = text(value);
        if (nameStart < 0) {
            return false;
        }
        int nameEnd = position;
        int valueStart = position;
        if (!finite(value, valueStart)) {
            return false;
        }
        position += 8;
        if (position >= value.length) {
            return false;
        }
        int union = value[position++];
        boolean hasBusiness;
        if (union == 0) {
            hasBusiness = false;
        } else if (union == 2 && finite(value, position)) {
            hasBusiness = true;
            position += 8;
        } else {
            return false;
        }
        if (position != value.length) {
            return false;
        }
        LocalDate date = LocalDate.ofEpochDay(day);
        if (!keyMatches(key, value, modelStart, modelEnd, versionStart, versionEnd, date, sliceStart, prefixEnd)) {
            return false;
        }
        String name = new String(value, nameStart, nameEnd - nameStart, StandardCharsets.ISO_8859_1);
        CatalogEntry entry = catalog.apply(name);
        if (entry == null) {
            return false;
        }
        byte[] tail = tail(name, entry);
        if (v2Header == null) {
            v2Header = header(v2SchemaId.getAsInt());
            businessHeader = header(businessSchemaId.getAsInt());
        }
        int prefixLength = prefixEnd - WireFormat.HEADER_SIZE;
        stat = new byte[WireFormat.HEADER_SIZE + prefixLength + tail.length + 8];
        int at = copyPrefix(stat, v2Header, value, prefixLength, tail);
        System.arraycopy(value, valueStart, stat, at, 8);
        business = new byte[WireFormat.HEADER_SIZE + prefixLength + tail.length + (hasBusiness ? 9 : 1)];
        at = copyPrefix(business, businessHeader, value, prefixLength, tail);
        if (hasBusiness) {
            business[at] = 2;
            System.arraycopy(value, valueStart + 9, business, at + 1, 8);
        } else {
            business[at] = 0;
        }
        return true;
    }

    /** The {@code ModelStat} v2 message of the last successful upcast. */
    public byte[] stat() {
        return stat;
    }

    /** The {@code BusinessStat} message of the last successful upcast. */
    public byte[] business() {
        return business;
    }

    private static int copyPrefix(byte[] target, byte[] header, byte[] value, int prefixLength, byte[] tail) {
        System.arraycopy(header, 0, target, 0, WireFormat.HEADER_SIZE);
        System.arraycopy(value, WireFormat.HEADER_SIZE, target, WireFormat.HEADER_SIZE, prefixLength);
        int at = WireFormat.HEADER_SIZE + prefixLength;
        System.arraycopy(tail, 0, target, at, tail.length);
        return at + tail.length;
    }

    private static byte[] header(int schemaId) {
        byte[] header = new byte[WireFormat.HEADER_SIZE];
        WireFormat.writeHeader(header, schemaId);
        return header;
    }

    /** {@code metric_type} (the enum's index) and {@code metric_key} as Avro writes them, once per entry. */
    private byte[] tail(String name, CatalogEntry entry) {
        Tail tail = tails.get(name);
        if (tail == null || !tail.entry().equals(entry)) {
            byte[] key = entry.metricKey().getBytes(StandardCharsets.UTF_8);
            int ordinal = statbridge.v2.MetricType.SCHEMA$.getEnumOrdinal(entry.metricType().name());
            byte[] bytes = new byte[10 + 10 + key.length];
            int at = writeVarint(bytes, 0, ((long) ordinal << 1) ^ ((long) ordinal >> 63));
            at = writeVarint(bytes, at, ((long) key.length << 1) ^ ((long) key.length >> 63));
            System.arraycopy(key, 0, bytes, at, key.length);
            tail = new Tail(entry, Arrays.copyOf(bytes, at + key.length));
            tails.put(name, tail);
        }
        return tail.bytes();
    }

    private static int writeVarint(byte[] target, int at, long value) {
        while ((value & ~0x7FL) != 0) {
            target[at++] = (byte) ((value & 0x7F) | 0x80);
            value >>>= 7;
        }
        target[at++] = (byte) value;
        return at;
    }

    /**
     * Reads a text field that is non-blank printable ASCII within the length limit.
     *
     * @return where its characters start, or -1 to decline
     */
    private int text(byte[] value) {
        long encoded = varint(value, 10);
        if (encoded == Long.MIN_VALUE || (encoded & 1) != 0) {
            return -1; // unreadable, or a negative length
        }
        long length = encoded >>> 1;
        int start = position;
        if (length == 0 || length > limits.maxStringLength() || length > value.length - start) {
            return -1;
        }
        int end = start + (int) length;
        boolean blank = true;
        for (int i = start; i < end; i++) {
            byte b = value[i];
            if (b < 0x20 || b > 0x7E) {
                return -1;
            }
            if (b != ' ') {
                blank = false;
            }
        }
        if (blank) {
            return -1;
        }
        position = end;
        return start;
    }

    /**
     * Reads a canonical (shortest form) zig-zag varint of at most {@code maxBytes} bytes.
     *
     * @return the raw, still zig-zag encoded value, or {@link Long#MIN_VALUE} to decline
     */
    private long varint(byte[] value, int maxBytes) {
        long result = 0;
        for (int i = 0; i < maxBytes && position < value.length; i++) {
            int b = value[position++] & 0xFF;
            result |= (long) (b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0) {
                if (b == 0 && i > 0) {
                    return Long.MIN_VALUE; // not the shortest form: Avro would write it differently
                }
                if (maxBytes == 5 && result > 0xFFFFFFFFL) {
                    return Long.MIN_VALUE;
                }
                return result < 0 ? Long.MIN_VALUE : result;
            }
        }
        return Long.MIN_VALUE;
    }

    private boolean finite(byte[] value, int at) {
        if (at + 8 > value.length) {
            return false;
        }
        if (limits.allowNonFinite()) {
            return true;
        }
        // Little-endian: the exponent's bits are in the last two bytes; all ones means NaN or infinite.
        int high = ((value[at + 7] & 0x7F) << 4) | ((value[at + 6] & 0xF0) >>> 4);
        return high != 0x7FF;
    }

    /** Whether the key is {@code model/version/YYYY-MM-DD/slice}, compared byte by byte. */
    private static boolean keyMatches(byte[] key, byte[] value, int modelStart, int modelEnd, int versionStart, int versionEnd,
            LocalDate date, int sliceStart, int sliceEnd) {
        int modelLength = modelEnd - modelStart;
        int versionLength = versionEnd - versionStart;
        int sliceLength = sliceEnd - sliceStart;
        if (key.length != modelLength + versionLength + sliceLength + 13) {
            return false;
        }
        int at = 0;
        if (!Arrays.equals(key, at, at + modelLength, value, modelStart, modelEnd) || key[at + modelLength] != '/') {
            return false;
        }
        at += modelLength + 1;
        if (!Arrays.equals(key, at, at + versionLength, value, versionStart, versionEnd) || key[at + versionLength] != '/') {
            return false;
        }
        at += versionLength + 1;
        int year = date.getYear();
        int month = date.getMonthValue();
        int dayOfMonth = date.getDayOfMonth();
        if (key[at] != DIGITS[year / 1000] || key[at + 1] != DIGITS[year / 100 % 10] || key[at + 2] != DIGITS[year / 10 % 10]
                || key[at + 3] != DIGITS[year % 10] || key[at + 4] != '-' || key[at + 5] != DIGITS[month / 10]
                || key[at + 6] != DIGITS[month % 10] || key[at + 7] != '-' || key[at + 8] != DIGITS[dayOfMonth / 10]
                || key[at + 9] != DIGITS[dayOfMonth % 10] || key[at + 10] != '/') {
            return false;
        }
        at += 11;
        return Arrays.equals(key, at, key.length, value, sliceStart, sliceEnd);
    }
}

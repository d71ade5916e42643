package statbridge.serde;

import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;

/**
 * Walks an Avro binary body under its writer's schema without building anything, and refuses a
 * body whose declared lengths or counts cannot be true: a string, bytes or fixed longer than the
 * bytes left, a collection with more items than the bytes left could hold, an enum or union
 * index out of range, a malformed varint, nesting deeper than {@link #MAX_DEPTH}.
 *
 * <p>Avro's own reader trusts a declared length and allocates it before it reads a byte, so a
 * 13-byte message that declares a 1.5 GB string takes 1.5 GB of heap. Scanning first bounds every
 * allocation the reader then makes by the size of the message, whatever the heap.
 */
final class BodyScanner {

    /** Deepest nesting of records, arrays, maps and unions a body may have. */
    static final int MAX_DEPTH = 64;
    /** Most items of a collection whose items take no bytes at all (e.g. an array of null). */
    static final long MAX_EMPTY_ITEMS = 65_536;

    private final byte[] data;
    private final int end;
    private final Map<Schema, Integer> minimumSizes = new IdentityHashMap<>();
    private int position;

    private BodyScanner(byte[] data, int offset, int length) {
        this.data = data;
        this.position = offset;
        this.end = offset + length;
    }

    /**
     * Checks that {@code length} bytes from {@code offset} can be a body of {@code schema}.
     *
     * @return null when they can, otherwise what is wrong (e.g. "field model_name: a string of
     *     1,500,000,000 bytes declared with 3 left")
     */
    static String check(Schema schema, byte[] data, int offset, int length) {
        BodyScanner scanner = new BodyScanner(data, offset, length);
        try {
            scanner.scan(schema, 0, "");
            return null;
        } catch (Malformed e) {
            return e.getMessage();
        }
    }

    private void scan(Schema schema, int depth, String path) {
        if (depth > MAX_DEPTH) {
            throw new Malformed(where(path) + "nested deeper than " + MAX_DEPTH + " levels");
        }
        switch (schema.getType()) {
            case NULL -> {
            }
            case BOOLEAN -> skip(1, path, "a boolean");
            case INT -> varint(5, path);
            case LONG -> varint(10, path);
            case FLOAT -> skip(4, path, "a float");
            case DOUBLE -> skip(8, path, "a double");
            case STRING -> skip(length(path, "a string"), path, "a string");
            case BYTES -> skip(length(path, "bytes"), path, "bytes");
            case FIXED -> skip(schema.getFixedSize(), path, "a fixed of " + schema.getFixedSize() + " bytes");
            case ENUM -> {
                long index = varint(5, path);
                if (index < 0 || index >= schema.getEnumSymbols().size()) {
                    throw new Malformed(where(path) + "enum index " + index + " of " + schema.getFullName()
                            + ", which has " + schema.getEnumSymbols().size() + " symbols");
                }
            }
            case UNION -> {
                List<Schema> branches = schema.getTypes();
                long index = varint(5, path);
                if (index < 0 || index >= branches.size()) {
                    throw new Malformed(where(path) + "union branch " + index + " of " + branches.size());
                }
                scan(branches.get((int) index), depth + 1, path);
            }
            case RECORD -> {
                for (Schema.Field field : schema.getFields()) {
                    scan(field.schema(), depth + 1, path.isEmpty() ? field.name() : path + "." + field.name());
                }
            }
            case ARRAY -> blocks(schema.getElementType(), null, depth, path);
            case MAP -> blocks(schema.getValueType(), Schema.create(Schema.Type.STRING), depth, path);
            default -> throw new Malformed(where(path) + "unsupported type " + schema.getType());
        }
    }

    /** Array and map items come in blocks: a count (negative: followed by the block's byte size), then the items. */
    private void blocks(Schema item, Schema key, int depth, String path) {
        long itemSize = minimumSize(item) + (key == null ? 0 : 1);
        while (true) {
            long count = varint(10, path);
            if (count == 0) {
                return;
            }
            if (count < 0) {
                count = -count;
                long bytes = varint(10, path);
                if (bytes < 0 || bytes > end - position) {
                    throw new Malformed(where(path) + "a block of " + bytes + " bytes declared with " + (end - position)
                            + " left");
                }
            }
            if (count < 0 || (itemSize == 0 ? count > MAX_EMPTY_ITEMS : count > (end - position) / itemSize)) {
                throw new Malformed(where(path) + "a collection of " + count + " items declared with " + (end - position)
                        + " bytes left");
            }
            for (long i = 0; i < count; i++) {
                if (key != null) {
                    skip(length(path, "a map key"), path, "a map key");
                }
                scan(item, depth + 1, path + "[]");
            }
        }
    }

    /** The fewest bytes a value of {@code schema} can take. */
    private long minimumSize(Schema schema) {
        Integer known = minimumSizes.get(schema);
        if (known != null) {
            return known;
        }
        minimumSizes.put(schema, 0); // a recursive reference counts as empty while it is measured
        long size = switch (schema.getType()) {
            case NULL -> 0;
            case BOOLEAN, INT, LONG, ENUM, STRING, BYTES, ARRAY, MAP, UNION -> 1;
            case FLOAT -> 4;
            case DOUBLE -> 8;
            case FIXED -> schema.getFixedSize();
            case RECORD -> {
                long sum = 0;
                for (Schema.Field field : schema.getFields()) {
                    sum += minimumSize(field.schema());
                }
                yield sum;
            }
        };
        int bounded = (int) Math.min(size, Integer.MAX_VALUE);
        minimumSizes.put(schema, bounded);
        return bounded;
    }

    private long length(String path, String what) {
        long length = varint(10, path);
        if (length < 0) {
            throw new Malformed(where(path) + what + " of negative length " + length);
        }
        return length;
    }

    private void skip(long bytes, String path, String what) {
        if (bytes > end - position) {
            throw new Malformed(where(path) + what + " of " + String.format("%,d", bytes) + " bytes declared with "
                    + (end - position) + " left");
        }
        position += (int) bytes;
    }

    /** A zig-zag varint of at most {@code maxBytes} bytes, decoded. */
    private long varint(int maxBytes, String path) {
        long raw = 0;
        for (int i = 0; i < maxBytes; i++) {
            if (position >= end) {
                throw new Malformed(where(path) + "the body ends inside a number");
            }
            int b = data[position++] & 0xFF;
            raw |= (long) (b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0) {
                return (raw >>> 1) ^ -(raw & 1);
            }
        }
        throw new Malformed(where(path) + "a number longer than " + maxBytes + " bytes");
    }

    private static String where(String path) {
        return path.isEmpty() ? "" : "field " + path + ": ";
    }

    private static final class Malformed extends RuntimeException {
        Malformed(String message) {
            super(message, null, false, false);
        }
    }
}

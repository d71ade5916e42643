package statbridge.tools.migration;

import java.nio.ByteBuffer;
import java.util.Arrays;

/** The distinct values of a text column of a month ({@link MonthRows}), each numbered in the order first met. */
final class ValueDictionary {
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

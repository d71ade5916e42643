package statbridge.tools.migration;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

/** One binary {@code COPY ... FROM STDIN} into a table, written a buffer at a time. */
final class BinaryCopy implements AutoCloseable {

    /** The header every binary COPY stream starts with. */
    static final byte[] SIGNATURE = "PGCOPY\n\377\r\n\0".getBytes(StandardCharsets.ISO_8859_1);

    private final CopyIn copy;
    private final ByteBuffer buffer = ByteBuffer.allocate(1 << 18);
    private final short columns;

    BinaryCopy(Connection connection, String table, String columns, int count) throws SQLException {
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
